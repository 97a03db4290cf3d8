import { mkdir } from 'node:fs/promises';
import { AwsClientFactory } from '../aws/clients.js';
import { LOCAL_REGION } from '../config/settings.js';
import { ExitCode, MailengineError, usageError } from '../errors.js';
import { say, type IoHost, type Progress } from '../io/io-host.js';
import { LOCAL_ENDPOINT_KEYS, LOCAL_HOST, type LocalEndpoints, type LocalPorts } from '../model/local-stack.js';
import { localEndpointsFor, localEnvironment, readLocalPorts, writeLocalEndpoints, type LocalStackEndpoints } from './endpoints.js';
import { exposureSentence, partListening } from './listening.js';
import { EMULATOR_PACKAGES, requireEmulatorPackages } from './packages.js';
import { LOCAL_PARTS, type LocalPart, type LocalPartName } from './parts/index.js';
import { probePort } from './ports.js';
import { isOurProcess, spawnDetached, stopProcessGroup } from './processes.js';
import type { ProvisionResult } from './provision.js';
import { waitForReady } from './readiness.js';
import { localStatePaths, readRunRecord, removeRunRecord, withStateLock, writeRunRecord, type LocalStatePaths, type RunRecord } from './state.js';

export interface LocalStackOptions {
  /** The project directory; state goes under `<dir>/.mailengine/local/`. */
  dir: string;
  /** Ports to use; a part not named here keeps the port of the last `up`, else its default (4510–4513). */
  ports?: Partial<LocalPorts>;
  /** DynamoDB Local without a data file: fast, and nothing survives `down`. */
  inMemory?: boolean;
  /** How long each part may take to answer (ms), overriding the part's own limit. */
  readyTimeoutMs?: number;
  /** Environment for the children (Java is found through JAVA_HOME or PATH in it). */
  env?: NodeJS.ProcessEnv;
  /** Aborting stops what this call started and rejects with exit 130. */
  signal?: AbortSignal;
}

export interface LocalProvisionOptions {
  stackName: string;
  /** Template file; the engine's `cfn/mailengine.yaml` by default. */
  template?: string;
  parameters?: Record<string, string>;
  /** Skip provisioning with a warning, rather than fail, when the default template is not there. */
  skipIfTemplateMissing?: boolean;
}

export interface UpOptions extends LocalStackOptions {
  /** Create the template's tables and buckets once the emulators answer; `false` to skip. */
  provision?: LocalProvisionOptions | false;
  /** Builds the clients provisioning uses; tests swap it. */
  aws?: (endpoints: LocalEndpoints) => AwsClientFactory;
}

export interface UpPartReport {
  name: LocalPartName;
  label: string;
  /** `restarted`: the engine runner was running for another stack, and now serves the one asked for. */
  state: 'started' | 'already-running' | 'restarted';
  pid: number;
  port: number;
  endpoint: string;
  log: string;
  /**
   * Where its processes listen, from the operating system's socket table (`127.0.0.1:4510`);
   * absent where that table cannot be read.
   */
  listening?: string[];
  /** Those of `listening` that other machines can reach. Empty on a healthy stack. */
  exposed?: string[];
}

export interface UpResult {
  stateDir: string;
  endpoints: LocalStackEndpoints;
  /** The SES emulator's web inbox. */
  inbox: string;
  /** What an app sets to use the local stack. */
  env: Record<string, string>;
  region: string;
  parts: UpPartReport[];
  provisioned: ProvisionResult | null;
  /** What the engine runner serves now: the stack `--local` commands reach (absent if it did not answer). */
  serving?: RunnerServing;
  /** Wall time of this `up`, start to ready. */
  tookMs: number;
}

export interface RunnerServing {
  configured: boolean;
  stackName?: string;
  bus: string;
  /** Why it serves no stack. */
  reason?: string;
}

const quietProgress: Progress = { update() {}, succeed() {}, fail() {}, stop() {} };

function choosePorts(requested: Partial<LocalPorts> | undefined, running: Map<LocalPartName, RunRecord>, remembered: LocalPorts): LocalPorts {
  const ports = { ...remembered };
  for (const key of LOCAL_ENDPOINT_KEYS) {
    const port = requested?.[key] ?? running.get(key)?.port;
    if (port !== undefined) ports[key] = port;
  }
  const seen = new Map<number, string>();
  for (const key of LOCAL_ENDPOINT_KEYS) {
    const port = ports[key];
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw usageError('LOCAL_PORT_INVALID', `The ${key} port must be a whole number from 1 to 65535 (got ${port}).`);
    }
    const other = seen.get(port);
    if (other) throw usageError('LOCAL_PORT_CONFLICT', `The ${other} and ${key} parts cannot share port ${port}.`, 'Give each part its own port.', { port, parts: [other, key] });
    seen.set(port, key);
  }
  return ports;
}

