import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLER_IDENTITY, FakeAws, TEST_CREDENTIALS, queryError } from '../helpers/fake-aws.js';
import { STACK_FRAME, runCli } from '../helpers/cli.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
const tracer = new URL('../fixtures/trace-loads.mjs', import.meta.url).pathname;

async function loadedModules(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  const file = join(mkdtempSync(join(tmpdir(), 'mailengine-trace-')), 'loads.txt');
  const run = await runCli(args, { nodeArgs: ['--import', tracer], env: { TRACE_LOADS_FILE: file, ...env } });
  expect(run.code).not.toBeNull();
  return readFileSync(file, 'utf8').split('\n').filter(Boolean);
}

const isAwsSdk = (path: string) => /[/\\]node_modules[/\\]@(aws-sdk|smithy)[/\\]/.test(path);
/** What only a running command needs: validation, colour, tables, prompts, spinners. */
const isCommandOnly = (path: string) => /[/\\]node_modules[/\\](zod|chalk|cli-table3|ora|@inquirer)[/\\]/.test(path);

describe('the built CLI', () => {
  const sts = new FakeAws(() => CALLER_IDENTITY);
  const creds = { AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey };
  beforeAll(() => sts.start());
  afterAll(() => sts.stop());

  it('--version prints the package version and exits 0', async () => {
    const run = await runCli(['--version']);
    expect(run).toMatchObject({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it('--help lists the working commands, the global flags and the exit codes', async () => {
    const run = await runCli(['--help']);
    expect(run.code).toBe(0);
    for (const word of ['config', 'whoami', '--json', '--yes', '--no-color', '--debug', '--profile', '--region', '--stack', '--env', '--local', '--config']) {
      expect(run.stdout).toContain(word);
    }
    expect(run.stdout).toContain('130 interrupted');
    expect(run.stdout).not.toMatch(/not implemented/i);
  });

  it('an unknown command exits 2 with a suggestion and no stack trace', async () => {
    const run = await runCli(['confg']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown command 'confg'");
    expect(run.stderr).toContain('Did you mean config?');
    expect(run.stderr).not.toMatch(STACK_FRAME);
  });

  it('a bad flag value exits 2, names the flag, and prints no stack trace', async () => {
    const run = await runCli(['whoami', '--region', 'mars-1']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--region');
    expect(run.stderr).toContain('"mars-1"');
    expect(run.stderr).not.toMatch(STACK_FRAME);
    expect(run.stdout).toBe('');
  });

  it('--version and --help load no AWS SDK module', async () => {
    for (const args of [['--version'], ['--help'], ['config', '--help'], ['whoami', '--help']]) {
      const loaded = await loadedModules(args);
      expect(loaded.length, `tracer saw modules for ${args.join(' ')}`).toBeGreaterThan(0);
      expect(loaded.filter(isAwsSdk), args.join(' ')).toEqual([]);
    }
  });

  it('--version and --help load no validation, colour, table, prompt or spinner library either', async () => {
    for (const args of [['--version'], ['-v'], ['--help'], ['status', 'lookup', '--help'], ['templates', 'push', '--help'], ['local', '--help']]) {
      const loaded = await loadedModules(args);
      expect(loaded.length, `tracer saw modules for ${args.join(' ')}`).toBeGreaterThan(0);
      expect(loaded.filter(isCommandOnly), args.join(' ')).toEqual([]);
    }
    // A command that runs does load them (so the check above can fail).
    expect((await loadedModules(['config', 'show'])).filter(isCommandOnly).some((p) => p.includes('zod'))).toBe(true);
  });

  it('the tracer does see the SDK when a command needs AWS (so the check above can fail)', async () => {
    const loaded = await loadedModules(['whoami', '--region', 'eu-west-1'], { ...creds, AWS_ENDPOINT_URL: sts.url });
    expect(loaded.some(isAwsSdk)).toBe(true);
  });

  it('whoami with no credentials: exit 3, a suggestion, nothing sent', async () => {
    sts.requests.length = 0;
    const run = await runCli(['whoami', '--region', 'eu-west-1'], { env: { AWS_ENDPOINT_URL: sts.url } });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('No AWS credentials were found.');
    expect(run.stderr).toContain('aws configure');
    expect(run.stderr).not.toMatch(STACK_FRAME);
    expect(sts.requests).toHaveLength(0);
  });

  it('whoami --json prints the identity as JSON on stdout only', async () => {
    const run = await runCli(['whoami', '--json', '--region', 'eu-west-1'], { env: { ...creds, AWS_ENDPOINT_URL_STS: sts.url } });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ account: '123456789012', arn: 'arn:aws:iam::123456789012:user/ops', userId: 'AIDAEXAMPLEUSERID', region: 'eu-west-1', profile: null });
    expect(run.stderr).toBe('');
  });

  it('on Node 20 the AWS SDK support warning stays out of the output', async () => {
    const run = await runCli(['whoami', '--region', 'eu-west-1'], { env: { ...creds, AWS_ENDPOINT_URL: sts.url } });
    expect(run.code).toBe(0);
    expect(run.stderr).not.toContain('NodeVersionSupportWarning');
  });

  it('an expired session: exit 3; --json puts the error as JSON on stderr and nothing on stdout', async () => {
    sts.setReply(() => queryError(400, 'ExpiredToken', 'The security token included in the request is expired'));
    const run = await runCli(['whoami', '--json', '--region', 'eu-west-1'], { env: { ...creds, AWS_ENDPOINT_URL: sts.url } });
    sts.setReply(() => CALLER_IDENTITY);
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(JSON.parse(run.stderr)).toMatchObject({ error: { code: 'CREDENTIALS_EXPIRED', exitCode: 3 } });
  });

  it('--debug adds the stack trace', async () => {
    const run = await runCli(['whoami', '--debug', '--region', 'eu-west-1'], { env: { AWS_ENDPOINT_URL: sts.url } });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(STACK_FRAME);
  });

  it('config init then config show --env prod resolves from the file', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'mailengine-e2e-'));
    const init = await runCli(['config', 'init', '--default-region', 'eu-west-1'], { cwd });
    expect(init.code).toBe(0);
    const again = await runCli(['config', 'init'], { cwd });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('--force');
    const show = await runCli(['config', 'show', '--env', 'prod', '--json'], { cwd });
    expect(show.code).toBe(0);
    expect(JSON.parse(show.stdout)).toMatchObject({ stackName: 'mailengine-prod', region: 'eu-west-1', environment: 'prod', sources: { stackName: 'config' } });
  });

  it('an invalid config file: exit 2 naming the key and the file', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'mailengine-e2e-'));
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(cwd, 'mailengine.config.json'), JSON.stringify({ environments: { dev: { stack: 'x' } } }));
    const run = await runCli(['config', 'show'], { cwd });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('environments.dev: unknown key "stack"');
    expect(run.stderr).toContain(join(cwd, 'mailengine.config.json'));
  });
});
