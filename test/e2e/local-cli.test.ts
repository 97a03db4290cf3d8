import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Part } from '../../src/local/parts/s3.js';
import { localStatePaths, writeRunRecord } from '../../src/local/state.js';
import { runCli } from '../helpers/cli.js';
import { FIXTURE_TEMPLATE, freePorts, isAlive, processesMentioning, tempProject } from '../helpers/local.js';

// dist/cli.js is built by test/global-setup.ts before any test file runs.
describe('mailengine local, as a user runs it', () => {
  const cwd = tempProject('cli');
  let portFlags: string[] = [];
  let ports: Awaited<ReturnType<typeof freePorts>>;
  const run = (...args: string[]) => runCli(args, { cwd });

  beforeAll(async () => {
    ports = await freePorts();
    portFlags = ['--dynamodb-port', String(ports.dynamodb), '--s3-port', String(ports.s3), '--ses-port', String(ports.sesv2), '--eventbridge-port', String(ports.eventbridge)];
  });

  afterAll(async () => {
    // Whatever happened above, leave nothing running.
    await run('local', 'down');
  }, 60_000);

  it('up --json starts and provisions the stack, prints endpoints, environment and inbox, and returns while it runs', async () => {
    const up = await run('local', 'up', '--json', '--in-memory', '--template', FIXTURE_TEMPLATE, ...portFlags);
    expect(up.stderr).not.toMatch(/error/i);
    expect(up.code).toBe(0);
    const result = JSON.parse(up.stdout);
    const sesv2 = `http://127.0.0.1:${ports.sesv2}`;
    expect(result.endpoints).toEqual({
      dynamodb: `http://127.0.0.1:${ports.dynamodb}`,
      s3: `http://127.0.0.1:${ports.s3}`,
      sesv2,
      eventbridge: `http://127.0.0.1:${ports.eventbridge}`,
      inbox: `${sesv2}/`,
    });
    expect(result.env).toMatchObject({
      AWS_ENDPOINT_URL_DYNAMODB: result.endpoints.dynamodb,
      AWS_ENDPOINT_URL_S3: result.endpoints.s3,
      AWS_ENDPOINT_URL_SESV2: sesv2,
      AWS_ENDPOINT_URL_EVENTBRIDGE: result.endpoints.eventbridge,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    });
    expect(result.inbox).toBe(`${sesv2}/`);
    expect(result.parts.map((p: { name: string; state: string }) => [p.name, p.state])).toEqual([
      ['dynamodb', 'started'],
      ['s3', 'started'],
      ['sesv2', 'started'],
      ['eventbridge', 'started'],
    ]);
    // The stack name comes from the settings: the default is "mailengine".
    expect(result.provisioned.tables.map((t: { name: string; status: string }) => [t.name, t.status])).toEqual([
      ['mailengine-tracking', 'created'],
      ['mailengine-suppression', 'created'],
    ]);
    expect(result.parts.every((p: { pid: number }) => isAlive(p.pid))).toBe(true);
  }, 120_000);

  it('status --json reports every part running and healthy', async () => {
    const status = await run('local', 'status', '--json');
    expect(status.code).toBe(0);
    const result = JSON.parse(status.stdout);
    expect(result.running).toBe(true);
    expect(result.parts.map((p: { name: string; state: string; healthy: boolean; port: number }) => [p.name, p.state, p.healthy, p.port])).toEqual([
      ['dynamodb', 'running', true, ports.dynamodb],
      ['s3', 'running', true, ports.s3],
      ['sesv2', 'running', true, ports.sesv2],
      ['eventbridge', 'running', true, ports.eventbridge],
    ]);
    for (const part of result.parts as Array<{ name: keyof typeof ports; listening: string[]; exposed: string[] }>) {
      expect(part.listening, part.name).toContain(`127.0.0.1:${ports[part.name]}`);
      expect(part.exposed, part.name).toEqual([]);
    }
  });

  it('status shows where each part listens', async () => {
    const status = await run('local', 'status');
    expect(status.code).toBe(0);
    const [header, ...rows] = status.stdout.split('\n');
    expect(header).toMatch(/^PART\s+STATE\s+HEALTHY\s+PID\s+ENDPOINT\s+LISTENING$/);
    expect(rows[0]).toMatch(new RegExp(`^DynamoDB Local .* http://127\\.0\\.0\\.1:${ports.dynamodb}\\s+127\\.0\\.0\\.1:${ports.dynamodb}$`));
    expect(rows[1]).toMatch(new RegExp(`^S3 \\(s3rver\\) .* 127\\.0\\.0\\.1:${ports.s3}$`));
    expect(status.stdout).not.toContain('EXPOSED');
  });

  it('up again (without the port flags) finds the running stack and exits 0', async () => {
    const up = await run('local', 'up', '--template', FIXTURE_TEMPLATE);
    expect(up.code).toBe(0);
    expect(up.stdout).toContain('The local stack was already running');
    expect(up.stdout).toContain(`export AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:${ports.dynamodb}`);
    expect(up.stdout).toContain(`http://127.0.0.1:${ports.sesv2}/`);
  }, 60_000);

  it('a busy port is exit 3 with the reason on stderr and nothing on stdout', async () => {
    const other = tempProject('cli-busy');
    const busy = await runCli(['local', 'up', '--json', '--dynamodb-port', String(ports.dynamodb)], { cwd: other });
    expect(busy.code).toBe(3);
    expect(busy.stdout).toBe('');
    expect(JSON.parse(busy.stderr).error).toMatchObject({ code: 'LOCAL_PORT_BUSY', exitCode: 3 });
  });

  it('a bad port flag is a usage error (exit 2)', async () => {
    const bad = await run('local', 'up', '--s3-port', 'eighty');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--s3-port');
  });

  it('down stops everything and leaves no process behind; status then says stopped', async () => {
    const before = JSON.parse((await run('local', 'status', '--json')).stdout) as { stateDir: string; parts: Array<{ pid: number }> };
    const down = await run('local', 'down', '--json');
    expect(down.code).toBe(0);
    expect(JSON.parse(down.stdout).parts.map((p: { state: string }) => p.state)).toEqual(['stopped', 'stopped', 'stopped', 'stopped']);
    expect(before.parts.map((p) => p.pid).filter(isAlive)).toEqual([]);
    expect(processesMentioning(before.stateDir)).toEqual([]);

    const status = await run('local', 'status', '--json');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ running: false });
    expect(JSON.parse(status.stdout).parts.map((p: { state: string }) => p.state)).toEqual(['stopped', 'stopped', 'stopped', 'stopped']);

    const again = await run('local', 'down');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('The local stack was not running.');
  }, 60_000);
});

