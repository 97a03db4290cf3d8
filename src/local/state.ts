import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ExitCode, MailengineError } from '../errors.js';
import { localStateDir } from './endpoints.js';
import { isProcessAlive } from './processes.js';

/**
 * Where the local stack keeps its state, under `<project>/.mailengine/local/`:
 *
 *   endpoints.json     the endpoints of the last `up` (read by every `--local` command)
 *   resources.json     table and bucket names per stack name, as provisioned
 *   lock               held while `up` or `down` runs, so two of them never race
 *   run/<part>.json    one "pid file" per running part: pid, port, start time
 *   logs/<part>.log    the part's stdout and stderr, truncated at each start
 *   dynamodb/, s3/     the emulators' data
 *   launcher/          the class that starts DynamoDB Local on loopback (written at each start)
 */
export interface LocalStatePaths {
  /** The project directory the stack belongs to. */
  project: string;
  root: string;
  lock: string;
  runDir: string;
  logDir: string;
  dataDir(part: string): string;
  runFile(part: string): string;
  logFile(part: string): string;
}

export function localStatePaths(project: string): LocalStatePaths {
  // Absolute, because the path doubles as the marker that identifies our processes.
  const absolute = resolve(project);
  const root = localStateDir(absolute);
  return {
    project: absolute,
    root,
    lock: join(root, 'lock'),
    runDir: join(root, 'run'),
    logDir: join(root, 'logs'),
    dataDir: (part) => join(root, part),
    runFile: (part) => join(root, 'run', `${part}.json`),
    logFile: (part) => join(root, 'logs', `${part}.log`),
  };
}

/** What a part's pid file records. The process is the leader of its own process group. */
export interface RunRecord {
  pid: number;
  port: number;
  startedAt: string;
}

export async function readRunRecord(paths: LocalStatePaths, part: string): Promise<RunRecord | undefined> {
  let text: string;
  try {
    text = await readFile(paths.runFile(part), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const record = JSON.parse(text) as Partial<RunRecord>;
    if (typeof record.pid === 'number' && typeof record.port === 'number') {
      return { pid: record.pid, port: record.port, startedAt: String(record.startedAt ?? '') };
    }
  } catch {
    // A half-written file from a crash: as good as no record.
  }
  return undefined;
}

export async function writeRunRecord(paths: LocalStatePaths, part: string, record: RunRecord): Promise<void> {
  await mkdir(paths.runDir, { recursive: true });
  await writeFile(paths.runFile(part), `${JSON.stringify(record)}\n`);
}

export async function removeRunRecord(paths: LocalStatePaths, part: string): Promise<void> {
  await rm(paths.runFile(part), { force: true });
}

/**
 * Takes the state directory's lock for the length of `work`. A lock left by a process that no
 * longer exists is taken over; a live holder is an error rather than a wait, because `up` can take
 * a minute and a second `up` should say so at once.
 */
export async function withStateLock<T>(paths: LocalStatePaths, work: () => Promise<T>): Promise<T> {
  await mkdir(paths.root, { recursive: true });
  acquire(paths.lock);
  try {
    return await work();
  } finally {
    try {
      unlinkSync(paths.lock);
    } catch {
      // Already gone: nothing to release.
    }
  }
}

function acquire(lock: string, attempt = 0): void {
  try {
    const fd = openSync(lock, 'wx');
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  let holder = NaN;
  try {
    holder = Number(readFileSync(lock, 'utf8').trim());
  } catch {
    // Unreadable or vanished: treat as stale.
  }
  if (Number.isInteger(holder) && holder > 0 && isProcessAlive(holder)) {
    throw new MailengineError('LOCAL_BUSY', `Another mailengine local command (pid ${holder}) is starting or stopping this local stack.`, {
      exitCode: ExitCode.Failed,
      suggestion: `Wait for it to finish and run the command again. If no such command is running, delete ${lock}.`,
      details: { lock, holder },
    });
  }
  if (attempt > 0) {
    throw new MailengineError('LOCAL_BUSY', `Could not take the lock ${lock}.`, { suggestion: `Delete ${lock} and run the command again.` });
  }
  try {
    unlinkSync(lock);
  } catch {
    // Someone else removed it first; the retry decides.
  }
  acquire(lock, attempt + 1);
}
