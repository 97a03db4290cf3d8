import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePorts, startLocalStack, type LocalStackHandle } from '../../src/local/index.js';
import { runnerState } from '../../src/local/runner/client.js';
import { runCli } from '../helpers/cli.js';

const tracer = new URL('../fixtures/trace-loads.mjs', import.meta.url).pathname;
const isAwsSdk = (path: string) => /[/\\]node_modules[/\\]@(aws-sdk|smithy)[/\\]/.test(path);

// dist/cli.js is built by test/global-setup.ts. The local stack runs on free loopback ports in a
// temporary project directory, started without tables so that `deploy --local` creates them.
describe('deploy --local and info --local, as a user runs them', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'mailengine-deploy-local-'));
  let stack: LocalStackHandle | undefined;

  beforeAll(async () => {
    const [dynamodb, s3, sesv2, eventbridge] = await findFreePorts(4);
    stack = await startLocalStack({ dir: cwd, ports: { dynamodb, s3, sesv2, eventbridge }, inMemory: true });
  }, 180_000);

  afterAll(async () => {
    await stack?.stop({ purge: true });
  }, 60_000);

  it('deploy --local --yes creates the tables (keys, indexes, TTL) and the bucket from cfn/, then info --local --json reports them', async () => {
    const deployed = await runCli(['deploy', '--local', '--yes'], { cwd });
    expect(deployed.stderr).not.toMatch(/error/i);
    expect(deployed.code).toBe(0);
    expect(deployed.stdout).toContain('Stack mailengine provisioned on the local stack (engine');
    expect(deployed.stdout).toMatch(/TrackingTable\s+table mailengine-tracking: created/);
    // The runner started before the tables existed; it is restarted to serve them.
    expect(deployed.stderr).toContain('The engine runner now serves stack mailengine (it was restarted for it).');
    expect((await runnerState(stack!.endpoints.eventbridge)).engine).toMatchObject({ configured: true, stackName: 'mailengine', bus: 'mailengine-bus' });

    const info = await runCli(['info', '--local', '--json'], { cwd });
    expect(info.stderr).toBe('');
    expect(info.code).toBe(0);
    const report = JSON.parse(info.stdout);
    expect(report).toMatchObject({ target: 'local', stackName: 'mailengine', running: true });
    // The runner serves this stack now: its pause state and queue depths are part of info.
    expect(report.sending).toEqual({ state: 'running', configurationSetSending: true });
    expect(report.queues.map((q: { name: string; waiting: number }) => [q.name, q.waiting])).toEqual([['send', 0], ['send-dlq', 0], ['feedback', 0], ['feedback-dlq', 0]]);
    expect(report.notAvailable.join(' ')).not.toMatch(/pause state/);
    expect(report.tables).toEqual([
      { logicalId: 'TrackingTable', name: 'mailengine-tracking', status: 'ACTIVE', itemCount: 0, indexes: ['by-day', 'by-message-id', 'by-recipient', 'by-send-at'], ttlAttribute: 'expiresAt' },
      { logicalId: 'SuppressionTable', name: 'mailengine-suppression', status: 'ACTIVE', itemCount: 0, indexes: ['by-reason'], ttlAttribute: 'expiresAt' },
    ]);
    expect(report.buckets).toEqual([{ logicalId: 'TemplatesBucket', name: 'mailengine-templatesbucket', exists: true, objects: 0 }]);
    expect(report.parts.map((p: { name: string; state: string }) => [p.name, p.state])).toEqual([
      ['dynamodb', 'running'],
      ['s3', 'running'],
      ['sesv2', 'running'],
      ['eventbridge', 'running'],
    ]);
    const recorded = JSON.parse(readFileSync(join(cwd, '.mailengine', 'local', 'resources.json'), 'utf8'));
    expect(recorded.mailengine).toMatchObject({ TrackingTable: 'mailengine-tracking', SuppressionTable: 'mailengine-suppression' });
  }, 120_000);

  it('deploy --local again changes nothing and says so; another stack name gets its own tables', async () => {
    const again = await runCli(['deploy', '--local', '--yes'], { cwd });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/TrackingTable\s+table mailengine-tracking: existing/);
    expect(again.stderr).toContain('Stack mailengine was already provisioned on the local stack');

    const other = await runCli(['deploy', '--local', '--stack', 'shop'], { cwd });
    expect(other.code).toBe(0);
    // Deploying a stack makes the runner serve it, as `local up --stack shop` would.
    expect((await runnerState(stack!.endpoints.eventbridge)).engine).toMatchObject({ configured: true, stackName: 'shop', bus: 'shop-bus' });
    const info = JSON.parse((await runCli(['info', '--local', '--json', '--stack', 'shop'], { cwd })).stdout);
    expect(info.tables.map((t: { name: string }) => t.name)).toEqual(['shop-tracking', 'shop-suppression']);
  }, 120_000);

  it('info --local for a stack never provisioned: exit 4', async () => {
    const run = await runCli(['info', '--local', '--stack', 'nothing'], { cwd });
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('Stack nothing is not provisioned on the local stack.');
  });

  it('--help of deploy, destroy and info loads no AWS SDK module', async () => {
    for (const command of ['deploy', 'destroy', 'info']) {
      const file = join(mkdtempSync(join(tmpdir(), 'mailengine-trace-')), 'loads.txt');
      const run = await runCli([command, '--help'], { nodeArgs: ['--import', tracer], env: { TRACE_LOADS_FILE: file } });
      expect(run.code).toBe(0);
      const loaded = readFileSync(file, 'utf8').split('\n').filter(Boolean);
      expect(loaded.length).toBeGreaterThan(0);
      expect(loaded.filter(isAwsSdk), command).toEqual([]);
    }
  });
});

describe('deploy --local without a running local stack', () => {
  it('exit 3 and the command that starts it', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'mailengine-deploy-local-down-'));
    const run = await runCli(['deploy', '--local', '--yes'], { cwd });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('The local stack is not running in this directory');
    expect(run.stderr).toContain('mailengine local up');
  });
});