/** Parts whose pid file names a live process of ours; stale pid files are removed on the way. */
async function findRunning(paths: LocalStatePaths, io: IoHost | undefined): Promise<Map<LocalPartName, RunRecord>> {
  const running = new Map<LocalPartName, RunRecord>();
  for (const part of LOCAL_PARTS) {
    const record = await readRunRecord(paths, part.name);
    if (!record) continue;
    if (await isOurProcess(record.pid, part.marker(paths))) {
      running.set(part.name, record);
    } else {
      await removeRunRecord(paths, part.name);
      if (io) say.debug(io, 'local.up.stale-pid', `Removed the stale pid file of ${part.label} (pid ${record.pid} is gone).`);
    }
  }
  return running;
}

async function assertPortFree(part: LocalPart, port: number): Promise<void> {
  const probe = await probePort(port);
  if (probe === 'free') return;
  const flag = `--${part.name === 'sesv2' ? 'ses' : part.name}-port`;
  if (probe === 'forbidden') {
    throw new MailengineError('LOCAL_PORT_FORBIDDEN', `${part.label} cannot listen on port ${port}: this user may not bind it.`, {
      exitCode: ExitCode.Environment,
      suggestion: `Pick a port above 1023 with ${flag}.`,
      details: { part: part.name, port },
    });
  }
  throw new MailengineError('LOCAL_PORT_BUSY', `Port ${port} is already in use by another program, so ${part.label} cannot start there.`, {
    exitCode: ExitCode.Environment,
    suggestion: `Stop whatever listens on ${port} (\`lsof -i :${port}\` shows it), or pick another port with ${flag}.`,
    details: { part: part.name, port },
  });
}

interface Started {
  part: LocalPart;
  pid: number;
}

/**
 * Starts the local stack's emulators on loopback, waits until each answers, provisions the
 * template's tables and bucket, and records the endpoints. Idempotent: parts already running and
 * healthy are reported, not restarted. If anything fails, what this call started is stopped again.
 */
