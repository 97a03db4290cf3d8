import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STACK_FRAME, runCli } from '../helpers/cli.js';
import { cliLocalDown, cliLocalUp } from '../helpers/local-stack.js';

const STARTERS = fileURLToPath(new URL('../../starter-templates', import.meta.url));

/**
 * Scheduled sends as a user runs them: the built CLI in a fresh project, on the local stack.
 *
 *   send --test --at → status lookup --status scheduled lists it → send cancel → send reschedule
 *   to a moment from now → it is delivered at its time → cancelling it now exits 1 → local down
 */
describe('scheduled sends from the CLI (built CLI, local stack)', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'mailengine-e2e-schedule-'));
  const run = (...args: string[]) => runCli(args, { cwd, env: { MAILENGINE_LOCAL_SES_EVENT_DELAY_MS: '50' } });
  let stateDir = '';

  beforeAll(async () => {
    cpSync(STARTERS, join(cwd, 'starter-templates'), { recursive: true });
    stateDir = await cliLocalUp(run);
    expect((await run('templates', 'push', '--local', '--yes', 'starter-templates')).code).toBe(0);
  }, 120_000);

  afterAll(() => cliLocalDown(run, stateDir), 60_000);

  it('send --test --at: the engine holds the email as scheduled, and the command says how to follow, move or cancel it', async () => {
    for (const [emailId, at] of [['sched-later', '+2h'], ['sched-sooner', '+1h']]) {
      const send = await run('send', '--test', '--simulate', 'success', '--local', '--template', 'welcome', '--email-id', emailId, '--at', at, '--json');
      expect(send.stderr).not.toMatch(STACK_FRAME);
      expect(send.code).toBe(0);
      expect(JSON.parse(send.stdout)).toMatchObject({ emailId, ok: true, outcome: 'scheduled', status: 'scheduled', sendAt: expect.any(String) });
    }
    const text = await run('send', '--test', '--simulate', 'success', '--local', '--template', 'welcome', '--email-id', 'sched-text', '--at', '+3h');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/✔ scheduled for \d{4}-\d\d-\d\dT/);
    // Each follow-up names this engine, so it can be pasted as it stands.
    expect(text.stdout).toContain('`mailengine status lookup --email-id sched-text --local`');
    expect(text.stdout).toContain('`mailengine send reschedule sched-text --at <time> --local`');
    expect(text.stdout).toContain('`mailengine send cancel sched-text --local`');
  }, 60_000);

  it('status lookup --status scheduled lists what is pending, soonest first', async () => {
    const lookup = await run('status', 'lookup', '--status', 'scheduled', '--local', '--json');
    expect(lookup.code).toBe(0);
    const { emails } = JSON.parse(lookup.stdout) as { emails: Array<{ emailId: string; status: string; sendAt: string }> };
    expect(emails.map((e) => e.emailId)).toEqual(['sched-sooner', 'sched-later', 'sched-text']);
    expect(emails.every((e) => e.status === 'scheduled')).toBe(true);
    const text = await run('status', 'lookup', '--status', 'scheduled', '--local');
    expect(text.stdout).toMatch(/^3 scheduled emails, soonest first/);
  });

  it('send cancel: cancelled (exit 0), again: already cancelled (exit 0), unknown: exit 4', async () => {
    const cancel = await run('send', 'cancel', 'sched-later', '--local', '--json');
    expect(cancel.code).toBe(0);
    expect(JSON.parse(cancel.stdout)).toMatchObject({ emailId: 'sched-later', status: 'cancelled', alreadyCancelled: false });
    const again = await run('send', 'cancel', 'sched-later', '--local');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('sched-later was already cancelled');
    const unknown = await run('send', 'cancel', 'sched-nobody', '--local');
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain('No email with emailId "sched-nobody"');
    const lookup = await run('status', 'lookup', '--email-id', 'sched-later', '--local', '--json');
    expect(JSON.parse(lookup.stdout).emails[0]).toMatchObject({ status: 'cancelled', cancelledAt: expect.any(String) });
  });

  it('send reschedule to a moment from now: it is delivered then; cancelling it afterwards exits 1 and says what it is', async () => {
    const move = await run('send', 'reschedule', 'sched-sooner', '--at', '+3s', '--local');
    expect(move.stderr).not.toMatch(STACK_FRAME);
    expect(move.code).toBe(0);
    expect(move.stdout).toMatch(/✔ sched-sooner is now to be sent at .* \(was .*\)\./);

    let status = '';
    for (const deadline = Date.now() + 45_000; Date.now() < deadline && status !== 'delivered'; ) {
      const lookup = await run('status', 'lookup', '--email-id', 'sched-sooner', '--local', '--json');
      status = (JSON.parse(lookup.stdout) as { emails: Array<{ status: string }> }).emails[0].status;
      if (status !== 'delivered') await new Promise((r) => setTimeout(r, 500));
    }
    expect(status).toBe('delivered');

    const late = await run('send', 'cancel', 'sched-sooner', '--local');
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/sched-sooner .* is delivered .*not scheduled: it cannot be cancelled/);
    const moveSent = await run('send', 'reschedule', 'sched-sooner', '--at', '+1h', '--local');
    expect(moveSent.code).toBe(1);
  }, 90_000);

  it('bad input is exit 2 before anything is touched', async () => {
    expect((await run('send', 'reschedule', 'sched-text', '--at', 'next week', '--local')).code).toBe(2);
    expect((await run('send', 'cancel', 'not an id', '--local')).code).toBe(2);
    expect((await run('status', 'lookup', '--status', 'sent', '--local')).code).toBe(2);
    const lookup = await run('status', 'lookup', '--email-id', 'sched-text', '--local', '--json');
    expect(JSON.parse(lookup.stdout).emails[0].status).toBe('scheduled');
  });
});
