import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { describe, expect, it } from 'vitest';
import { RUNNER_ENV, runnerConfigSchema } from '../../../src/local/runner/config.js';
import { resolveRunnerConfig } from '../../../src/local/runner/resolve-config.js';
import { sendRateLimiter, withSesSimulation, type SesSendHooks } from '../../../src/local/runner/ses-client.js';
import { localEndpointsFor } from '../../../src/local/endpoints.js';
import { tempProject } from '../../helpers/local.js';

const hooks: SesSendHooks = { isSendingPaused: () => false, onSent() {} };

function fakeSes() {
  const calls: unknown[] = [];
  return { calls, client: { send: async (command: unknown) => (calls.push(command), { MessageId: `m-${calls.length}`, $metadata: {} }) } };
}

const sendEmail = () => new SendEmailCommand({ FromEmailAddress: 'a@example.com', Destination: { ToAddresses: ['b@example.com'] }, Content: { Simple: { Subject: { Data: 's' }, Body: { Text: { Data: 't' } } } } });

describe('SES max send rate (local runner)', () => {
  it('lets a second of sends through, then refills at the rate', () => {
    let now = 0;
    const take = sendRateLimiter(2, () => now);
    expect([take(), take(), take()]).toEqual([true, true, false]);
    now = 499;
    expect(take()).toBe(false);
    now = 500;
    expect(take()).toBe(true);
    now = 10_000;
    // Idle time never banks more than one second's worth.
    expect([take(), take(), take()]).toEqual([true, true, false]);
  });

  it('refuses a SendEmail over the rate as SES does, without calling the emulator', async () => {
    const ses = fakeSes();
    const client = withSesSimulation(ses.client, hooks, { maxSendRate: 1, now: () => 0 });
    await client.send(sendEmail());
    const refused = await client.send(sendEmail()).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).toMatchObject({ name: 'TooManyRequestsException', $metadata: { httpStatusCode: 429 } });
    expect(ses.calls).toHaveLength(1);
  });

  it('refuses every SendEmail while told to throttle (a fault switch), and counts the refusals', async () => {
    const ses = fakeSes();
    let throttled = true;
    let refusals = 0;
    const client = withSesSimulation(ses.client, { ...hooks, onThrottled: () => void refusals++ }, { throttled: () => throttled });
    for (let i = 0; i < 3; i++) await expect(client.send(sendEmail())).rejects.toMatchObject({ name: 'TooManyRequestsException', $metadata: { httpStatusCode: 429 } });
    throttled = false;
    await client.send(sendEmail());
    expect([ses.calls.length, refusals]).toEqual([1, 3]);
  });

  it('does not limit other calls, nor anything when no rate is set', async () => {
    const ses = fakeSes();
    const limited = withSesSimulation(ses.client, hooks, { maxSendRate: 1, now: () => 0 });
    await limited.send(sendEmail());
    await limited.send({ input: {} });
    const unlimited = withSesSimulation(ses.client, hooks);
    for (let i = 0; i < 5; i++) await unlimited.send(sendEmail());
    expect(ses.calls).toHaveLength(7);
  });

  it('takes the rate from MAILENGINE_LOCAL_SES_MAX_SEND_RATE', async () => {
    const project = tempProject('runner-throttle');
    const base = { project, dataDir: project, host: '127.0.0.1', port: 4513, region: 'us-east-1', endpoints: localEndpointsFor({ dynamodb: 4510, s3: 4511, sesv2: 4512, eventbridge: 4513 }) };
    const limited = await resolveRunnerConfig({ ...base, env: { [RUNNER_ENV.sesMaxSendRate]: '14' } });
    expect(limited.sesMaxSendRate).toBe(14);
    expect(runnerConfigSchema.parse(limited).sesMaxSendRate).toBe(14);
    for (const value of [undefined, '0', 'fast']) {
      const config = await resolveRunnerConfig({ ...base, env: value === undefined ? {} : { [RUNNER_ENV.sesMaxSendRate]: value } });
      expect(config.sesMaxSendRate).toBeUndefined();
    }
  });
});
