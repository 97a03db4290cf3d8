import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLER_IDENTITY, FakeAws } from '../../helpers/fake-aws.js';
import { runInProcess } from '../../helpers/in-process.js';

/**
 * No credentials anywhere: every AWS-facing command must stop with exit 3 and the way to fix it,
 * before a single request leaves the machine. AWS_ENDPOINT_URL points every client at a loopback
 * server that counts requests; it must see none.
 */
const fake = new FakeAws(() => CALLER_IDENTITY);
const saved = { ...process.env };
const cwd = mkdtempSync(join(tmpdir(), 'mailengine-nocreds-'));
writeFileSync(join(cwd, 'list.csv'), 'ann@customer.example\n');

beforeAll(async () => {
  await fake.start();
  for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI']) delete process.env[key];
  process.env.AWS_ENDPOINT_URL = fake.url;
});
afterAll(async () => {
  process.env = saved;
  await fake.stop();
});

describe('no AWS credentials: exit 3, nothing sent', () => {
  it.each([
    [['status', 'lookup', '--recipient', 'ann@customer.example']],
    [['suppression', 'check', 'ann@customer.example']],
    [['suppression', 'list']],
    [['suppression', 'import', 'list.csv']],
    [['erase', 'ann@customer.example', '--yes']],
    [['domain', 'verify', 'shop.example']],
    [['domain', 'status', 'shop.example']],
    [['domain', 'check', 'shop.example']],
    [['send', '--test', '--simulate', 'bounce', '--template', 'welcome']],
    [['pause', '--yes']],
    [['resume']],
    [['dlq', 'list']],
    [['dlq', 'redrive', '--yes']],
    [['stats', '--days', '30']],
  ])('%j', async (argv) => {
    fake.requests.length = 0;
    const out = await runInProcess([...argv, '--region', 'eu-west-1', '--json'], { cwd });
    expect(out.code).toBe(3);
    expect(out.stdout).toBe('');
    expect(JSON.parse(out.stderr).error).toMatchObject({ code: 'CREDENTIALS_MISSING', exitCode: 3 });
    expect(fake.requests).toHaveLength(0);
  });

  it('bad input is found before credentials are looked for: --to nope is exit 2', async () => {
    const out = await runInProcess(['send', '--test', '--to', 'nope', '--template', 'welcome', '--region', 'eu-west-1', '--json'], { cwd });
    expect(out.code).toBe(2);
    expect(JSON.parse(out.stderr).error).toMatchObject({ code: 'INVALID_ADDRESS' });
    expect(fake.requests).toHaveLength(0);
  });
});