export async function upLocalStack(options: UpOptions, io?: IoHost): Promise<UpResult> {
  const began = Date.now();
  const paths = localStatePaths(options.dir);
  const env = options.env ?? process.env;
  return withStateLock(paths, async () => {
    const running = await findRunning(paths, io);
    for (const part of LOCAL_PARTS) {
      const record = running.get(part.name);
      const asked = options.ports?.[part.name];
      if (record && asked !== undefined && asked !== record.port) {
        throw usageError('LOCAL_PORT_MISMATCH', `${part.label} is already running on port ${record.port}, not ${asked}.`, 'Run `mailengine local down` first to move it to another port.', {
          part: part.name,
          running: record.port,
          asked,
        });
      }
    }
    const ports = choosePorts(options.ports, running, readLocalPorts(paths.project));
    const endpoints = localEndpointsFor(ports);
    const toStart = LOCAL_PARTS.filter((part) => !running.has(part.name));
    // One error for every emulator an `--omit=optional` install left out, before anything starts.
    requireEmulatorPackages(toStart.flatMap((part) => (part.name in EMULATOR_PACKAGES ? [EMULATOR_PACKAGES[part.name as keyof typeof EMULATOR_PACKAGES]] : [])));
    for (const part of toStart) await assertPortFree(part, ports[part.name]);

    const progress = io ? io.progress('local.up', toStart.length > 0 ? 'Starting the local stack' : 'Checking the local stack') : quietProgress;
    const started: Started[] = [];
    const reports: UpPartReport[] = [];
    try {
      await mkdir(paths.logDir, { recursive: true });
      // Already running but not (yet) answering: another `up` may have just started it.
      for (const part of LOCAL_PARTS) {
        const record = running.get(part.name);
        if (!record) continue;
        const endpoint = endpoints[part.name];
        await waitForReady({ part, endpoint, pid: record.pid, logFile: paths.logFile(part.name), timeoutMs: options.readyTimeoutMs ?? part.readyTimeoutMs, signal: options.signal });
        reports.push({ name: part.name, label: part.label, state: 'already-running', pid: record.pid, port: record.port, endpoint, log: paths.logFile(part.name) });
      }

      const launchStage = async (stage: LocalPart['stage'], provisioned?: ProvisionResult) => {
        const parts = toStart.filter((part) => part.stage === stage);
        // Every command is built (packages found, Java checked) before anything is spawned.
        const specs = [];
        for (const part of parts) {
          const port = ports[part.name];
          specs.push({ part, port, spec: await part.launch({ paths, port, host: LOCAL_HOST, inMemory: options.inMemory === true, env, endpoints, provisioned }) });
        }
        // Each wait settles into a value at once, so a part failing while the next one is still
        // being spawned is not an unhandled rejection.
        const waits: Array<Promise<unknown>> = [];
        for (const { part, port, spec } of specs) {
          const logFile = paths.logFile(part.name);
          const child = await spawnDetached({ ...spec, logFile });
          started.push({ part, pid: child.pid });
          await writeRunRecord(paths, part.name, { pid: child.pid, port, startedAt: new Date().toISOString() });
          progress.update(`Waiting for ${part.label} on port ${port}`);
          const endpoint = endpoints[part.name];
          waits.push(
            waitForReady({ part, endpoint, pid: child.pid, child, logFile, timeoutMs: options.readyTimeoutMs ?? part.readyTimeoutMs, signal: options.signal }).then(() => {
              reports.push({ name: part.name, label: part.label, state: 'started', pid: child.pid, port, endpoint, log: logFile });
            }, (err: unknown) => err ?? new Error(`${part.label} failed to start`)),
          );
        }
        // Wait for all, even after one fails, so none is still starting when we clean up.
        const failed = (await Promise.all(waits)).find((outcome) => outcome !== undefined);
        if (failed) throw failed;
      };

      await launchStage('emulator');
      let provisioned: ProvisionResult | null = null;
      if (options.provision) {
        progress.update('Creating the tables and bucket from the template');
        provisioned = await provision(options, endpoints, io);
      }
      await launchStage('engine', provisioned ?? undefined);
      // A runner that was already running serves the stack it started with; one provisioned now
      // that it does not serve takes its place, so `--local` commands for it reach an engine.
      const runner = running.get('eventbridge');
      if (provisioned && runner) {
        const switched = await switchRunner({ paths, record: runner, endpoints, provisioned, env, readyTimeoutMs: options.readyTimeoutMs, signal: options.signal }, progress);
        if (switched) reports.splice(reports.findIndex((r) => r.name === switched.name), 1, switched);
      }

      await writeLocalEndpoints(paths.project, endpoints);
      await checkListening(reports, io);
      const order = (name: LocalPartName) => LOCAL_PARTS.findIndex((part) => part.name === name);
      reports.sort((a, b) => order(a.name) - order(b.name));
      const fresh = reports.filter((r) => r.state !== 'already-running').length;
      const serving = await runnerServing(endpoints.eventbridge);
      progress.succeed(fresh === 0 ? 'The local stack was already running' : `Local stack ready in ${((Date.now() - began) / 1000).toFixed(1)} s`);
      return {
        stateDir: paths.root,
        endpoints,
        inbox: endpoints.inbox,
        env: localEnvironment(endpoints),
        region: LOCAL_REGION,
        parts: reports,
        provisioned,
        ...(serving ? { serving } : {}),
        tookMs: Date.now() - began,
      };
    } catch (err) {
      progress.fail('The local stack did not start');
      await stopStarted(paths, started, io);
      throw err;
    }
  });
}

