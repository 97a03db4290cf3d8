import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STACK_FRAME, runCli } from '../helpers/cli.js';
import { cliLocalDown, cliLocalUp } from '../helpers/local-stack.js';
import { tinyPdf } from '../helpers/pdf.js';
import { listReceivedEmails } from '../../src/local/index.js';
import { readLocalEndpoints } from '../../src/local/endpoints.js';

const STARTERS = fileURLToPath(new URL('../../starter-templates', import.meta.url));
const tracer = fileURLToPath(new URL('../fixtures/trace-loads.mjs', import.meta.url));
const isAwsSdk = (path: string) => /[/\\]node_modules[/\\]@(aws-sdk|smithy)[/\\]/.test(path);

/**
 * Issue 7's scenario, as a user runs it: the built CLI (dist/, built by test/global-setup.ts) in a
 * fresh project, on the local stack, each step a separate process.
 *
 *   local up → templates push → send --test --simulate bounce → status lookup shows bounced →
 *   suppression check shows suppressed → erase → lookup finds nothing (exit 4) →
 *   suppression check still blocks (only the keyed hash is left) → local down
 */
describe('operating the engine end to end (built CLI, local stack)', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'mailengine-e2e-operations-'));
  // Synthesised SES events after 50 ms instead of 250 ms: the same path, sooner.
  const run = (...args: string[]) => runCli(args, { cwd, env: { MAILENGINE_LOCAL_SES_EVENT_DELAY_MS: '50' } });
  let stateDir = '';
  let address = '';
  let emailId = '';

  beforeAll(async () => {
    cpSync(STARTERS, join(cwd, 'starter-templates'), { recursive: true });
    stateDir = await cliLocalUp(run);
  }, 120_000);

  afterAll(() => cliLocalDown(run, stateDir), 60_000);

  it('1. templates push --local --yes uploads the starters', async () => {
    const push = await run('templates', 'push', '--local', '--yes', 'starter-templates');
    expect(push.stderr).not.toMatch(STACK_FRAME);
    expect(push.code).toBe(0);
  }, 60_000);

  it('2. send --test --simulate bounce: published on the bus, bounced as expected, exit 0', async () => {
    const send = await run('send', '--test', '--simulate', 'bounce', '--local', '--template', 'welcome', '--json');
    expect(send.stderr).not.toMatch(STACK_FRAME);
    expect(send.code).toBe(0);
    const result = JSON.parse(send.stdout) as { emailId: string; to: string; expected: string; outcome: string; status: string; history: Array<{ event: string; time: string }> };
    expect(result).toMatchObject({ expected: 'bounced', outcome: 'bounced', status: 'bounced' });
    expect(result.history.map((h) => h.event)).toEqual(expect.arrayContaining(['sent', 'hard_bounce']));
    emailId = result.emailId;
    address = result.to;
    expect(address).toBe(`bounce+${emailId}@simulator.amazonses.com`);
  }, 60_000);

  it('3. status lookup --recipient shows it bounced, with its timeline', async () => {
    const lookup = await run('status', 'lookup', '--recipient', address, '--local', '--json');
    expect(lookup.code).toBe(0);
    const { emails } = JSON.parse(lookup.stdout) as { emails: Array<{ emailId: string; status: string; history: Array<{ event: string }> }> };
    expect(emails).toHaveLength(1);
    expect(emails[0]).toMatchObject({ emailId, status: 'bounced' });
    expect(emails[0].history.map((h) => h.event)).toContain('hard_bounce');
  }, 30_000);

  it('4. suppression check shows the address suppressed for the bounce', async () => {
    const check = await run('suppression', 'check', address, '--local', '--json');
    expect(check.code).toBe(0);
    expect(JSON.parse(check.stdout)).toMatchObject({ suppressed: true, engine: { reason: 'bounce' } });
  }, 30_000);

  it('5. erase --yes deletes the record, its history and the suppression entry (keeping a keyed hash)', async () => {
    const erase = await run('erase', address, '--local', '--yes', '--json');
    expect(erase.stderr).not.toMatch(STACK_FRAME);
    expect(erase.code).toBe(0);
    const receipt = JSON.parse(erase.stdout) as { deleted: { emails: number; suppressionEntries: number }; suppression: { kept: string } };
    expect(receipt.deleted).toMatchObject({ emails: 1, suppressionEntries: 1 });
    expect(receipt.suppression.kept).toBe('keyed-hash');
  }, 30_000);

  it('6. status lookup finds nothing: exit 4', async () => {
    const lookup = await run('status', 'lookup', '--recipient', address, '--local');
    expect(lookup.code).toBe(4);
    expect(lookup.stdout).toBe('');
    const byId = await run('status', 'lookup', '--email-id', emailId, '--local');
    expect(byId.code).toBe(4);
  }, 30_000);

  it('7. suppression check still blocks the address, through the hash alone; and the engine refuses to send to it', async () => {
    const check = await run('suppression', 'check', address, '--local', '--json');
    expect(check.code).toBe(0);
    expect(JSON.parse(check.stdout)).toMatchObject({ suppressed: true, engine: { hashed: true } });

    const again = await run('send', '--test', '--to', address, '--local', '--template', 'welcome', '--json');
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'suppressed', errorType: 'suppressed' });
    expect(JSON.parse(again.stderr.trim().split('\n').at(-1) as string).error).toMatchObject({ code: 'SEND_TEST_REJECTED' });
  }, 60_000);

  it('pause, stats and dlq list work on the same stack with the built CLI', async () => {
    const pause = await run('pause', '--local', '--yes', '--json');
    expect(pause.code).toBe(0);
    expect(JSON.parse(pause.stdout)).toMatchObject({ state: 'paused' });
    const resume = await run('resume', '--local', '--json');
    expect(JSON.parse(resume.stdout)).toMatchObject({ state: 'running' });
    const stats = await run('stats', '--local', '--json');
    expect(stats.code).toBe(0);
    // The erased email is gone from the statistics too; the refused one remains.
    expect(JSON.parse(stats.stdout)).toMatchObject({ counts: { requests: 1, suppressed: 1 } });
    const dlq = await run('dlq', 'list', '--local', '--json');
    expect(dlq.code).toBe(0);
    expect(JSON.parse(dlq.stdout)).toMatchObject({ total: 0 });
  }, 60_000);

  it('--help of each new command loads no AWS SDK module', async () => {
    for (const args of [['send', '--help'], ['pause', '--help'], ['resume', '--help'], ['dlq', 'list', '--help'], ['dlq', 'redrive', '--help'], ['stats', '--help']]) {
      const file = join(mkdtempSync(join(tmpdir(), 'mailengine-trace-')), 'loads.txt');
      const help = await runCli(args, { nodeArgs: ['--import', tracer], env: { TRACE_LOADS_FILE: file } });
      expect(help.code, args.join(' ')).toBe(0);
      const loaded = readFileSync(file, 'utf8').split('\n').filter(Boolean);
      expect(loaded.length).toBeGreaterThan(0);
      expect(loaded.filter(isAwsSdk), args.join(' ')).toEqual([]);
    }
  }, 60_000);

  it('send --test --attach: the invoice starter goes out with its PDF, which the inbox holds', async () => {
    const pdf = tinyPdf('Invoice INV-2026-0311');
    writeFileSync(join(cwd, 'invoice.pdf'), pdf);
    const send = await run('send', '--test', '--to', 'maya@customer.example', '--local', '--template', 'invoice', '--attach', 'invoice.pdf', '--json');
    expect(send.stderr).not.toMatch(STACK_FRAME);
    expect(send.code).toBe(0);
    expect(JSON.parse(send.stdout)).toMatchObject({ outcome: 'delivered', attachments: ['invoice.pdf'] });
    const [mail] = await listReceivedEmails(readLocalEndpoints(cwd).sesv2, { recipient: 'maya@customer.example' });
    expect(mail.attachments.map((a) => [a.filename, a.contentType])).toEqual([['invoice.pdf', 'application/pdf']]);
    expect(mail.attachments[0].content?.equals(Buffer.from(pdf))).toBe(true);

    // The lookup names the file by its key in the bucket, in both forms.
    const { emailId } = JSON.parse(send.stdout) as { emailId: string };
    const lookup = await run('status', 'lookup', '--email-id', emailId, '--local', '--json');
    expect(lookup.code).toBe(0);
    const [email] = (JSON.parse(lookup.stdout) as { emails: Array<{ attachments?: string[] }> }).emails;
    expect(email.attachments).toEqual([expect.stringMatching(/^attachments\/.+invoice\.pdf$/)]);
    const human = await run('status', 'lookup', '--email-id', emailId, '--local');
    expect(human.stdout).toContain(`  attachments ${email.attachments![0]}`);
  }, 60_000);
});
