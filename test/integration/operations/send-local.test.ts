import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStackHandle } from '../../../src/local/index.js';
import { runnerSends, runnerState } from '../../../src/local/runner/client.js';
import type { SendTestResult } from '../../../src/operations/send-test.js';
import type { SendingControlResult } from '../../../src/operations/sending-control.js';
import { putStarterTemplate, startTestStack, stopTestStack, type TestStack } from '../../helpers/local-stack.js';
import { runInProcess } from '../../helpers/in-process.js';

/**
 * `send --test`, `pause` and `resume` on the local stack: the real bus (the runner's PutEvents),
 * the real Sender and Feedback, the SES emulator, and SES events synthesised for the mailbox
 * simulator's addresses. Nothing here is mocked.
 */
const STACK = 'sendtest';
let local: TestStack | undefined;
let stack: LocalStackHandle;

beforeAll(async () => {
  local = await startTestStack('local-send', STACK, { sesEventDelayMs: 50 });
  stack = local.handle;
  await putStarterTemplate(local, 'welcome');
}, 120_000);

afterAll(async () => {
  await stopTestStack(local);
}, 60_000);

const run = (...argv: string[]) => runInProcess([...argv, '--local', '--stack', STACK], { cwd: stack.dir });
const send = (...argv: string[]) => run('send', '--test', '--template', 'welcome', ...argv);

describe('send --test --simulate on the local stack', () => {
  it.each([
    ['success', 'delivered', ['sent', 'delivery']],
    ['bounce', 'bounced', ['sent', 'hard_bounce']],
    ['complaint', 'complained', ['sent', 'delivery', 'complaint']],
    ['ooto', 'delivered', ['sent', 'delivery']],
    ['suppressed', 'bounced', ['sent', 'hard_bounce']],
  ])('--simulate %s ends %s: exit 0, the timeline in --json', async (simulate, expected, events) => {
    const out = await send('--simulate', simulate, '--json');
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const result = out.json<SendTestResult>();
    expect(result).toMatchObject({ expected, outcome: expected, ok: true, timedOut: false, dataSource: 'sample-data', template: 'welcome' });
    expect(result.emailId).toMatch(/^test-\d{8}-\d{6}-[0-9a-f]{6}$/);
    // A label per run: one run's bounce never suppresses the next run's address.
    const mailbox = simulate === 'suppressed' ? 'suppressionlist' : simulate;
    expect(result.to).toBe(`${mailbox}+${result.emailId}@simulator.amazonses.com`);
    expect(result.history.map((h) => h.event)).toEqual(expect.arrayContaining(events));
    expect(result.history.every((h) => typeof h.time === 'string')).toBe(true);
  }, 30_000);

  it('prints the timeline as a table, and progress on stderr', async () => {
    const out = await send('--simulate', 'bounce', '--email-id', 'order-77-welcome');
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^Test email order-77-welcome → bounce\+order-77-welcome@simulator\.amazonses\.com$/m);
    expect(out.stdout).toContain('template welcome with its sampleData · simulate bounce · expected bounced');
    expect(out.stdout).toMatch(/│ time +│ since request +│ event +│ status +│ details +│/);
    expect(out.stdout).toMatch(/│ \S+Z +│ \+\d+\.\d s +│ hard_bounce +│ bounced +│ bounceSubType=General/);
    expect(out.stdout).toMatch(/✔ bounced, as expected \(\d+\.\d s\)\.$/m);
    expect(out.stderr).toContain('Published order-77-welcome to bounce+order-77-welcome@simulator.amazonses.com on sendtest-bus');
  }, 30_000);

  it('--to a real address with --data: delivered, exit 0', async () => {
    const out = await send('--to', 'Ada@Customer.example', '--data', '{"userName":"Ada"}', '--json');
    expect(out.code).toBe(0);
    expect(out.json<SendTestResult>()).toMatchObject({ to: 'ada@customer.example', expected: 'delivered', outcome: 'delivered', dataSource: 'data' });
  }, 30_000);

  it('--data-file: the template data from a JSON file', async () => {
    writeFileSync(join(stack.dir, 'data.json'), '{"userName":"Grace"}');
    const out = await send('--simulate', 'ooto', '--data-file', 'data.json', '--json');
    expect(out.code).toBe(0);
    expect(out.json<SendTestResult>()).toMatchObject({ dataSource: 'data-file', outcome: 'delivered' });
  }, 30_000);

  it('an outcome other than the one asked for is exit 1 and says both', async () => {
    // --to expects a delivery; the simulator's bounce mailbox bounces.
    const out = await send('--to', 'bounce@simulator.amazonses.com', '--json');
    expect(out.code).toBe(1);
    expect(out.json<SendTestResult>()).toMatchObject({ expected: 'delivered', outcome: 'bounced', ok: false });
    expect(JSON.parse(out.stderr).error).toMatchObject({ code: 'SEND_TEST_UNEXPECTED_OUTCOME', exitCode: 1 });
  }, 30_000);

  it('an unknown template: the engine records template_not_found; exit 1 with that errorType', async () => {
    const out = await run('send', '--test', '--simulate', 'success', '--template', 'no-such-template', '--json');
    expect(out.code).toBe(1);
    expect(out.json<SendTestResult>()).toMatchObject({ status: 'failed', outcome: 'failed', errorType: 'template_not_found', ok: false });
    const lines = out.stderr.trim().split('\n');
    expect(lines[0]).toContain('There is no template no-such-template on the local stack (sendtest); sending anyway');
    expect(JSON.parse(lines.at(-1) as string).error).toMatchObject({ code: 'SEND_TEST_REJECTED', exitCode: 1, details: { errorType: 'template_not_found' } });

    const human = await run('send', '--test', '--simulate', 'success', '--template', 'no-such-template');
    expect(human.stdout).toMatch(/✖ failed \(template_not_found\), expected delivered\.$/m);
    expect(human.stderr).toMatch(/error: The engine did not send test-\S+: template_not_found \(no template named "no-such-template"/);
  }, 30_000);

  it('data missing a variable the template contract requires: template_data_invalid, exit 1', async () => {
    const out = await send('--simulate', 'success', '--data', '{}', '--json');
    expect(out.code).toBe(1);
    expect(out.json<SendTestResult>()).toMatchObject({ status: 'failed', errorType: 'template_data_invalid' });
  }, 30_000);

  it('a recipient the engine has suppressed: the record is suppressed; exit 1 with errorType suppressed', async () => {
    const first = await send('--simulate', 'bounce', '--email-id', 'supp-1', '--json');
    expect(first.code).toBe(0);
    const out = await send('--to', first.json<SendTestResult>().to, '--json');
    expect(out.code).toBe(1);
    expect(out.json<SendTestResult>()).toMatchObject({ status: 'suppressed', errorType: 'suppressed' });
    expect(JSON.parse(out.stderr).error).toMatchObject({ code: 'SEND_TEST_REJECTED', details: { errorType: 'suppressed' } });
  }, 30_000);

  it('an --email-id already in use is exit 2 before anything is published', async () => {
    expect((await send('--simulate', 'success', '--email-id', 'dup-1')).code).toBe(0);
    const before = (await runnerState(stack.endpoints.eventbridge)).sends;
    const out = await send('--simulate', 'success', '--email-id', 'dup-1');
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('emailId dup-1 already belongs to an email on the local stack (sendtest) (delivered');
    expect((await runnerState(stack.endpoints.eventbridge)).sends).toBe(before);
  }, 30_000);
});