describe('mailengine local status, when a part listens beyond loopback', () => {
  const cwd = tempProject('cli-exposed');

  afterAll(async () => {
    // down finds the stand-in by its marker and stops it.
    await runCli(['local', 'down'], { cwd });
  }, 60_000);

  it('marks the address EXPOSED and says who can reach it', async () => {
    const paths = localStatePaths(cwd);
    // A stand-in for a part that listens on every interface: its command line carries the s3 part's marker.
    const script = "const s = require('node:net').createServer().listen(0, '0.0.0.0', () => console.log(s.address().port))";
    const child = spawn(process.execPath, ['-e', script, '--', ...s3Part.marker(paths).split(' ')], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    const port = await new Promise<number>((resolve) => child.stdout!.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))));
    child.unref();
    await writeRunRecord(paths, 's3', { pid: child.pid!, port, startedAt: new Date().toISOString() });

    const status = await runCli(['local', 'status'], { cwd });
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`^S3 \\(s3rver\\)\\s+running\\s+NO\\s+${child.pid}\\s+http://127\\.0\\.0\\.1:${port}\\s+0\\.0\\.0\\.0:${port} \\(EXPOSED\\)$`, 'm'));
    expect(status.stdout).toContain(`S3 (s3rver) listens on 0.0.0.0:${port}: other machines that can reach this one can use it.`);
    const json = JSON.parse((await runCli(['local', 'status', '--json'], { cwd })).stdout);
    expect(json.parts.find((p: { name: string }) => p.name === 's3')).toMatchObject({ listening: [`0.0.0.0:${port}`], exposed: [`0.0.0.0:${port}`] });
  });
});
