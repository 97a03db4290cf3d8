import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runInProcess } from '../../helpers/in-process.js';

/**
 * A project whose local stack was provisioned (`local up` recorded its endpoints and resources)
 * but is not running now: every --local command must say so, exit 3, and point at `local up`,
 * never "Unexpected error: connect ECONNREFUSED … This is a bug".
 */
const cwd = mkdtempSync(join(tmpdir(), 'mailengine-local-down-'));
writeFileSync(join(cwd, 'list.csv'), 'ann@customer.example\n');

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  const state = join(cwd, '.mailengine', 'local');
  mkdirSync(state, { recursive: true });
  const url = async () => `http://127.0.0.1:${await closedPort()}`;
  const endpoints = { dynamodb: await url(), s3: await url(), sesv2: await url(), eventbridge: await url(), inbox: await url() };
  writeFileSync(join(state, 'endpoints.json'), JSON.stringify(endpoints));
  writeFileSync(
    join(state, 'resources.json'),
    JSON.stringify({ 'shop-dev': { TrackingTable: 'shop-dev-tracking', SuppressionTable: 'shop-dev-suppression', TemplatesBucket: 'shop-dev-templates' } }),
  );
});

describe('--local with the local stack down: exit 3, "not answering", and how to start it', () => {
  it.each([
    [['status', 'lookup', '--email-id', 'order-1']],
    [['status', 'lookup', '--recipient', 'ann@customer.example']],
    [['suppression', 'check', 'ann@customer.example']],
    [['suppression', 'list']],
    [['suppression', 'add', 'ann@customer.example']],
    [['suppression', 'import', 'list.csv']],
    [['erase', 'ann@customer.example', '--yes']],
    [['erase', 'ann@customer.example', '--dry-run']],
    [['send', '--test', '--simulate', 'success', '--template', 'welcome']],
    [['stats']],
    [['pause', '--yes']],
    [['dlq', 'list']],
    [['templates', 'list']],
  ])('%j', async (argv) => {
    const out = await runInProcess([...argv, '--local', '--stack', 'shop-dev', '--json'], { cwd });
    const { error } = JSON.parse(out.stderr) as { error: { code: string; message: string; suggestion: string } };
    expect(error.code).toBe('LOCAL_STACK_DOWN');
    expect(error.message).toMatch(/^The local stack is not answering at http:\/\/127\.0\.0\.1:\d+[. ]/);
    expect(error.suggestion).toContain('mailengine local up');
    expect(out.code).toBe(3);
  });
});
