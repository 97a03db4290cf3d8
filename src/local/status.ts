import { localEndpointsFor, readLocalPorts, type LocalStackEndpoints } from './endpoints.js';
import { partListening } from './listening.js';
import { LOCAL_PARTS, type LocalPartName } from './parts/index.js';
import { isOurProcess } from './processes.js';
import { localStatePaths, readRunRecord } from './state.js';

export interface StatusPartReport {
  name: LocalPartName;
  label: string;
  state: 'running' | 'stopped';
  pid?: number;
  port: number;
  endpoint: string;
  /** It answered a real request just now. */
  healthy: boolean;
  startedAt?: string;
  log: string;
  /**
   * Where its processes listen, from the operating system's socket table (`127.0.0.1:4510`);
   * absent when it is stopped or the table cannot be read.
   */
  listening?: string[];
  /** Those of `listening` that other machines can reach. */
  exposed?: string[];
}

export interface StatusResult {
  stateDir: string;
  /** Every part is running and healthy. */
  running: boolean;
  parts: StatusPartReport[];
  endpoints: LocalStackEndpoints;
  inbox: string;
}

/** What is running right now, checked against the processes and the ports, not just the pid files. */
export async function localStackStatus(options: { dir: string; probeTimeoutMs?: number }): Promise<StatusResult> {
  const paths = localStatePaths(options.dir);
  const remembered = readLocalPorts(paths.project);
  const parts = await Promise.all(
    LOCAL_PARTS.map(async (part): Promise<StatusPartReport> => {
      const record = await readRunRecord(paths, part.name);
      const alive = record !== undefined && (await isOurProcess(record.pid, part.marker(paths)));
      const port = alive ? record.port : remembered[part.name];
      const endpoint = localEndpointsFor({ ...remembered, [part.name]: port })[part.name];
      const healthy = alive && (await part.isHealthy(endpoint, options.probeTimeoutMs ?? 2000));
      const log = paths.logFile(part.name);
      if (!alive) return { name: part.name, label: part.label, state: 'stopped', port, endpoint, healthy, log };
      const seen = await partListening(record.pid);
      return { name: part.name, label: part.label, state: 'running', pid: record.pid, port, endpoint, healthy, startedAt: record.startedAt, log, ...seen };
    }),
  );
  const endpoints = localEndpointsFor({ ...remembered, ...Object.fromEntries(parts.map((p) => [p.name, p.port])) });
  return { stateDir: paths.root, running: parts.every((p) => p.state === 'running' && p.healthy), parts, endpoints, inbox: endpoints.inbox };
}