describe('bad input for send --test: exit 2, nothing published', () => {
  it.each([
    [['--to', 'nope'], 'INVALID_ADDRESS'],
    [['--simulate', 'bounce', '--to', 'ada@customer.example'], 'SEND_TARGET_AMBIGUOUS'],
    [[], 'SEND_TARGET_MISSING'],
    [['--simulate', 'explode'], 'INVALID_OPTION'],
    [['--simulate', 'success', '--data', '{not json'], 'INVALID_TEMPLATE_DATA'],
    [['--simulate', 'success', '--data', '[1,2]'], 'INVALID_TEMPLATE_DATA'],
    [['--simulate', 'success', '--data', '{}', '--data-file', 'data.json'], 'SEND_DATA_AMBIGUOUS'],
    [['--simulate', 'success', '--data-file', 'missing.json'], 'DATA_FILE_UNREADABLE'],
    [['--simulate', 'success', '--email-id', 'has spaces'], 'INVALID_EMAIL_ID'],
    [['--simulate', 'success', '--timeout', '0'], 'INVALID_OPTION'],
    [['--simulate', 'success', '--template', 'bad/name'], 'INVALID_REQUEST'],
  ])('%j → %s', async (argv, code) => {
    const before = (await runnerState(stack.endpoints.eventbridge)).sends;
    const out = await run('send', '--test', '--template', 'welcome', ...argv, '--json');
    expect(out.code).toBe(2);
    expect(out.stdout).toBe('');
    expect(JSON.parse(out.stderr).error).toMatchObject({ code, exitCode: 2 });
    expect((await runnerState(stack.endpoints.eventbridge)).sends).toBe(before);
  });

  it('send without --test says what send is for', async () => {
    const out = await run('send', '--simulate', 'success', '--template', 'welcome');
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('The send command sends test emails only: add --test.');
  });

  it('--template is required', async () => {
    const out = await run('send', '--test', '--simulate', 'success');
    expect(out.code).toBe(2);
    expect(out.stderr).toContain("required option '--template <name>' not specified");
  });
});

