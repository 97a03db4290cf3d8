import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { say, type IoHost } from '../io/io-host.js';
import { LOCAL_PARTS, type LocalPartName } from './parts/index.js';
import { findProcessesByMarker, isOurProcess, stopProcessGroup, type StopOutcome } from './processes.js';
import { localStatePaths, readRunRecord, removeRunRecord, withStateLock } from './state.js';

export interface DownOptions {
  /** The project directory whose local stack to stop. */
  dir: string;
  /** Also delete the emulators' data (tables, buckets). */
  purge?: boolean;
  /** How long each part gets to exit after SIGTERM before SIGKILL. */
  graceMs?: number;
}

export interface DownPartReport {
  name: LocalPartName;
  label: string;
  /** `stopped`: it was running and is gone; `not-running`: nothing to do. */
  state: 'stopped' | 'not-running';
  pid?: number;
  /** The strongest signal it took. */
  signal?: StopOutcome['signal'];
}

export interface DownResult {
  stateDir: string;
  parts: DownPartReport[];
  /** Data directories deleted by `purge`. */
  purged: string[];
}

/**
 * Stops every part of the local stack and proves none is left: each process group gets SIGTERM,
 * then SIGKILL after the grace period, and is checked gone. Parts whose pid file was lost are
 * found by their command-line marker. Idempotent: a stopped stack stays stopped, exit 0.
 */
export async function downLocalStack(options: DownOptions, io?: IoHost): Promise<DownResult> {
  const paths = localStatePaths(options.dir);
  return withStateLock(paths, async () => {
    const progress = io?.progress('local.down', 'Stopping the local stack');
    try {
      // The engine parts depend on the emulators, so they go first.
      const parts = [...LOCAL_PARTS].reverse();
      const reports = await Promise.all(
        parts.map(async (part): Promise<DownPartReport> => {
          const marker = part.marker(paths);
          const record = await readRunRecord(paths, part.name);
          const groups = new Set<number>();
          if (record && (await isOurProcess(record.pid, marker))) groups.add(record.pid);
          for (const found of await findProcessesByMarker(marker)) groups.add(found.pgid);
          const signals: Array<StopOutcome['signal']> = [];
          for (const pgid of groups) signals.push((await stopProcessGroup(pgid, part.label, options.graceMs)).signal);
          const signal = signals.includes('SIGKILL') ? 'SIGKILL' : signals.includes('SIGTERM') ? 'SIGTERM' : 'none';
          await removeRunRecord(paths, part.name);
          if (signal === 'SIGKILL' && io) say.warn(io, 'local.down.killed', `${part.label} did not stop on SIGTERM and was killed.`);
          return signal === 'none'
            ? { name: part.name, label: part.label, state: 'not-running' }
            : { name: part.name, label: part.label, state: 'stopped', pid: record?.pid ?? [...groups][0], signal };
        }),
      );
      const purged: string[] = [];
      if (options.purge) {
        for (const part of LOCAL_PARTS) {
          const dir = paths.dataDir(part.name);
          if (!existsSync(dir)) continue;
          await rm(dir, { recursive: true, force: true });
          purged.push(dir);
        }
      }
      const stopped = reports.filter((r) => r.state === 'stopped').length;
      progress?.succeed(stopped === 0 ? 'The local stack was not running' : `Stopped ${stopped} part${stopped === 1 ? '' : 's'} of the local stack`);
      return { stateDir: paths.root, parts: reports.reverse(), purged };
    } catch (err) {
      progress?.fail('The local stack did not stop cleanly');
      throw err;
    }
  });
}