interface SwitchRunnerOptions {
  paths: LocalStatePaths;
  /** The running runner's pid file. */
  record: RunRecord;
  endpoints: LocalStackEndpoints;
  provisioned: ProvisionResult;
  env: NodeJS.ProcessEnv;
  readyTimeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * The runner reads the stack it serves when it starts. If the running one serves another stack
 * (or none), it is stopped and started again on the same port for `provisioned`; its queues are
 * journalled per stack, so nothing waiting for the other stack is lost. Undefined when it already
 * serves that stack, or does not answer (then `up` reports it as it is).
 */
async function switchRunner(options: SwitchRunnerOptions, progress: Progress): Promise<UpPartReport | undefined> {
  const { paths, record, endpoints, provisioned } = options;
  const serving = await runnerServing(endpoints.eventbridge);
  if (!serving || (serving.configured && serving.stackName === provisioned.stackName)) return undefined;
  const part = LOCAL_PARTS.find((p) => p.name === 'eventbridge') as LocalPart;
  progress.update(`Restarting ${part.label} to serve stack ${provisioned.stackName}`);
  await stopProcessGroup(record.pid, part.label);
  await removeRunRecord(paths, part.name);
  const spec = await part.launch({ paths, port: record.port, host: LOCAL_HOST, inMemory: false, env: options.env, endpoints, provisioned });
  const logFile = paths.logFile(part.name);
  const child = await spawnDetached({ ...spec, logFile });
  await writeRunRecord(paths, part.name, { pid: child.pid, port: record.port, startedAt: new Date().toISOString() });
  try {
    await waitForReady({ part, endpoint: endpoints.eventbridge, pid: child.pid, child, logFile, timeoutMs: options.readyTimeoutMs ?? part.readyTimeoutMs, signal: options.signal });
  } catch (err) {
    await stopStarted(paths, [{ part, pid: child.pid }], undefined);
    throw err;
  }
  return { name: part.name, label: part.label, state: 'restarted', pid: child.pid, port: record.port, endpoint: endpoints.eventbridge, log: logFile };
}

/**
 * Makes the engine runner of the local stack in `dir` serve `provisioned` (for `deploy --local`,
 * which provisions a stack on a running local stack). Resolves to what it serves afterwards, and
 * whether it was restarted for it; `running: false` when no runner runs there.
 */
export async function serveStack(
  options: { dir: string; provisioned: ProvisionResult; env?: NodeJS.ProcessEnv; signal?: AbortSignal },
  io?: IoHost,
): Promise<{ running: boolean; restarted: boolean; serving?: RunnerServing }> {
  const paths = localStatePaths(options.dir);
  return withStateLock(paths, async () => {
    const running = await findRunning(paths, io);
    const record = running.get('eventbridge');
    if (!record) return { running: false, restarted: false };
    const endpoints = localEndpointsFor(choosePorts(undefined, running, readLocalPorts(paths.project)));
    const progress = io ? io.progress('local.up', 'Checking the engine runner') : quietProgress;
    try {
      const switched = await switchRunner({ paths, record, endpoints, provisioned: options.provisioned, env: options.env ?? process.env, signal: options.signal }, progress);
      const serving = await runnerServing(endpoints.eventbridge);
      progress.stop();
      return { running: true, restarted: switched !== undefined, ...(serving ? { serving } : {}) };
    } catch (err) {
      progress.fail('The engine runner did not start again');
      throw err;
    }
  });
}

/** What the runner at `endpoint` serves; undefined when it does not answer. */
async function runnerServing(endpoint: string): Promise<RunnerServing | undefined> {
  const { runnerState } = await import('./runner/client.js');
  try {
    const { engine } = await runnerState(endpoint);
    return { configured: engine.configured, ...(engine.stackName ? { stackName: engine.stackName } : {}), bus: engine.bus, ...(engine.reason ? { reason: engine.reason } : {}) };
  } catch {
    return undefined;
  }
}

/**
 * Reads back from the socket table where each part really listens, and says so plainly when one
 * can be reached from other machines: every part is started on loopback, and this proves it.
 */
export async function checkListening(reports: Array<Pick<UpPartReport, 'name' | 'label' | 'state' | 'pid' | 'listening' | 'exposed'>>, io: IoHost | undefined): Promise<void> {
  for (const report of reports) {
    const seen = await partListening(report.pid);
    if (!seen) {
      if (io) say.warn(io, 'local.up.listening-unknown', `Could not read this system's socket table, so it is not checked that ${report.label} listens on loopback only.`, { part: report.name });
      continue;
    }
    report.listening = seen.listening;
    report.exposed = seen.exposed;
    if (seen.exposed.length > 0 && io) {
      // A part left running by an earlier mailengine (DynamoDB Local used to listen everywhere) is fixed by a restart.
      const restart = report.state === 'already-running' ? ' It was already running: `mailengine local down` and `mailengine local up` start it afresh on loopback.' : '';
      say.warn(io, 'local.up.exposed', `${exposureSentence(report.label, seen.exposed)}${restart}`, { part: report.name, exposed: seen.exposed });
    }
  }
}

async function provision(options: UpOptions, endpoints: LocalEndpoints, io: IoHost | undefined): Promise<ProvisionResult | null> {
  const settings = options.provision as LocalProvisionOptions;
  const { provisionLocalStack, LOCAL_STACK_TEMPLATE } = await import('./provision.js');
  const template = settings.template ?? LOCAL_STACK_TEMPLATE;
  if (!settings.template && settings.skipIfTemplateMissing) {
    const { existsSync } = await import('node:fs');
    if (!existsSync(template)) {
      if (io) say.warn(io, 'local.provision.no-template', `No engine template at ${template}: the local stack runs without tables or bucket.`);
      return null;
    }
  }
  let aws: AwsClientFactory;
  if (options.aws) {
    aws = options.aws(endpoints);
  } else {
    aws = new AwsClientFactory({ region: LOCAL_REGION, local: endpoints });
  }
  const result = await provisionLocalStack({ aws, stackName: settings.stackName, template, parameters: settings.parameters });
  const { recordLocalResources } = await import('./resources.js');
  await recordLocalResources(options.dir, result);
  return result;
}

/** Undo for a failed `up`: stop exactly what it started and forget their pid files. */
async function stopStarted(paths: LocalStatePaths, started: Started[], io: IoHost | undefined): Promise<void> {
  await Promise.all(
    started.map(async ({ part, pid }) => {
      try {
        await stopProcessGroup(pid, part.label);
        await removeRunRecord(paths, part.name);
      } catch (err) {
        if (io) say.warn(io, 'local.up.cleanup-failed', `Could not stop ${part.label} (pid ${pid}) after the failed start: ${(err as Error).message}`);
      }
    }),
  );
}