describe('pause and resume on the local stack', () => {
  it('pause needs --yes without a terminal (exit 2, nothing changed); with --yes it pauses, and again changes nothing', async () => {
    const refused = await run('pause');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--yes');
    expect((await runnerState(stack.endpoints.eventbridge)).paused).toBe(false);

    const first = await run('pause', '--yes', '--json');
    expect(first.code).toBe(0);
    expect(first.json<SendingControlResult>()).toMatchObject({ action: 'pause', changed: true, before: 'running', state: 'paused', configurationSetSending: false, local: true });
    const again = await run('pause', '--yes');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^The local engine sendtest is already paused; nothing was changed\.$/m);

    const resumed = await run('resume', '--json');
    expect(resumed.json<SendingControlResult>()).toMatchObject({ action: 'resume', changed: true, before: 'paused', state: 'running' });
    expect((await run('resume')).stdout).toMatch(/already running; nothing was changed/);
  });

  it('while paused a send waits (a short --timeout ends in exit 1, no record); after resume it goes out', async () => {
    expect((await run('pause', '--yes')).code).toBe(0);
    const waited = await send('--simulate', 'success', '--email-id', 'paused-1', '--timeout', '1', '--json');
    expect(waited.code).toBe(1);
    expect(waited.json<SendTestResult>()).toMatchObject({ timedOut: true, outcome: null, status: null, history: [] });
    const error = JSON.parse(waited.stderr).error;
    expect(error).toMatchObject({ code: 'SEND_TEST_TIMEOUT', message: 'No outcome for paused-1 within 1.0 s: no tracking record had appeared.' });
    expect(error.suggestion).toContain('is the engine paused');

    // A second send started while paused, finished by the resume.
    const pending = send('--simulate', 'success', '--email-id', 'paused-2', '--timeout', '30', '--json');
    const deadline = Date.now() + 10_000;
    while ((await runnerState(stack.endpoints.eventbridge)).queues.send.visible < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const paused = await run('pause', '--yes', '--json');
    expect(paused.json<SendingControlResult>()).toMatchObject({ state: 'paused', changed: false, waiting: 2 });

    // info --local reads the same runner: paused, two waiting.
    const info = await run('info', '--json');
    expect(info.code).toBe(0);
    const report = info.json<{ sending: unknown; queues: Array<{ name: string; waiting: number }>; notAvailable: string[] }>();
    expect(report.sending).toEqual({ state: 'paused', configurationSetSending: false });
    expect(report.queues.map((q) => [q.name, q.waiting])).toEqual([['send', 2], ['send-dlq', 0], ['feedback', 0], ['feedback-dlq', 0]]);
    expect(report.notAvailable.join(' ')).not.toMatch(/pause state|queue/);
    const shown = await run('info');
    expect(shown.stdout).toMatch(/sending\s+PAUSED \(configuration set sending off\)/);
    expect(shown.stdout).toMatch(/queues\s+send 2 waiting, 0 in flight/);

    const resumed = await run('resume');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/^The local engine sendtest is resumed\.$/m);
    const out = await pending;
    expect(out.code).toBe(0);
    expect(out.json<SendTestResult>()).toMatchObject({ emailId: 'paused-2', outcome: 'delivered', ok: true });
    // The request that timed out was not lost either: it went out on resume.
    const sent = Date.now() + 10_000;
    while (!(await runnerSends(stack.endpoints.eventbridge, 'paused-1')).length && Date.now() < sent) await new Promise((r) => setTimeout(r, 50));
    expect(await runnerSends(stack.endpoints.eventbridge, 'paused-1')).toHaveLength(1);
  }, 60_000);
});

/** Splits a printed command line as a POSIX shell would, for the quoting `withTargetFlags` uses. */
function shellWords(line: string): string[] {
  return [...line.matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g)].map((m) => (m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : m[2]));
}

describe('follow-up commands printed by a --local run', () => {
  it('carry --local and --stack, and run as pasted', async () => {
    const outputs = [
      await send('--simulate', 'success', '--email-id', 'hint-1'),
      await send('--simulate', 'success', '--email-id', 'hint-2'),
      await run('status', 'lookup', '--since', '1h', '--limit', '1'),
      await run('pause', '--yes'),
      await run('resume'),
      await run('status', 'lookup', '--recipient', 'nobody@customer.example'),
      await runInProcess(['status', 'lookup', '--email-id', 'hint-1', '--local', '--stack', 'nothing-here'], { cwd: stack.dir }),
    ];
    const hints = outputs.flatMap((o) => [...`${o.stdout}\n${o.stderr}`.matchAll(/(?:`|^|: )(mailengine [a-z][^`\n]*)/gm)].map((m) => m[1].trim()));
    expect(hints.length).toBeGreaterThanOrEqual(4);
    expect(hints.some((h) => h.startsWith('mailengine status lookup --next'))).toBe(true);
    for (const hint of hints) {
      const argv = shellWords(hint).slice(1);
      // The local stack's own commands act on this machine whatever the target: --local is not theirs to need.
      if (argv[0] !== 'local') expect(argv, hint).toContain('--local');
      expect(argv.join(' '), hint).toMatch(/--stack (sendtest|nothing-here)\b/);
      // Pasted, it acts on the same engine: no "no region", no "no such engine" for sendtest.
      // `local up` would restart this file's local stack; that it carries the flags is enough here.
      if (argv[0] === 'local') continue;
      const pasted = await runInProcess([...argv, '--yes'], { cwd: stack.dir });
      expect(pasted.stderr, hint).not.toMatch(/No AWS region|REGION_MISSING/);
      if (argv.includes('sendtest')) expect(pasted.stderr, hint).not.toMatch(/has no engine named|serves .* not sendtest/);
    }
  }, 60_000);
});
