import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { afterEach, describe, expect, it } from 'vitest';
import type { SqsEvent } from '../../../src/engine/sqs.js';
import { pauseRunner, resumeRunner, runnerState } from '../../../src/local/runner/client.js';
import { startRunner, type EngineHooks, type LocalRunner } from '../../../src/local/runner/runner.js';
import { fakeSesEmulator, testRunnerConfig } from '../../helpers/local-stack.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A minimal SendEmail: the SES client is faked, only the configuration set matters here. */
const mail = (to: string, configurationSet: string) =>
  new SendEmailCommand({ FromEmailAddress: 'a@example.com', Destination: { ToAddresses: [to] }, Content: { Simple: { Subject: { Data: 's' }, Body: { Text: { Data: 't' } } } }, ConfigurationSetName: configurationSet });

describe('pause and resume', () => {
  let runner: LocalRunner | undefined;
  afterEach(async () => {
    await runner?.close();
    runner = undefined;
  });

  async function start(paused = false) {
    const sent: string[] = [];
    const changes: boolean[] = [];
    let hooks: EngineHooks | undefined;
    const emulator = fakeSesEmulator(() => `ses-${sent.length}`);
    runner = await startRunner({
      config: testRunnerConfig('runner-pause'),
      paused,
      onPauseChange: (p) => {
        changes.push(p);
      },
      engine: (h) => {
        hooks = h;
        const ses = h.wrapSes(emulator);
        return {
          sender: async (event: SqsEvent) => {
            for (const r of event.Records) {
              const to = (JSON.parse(r.body) as { detail: { to: string } }).detail.to;
              await ses.send(mail(to, 'shop'));
              sent.push(to);
            }
            return { batchItemFailures: [] };
          },
          feedback: async () => ({ batchItemFailures: [] }),
        };
      },
    });
    const client = new EventBridgeClient({ region: 'us-east-1', endpoint: runner.url, credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    const publish = async (...to: string[]) => {
      const out = await client.send(new PutEventsCommand({ Entries: to.map((t) => ({ EventBusName: 'shop-bus', Source: 'shop', DetailType: 'Email Request', Detail: JSON.stringify({ to: t, templateName: 'welcome' }) })) }));
      expect(out.FailedEntryCount).toBe(0);
    };
    return { sent, changes, publish, hooks: hooks!, ses: hooks!.wrapSes(emulator), client };
  }

  it('while paused, requests wait in the send queue, unreceived; on resume they go out', async () => {
    const { sent, changes, publish, client } = await start();
    const paused = await pauseRunner(runner!.url);
    expect(paused).toMatchObject({ paused: true, functions: { sender: { enabled: false } } });

    await publish('a@example.com', 'b@example.com', 'c@example.com');
    await sleep(300);
    expect(sent).toEqual([]);
    const waiting = await runnerState(runner!.url);
    expect(waiting.queues.send).toMatchObject({ visible: 3, inFlight: 0 });
    expect(waiting.idle).toBe(false);
    // Waiting does not spend the receive count, so nothing drifts towards the DLQ.
    expect(runner!.queues.send.list().map((m) => m.receiveCount)).toEqual([0, 0, 0]);

    const resumed = await resumeRunner(runner!.url);
    expect(resumed).toMatchObject({ paused: false, functions: { sender: { enabled: true } } });
    const deadline = Date.now() + 3000;
    while (sent.length < 3 && Date.now() < deadline) await sleep(10);
    expect(sent.sort()).toEqual(['a@example.com', 'b@example.com', 'c@example.com']);
    expect(changes).toEqual([true, false]);
    client.destroy();
  });

  it('pausing twice is one change; the state says so', async () => {
    const { changes } = await start();
    await pauseRunner(runner!.url);
    await pauseRunner(runner!.url);
    expect(changes).toEqual([true]);
    expect((await runnerState(runner!.url)).paused).toBe(true);
  });

  it('a runner started paused (it was paused before a restart) consumes nothing until resumed', async () => {
    const { sent, publish, client } = await start(true);
    expect(runner!.state()).toMatchObject({ paused: true, functions: { sender: { enabled: false } } });
    await publish('a@example.com');
    await sleep(200);
    expect(sent).toEqual([]);
    await runner!.resume();
    const deadline = Date.now() + 3000;
    while (sent.length < 1 && Date.now() < deadline) await sleep(10);
    expect(sent).toEqual(['a@example.com']);
    client.destroy();
  });

  it('while paused, SES refuses the engine’s configuration set with SendingPausedException (a send already under way)', async () => {
    const { ses } = await start();
    await runner!.pause();
    const err = await ses.send(mail('b@example.com', 'shop')).then(
      () => undefined,
      (e: unknown) => e as { name: string },
    );
    expect(err?.name).toBe('SendingPausedException');
    // Another configuration set is not this engine's, and is not paused.
    await expect(ses.send(mail('b@example.com', 'other'))).resolves.toMatchObject({ MessageId: expect.any(String) });
    await runner!.resume();
    await expect(ses.send(mail('b@example.com', 'shop'))).resolves.toBeDefined();
  });
});
