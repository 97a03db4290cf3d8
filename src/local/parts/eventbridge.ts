import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LOCAL_REGION } from '../../config/settings.js';
import { ExitCode, MailengineError } from '../../errors.js';
import { findPackageRoot } from '../../package-root.js';
import { answers } from '../http.js';
import { runnerState } from '../runner/client.js';
import type { RunnerConfig } from '../runner/config.js';
import { nodeChildEnv, type LocalPart } from './part.js';
import { pollUntil } from '../../util/poll.js';

/** How the runner's entry is started: the built file, or the source through tsx in development. */
interface RunnerEntry {
  nodeArgs: string[];
  script: string;
}

/**
 * Running from the build (`dist/`), the runner is `dist/local-runner.js`. Running from source
 * (tests, `npm run demo`), it is `src/local/runner/main.ts` under tsx, so a change to the engine
 * takes effect without a build.
 */
export function runnerEntry(moduleUrl: string = import.meta.url): RunnerEntry {
  const here = fileURLToPath(moduleUrl);
  const root = findPackageRoot(here);
  const broken = (detail: string) =>
    new MailengineError('LOCAL_PACKAGE_BROKEN', `The engine runner cannot start: ${detail}.`, {
      exitCode: ExitCode.Environment,
      suggestion: 'Reinstall mailengine, or run `npm run build` in a checkout.',
    });
  if (!root) throw broken(`no mailengine package.json above ${here}`);
  if (here.endsWith('.ts')) {
    const requireHere = createRequire(here);
    let loader: string;
    try {
      const tsxDir = dirname(requireHere.resolve('tsx/package.json'));
      const exported = (JSON.parse(readFileSync(join(tsxDir, 'package.json'), 'utf8')) as { exports?: Record<string, unknown> }).exports?.['.'];
      const target = typeof exported === 'string' ? exported : ((exported as { import?: string; default?: string } | undefined)?.import ?? (exported as { default?: string } | undefined)?.default);
      if (!target) throw new Error('tsx has no loader export');
      loader = pathToFileURL(join(tsxDir, target)).href;
    } catch (err) {
      throw broken(`running from source needs tsx (${(err as Error).message})`);
    }
    return { nodeArgs: ['--import', loader], script: join(root, 'src', 'local', 'runner', 'main.ts') };
  }
  const script = join(root, 'dist', 'local-runner.js');
  if (!existsSync(script)) throw broken(`${script} is missing`);
  return { nodeArgs: [], script };
}

/**
 * The engine runner: EventBridge PutEvents, the send and feedback queues, the real Sender and
 * Feedback, and SES events synthesised from the mailbox simulator. It starts after provisioning,
 * from a configuration `local up` resolves from the template and the provisioned names.
 */
export const eventbridgePart: LocalPart = {
  name: 'eventbridge',
  label: 'Engine runner (EventBridge)',
  stage: 'engine',
  readyTimeoutMs: 30_000,

  async launch(ctx) {
    const entry = runnerEntry();
    const { resolveRunnerConfig } = await import('../runner/resolve-config.js');
    const { LOCAL_STACK_TEMPLATE } = await import('../provision.js');
    const dataDir = ctx.paths.dataDir('eventbridge');
    await mkdir(dataDir, { recursive: true });
    const config = await resolveRunnerConfig({
      project: ctx.paths.project,
      dataDir,
      host: ctx.host,
      port: ctx.port,
      region: LOCAL_REGION,
      endpoints: ctx.endpoints,
      provisioned: ctx.provisioned,
      defaultTemplate: LOCAL_STACK_TEMPLATE,
      env: ctx.env,
    });
    const configFile = join(dataDir, 'config.json');
    await writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`);
    return {
      command: process.execPath,
      args: [...entry.nodeArgs, entry.script, eventbridgePart.marker(ctx.paths), '--config', configFile],
      cwd: ctx.paths.root,
      // The SDK's Node-version notice would otherwise open every runner log.
      env: { ...nodeChildEnv(ctx.env), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    };
  },

  marker: (paths) => `--mailengine-runner=${paths.root}`,

  isHealthy(endpoint, timeoutMs) {
    return answers(`${endpoint}/_mailengine/state`, { timeoutMs }, (res) => res.status === 200 && res.body.includes('"runner":"mailengine-local-runner"'));
  },
};

/** An engine runner started outside the local stack's supervision. */
export interface RunnerProcess {
  child: ChildProcess;
  /** Its endpoint (PutEvents and `/_mailengine/*`). */
  url: string;
  /** Everything it printed so far (the tail is what explains a failure). */
  output(): string;
  /** SIGKILL: no chance to flush or close anything, as a crashed host. Resolves once it exited. */
  kill(): Promise<void>;
}

/**
 * Starts a runner on a configuration of its own (its port, bus and data directory), for the tests
 * and the benchmark that kill it and start it again on the same data. Resolves once it answers.
 */
export async function spawnRunner(config: Pick<RunnerConfig, 'host' | 'port' | 'dataDir'>, configFile: string, timeoutMs = 30_000): Promise<RunnerProcess> {
  const entry = runnerEntry();
  const child = spawn(process.execPath, [...entry.nodeArgs, entry.script, `--mailengine-runner=${config.dataDir}`, '--config', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running: RunnerProcess = {
    child,
    url: `http://${config.host}:${config.port}`,
    output: () => output,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  const answered = await pollUntil(
    async () => {
      if (child.exitCode !== null) throw new Error(`the runner exited with ${child.exitCode}: ${output.slice(-3000)}`);
      const state = await runnerState(running.url).catch(() => undefined);
      return { done: state !== undefined, value: undefined };
    },
    { timeoutMs, delayMs: 100 },
  );
  if (!answered.done) {
    await running.kill();
    throw new Error(`the runner did not answer within ${timeoutMs} ms: ${output.slice(-3000)}`);
  }
  return running;
}
