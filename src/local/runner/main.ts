/**
 * The engine runner's process entry (`dist/local-runner.js`), started by `local up` as a detached
 * part of the local stack. Its stdout and stderr go to `.mailengine/local/logs/eventbridge.log`.
 *
 *   node local-runner.js --mailengine-runner=<state dir> --config <file> [--ses-event-delay-ms <n>]
 *
 * The only place in src/ that writes to the process's streams and sets its exit code: it is a
 * program of its own, not core code.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EngineLogger } from '../../engine/status-events.js';
import { parseRunnerConfig } from './config.js';
import { realEngine } from './engine.js';
import { startRunner } from './runner.js';

function line(level: string, event: string, fields?: Record<string, unknown>): void {
  const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
  process.stdout.write(`${new Date().toISOString()} ${level.padEnd(5)} ${event}${extra}\n`);
}

const log: EngineLogger = {
  info: (event, fields) => line('INFO', event, fields),
  warn: (event, fields) => line('WARN', event, fields),
  error: (event, fields) => line('ERROR', event, fields),
};

function argument(name: string): string | undefined {
  const args = process.argv.slice(2);
  const at = args.indexOf(name);
  if (at >= 0) return args[at + 1];
  return args.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
}

async function main(): Promise<void> {
  const configFile = argument('--config');
  if (!configFile) throw new Error('usage: local-runner --config <file> [--ses-event-delay-ms <n>]');
  const config = parseRunnerConfig(await readFile(configFile, 'utf8'));
  const delay = argument('--ses-event-delay-ms');
  if (delay !== undefined) {
    if (!/^\d+$/.test(delay)) throw new Error(`--ses-event-delay-ms must be a whole number of milliseconds (got ${delay})`);
    config.sesEventDelayMs = Number(delay);
  }

  // A paused engine stays paused across a restart, as it does in AWS. Each stack has its own
  // switch: a runner restarted for another stack (`local up --stack`) starts with that one's.
  const pausedFile = join(config.dataDir, config.engine ? `paused-${config.engine.stackName}` : 'paused');
  const runner = await startRunner({
    config,
    engine: config.engine ? realEngine(config) : undefined,
    log,
    paused: existsSync(pausedFile),
    async onPauseChange(paused) {
      await mkdir(config.dataDir, { recursive: true });
      if (paused) await writeFile(pausedFile, `${new Date().toISOString()}\n`);
      else await rm(pausedFile, { force: true });
    },
  });
  const state = runner.state();
  log.info('runner.started', {
    url: runner.url,
    pid: process.pid,
    stack: state.engine.stackName,
    bus: state.engine.bus,
    configurationSet: state.engine.configurationSet,
    paused: state.paused,
    sendQueue: { visibilityTimeoutMs: config.send.visibilityTimeoutMs, maxReceiveCount: config.send.maxReceiveCount, batchSize: config.send.batchSize, maxConcurrency: config.send.maxConcurrency },
    sesEventDelayMs: config.sesEventDelayMs,
  });

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info('runner.stopping', { signal, queued: runner.state().queues.send.visible });
    // Should anything still hold the event loop after the runner closed, leave anyway: `local down`
    // would otherwise wait for its SIGKILL.
    setTimeout(() => {
      log.warn('runner.forced-exit', {});
      // eslint-disable-next-line no-restricted-properties -- the runner's own process entry decides its exit
      process.exit(0);
    }, 4_000).unref();
    runner.close().then(
      () => log.info('runner.stopped', {}),
      (err: unknown) => {
        log.error('runner.stop-failed', { error: String(err) });
        process.exitCode = 1;
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  log.error('runner.failed', { error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exitCode = 1;
});
