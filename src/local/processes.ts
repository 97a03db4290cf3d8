import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { ExitCode, MailengineError } from '../errors.js';
import { pollUntil } from '../util/poll.js';

const run = promisify(execFile);
const isWindows = process.platform === 'win32';
const hasProc = process.platform === 'linux';

export interface SpawnSpec {
  command: string;
  args: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** stdout and stderr both go here; the file is truncated first. */
  logFile: string;
}

/**
 * Starts a process that outlives us: detached (its own session and process group, so Ctrl-C in
 * the user's terminal does not reach it and `down` can signal the whole group), output to a log
 * file rather than pipes (a pipe would die with us), and unreferenced so `up` can return.
 * Resolves once the OS has created the process, or rejects (for example when the command does not
 * exist).
 */
export function spawnDetached(spec: SpawnSpec): Promise<ChildProcess & { pid: number }> {
  const log = openSync(spec.logFile, 'w');
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(spec.command, spec.args, {
        cwd: spec.cwd,
        env: spec.env ?? process.env,
        detached: true,
        stdio: ['ignore', log, log],
        windowsHide: true,
      });
    } catch (err) {
      closeSync(log);
      reject(err);
      return;
    }
    child.once('error', (err) => {
      closeSync(log);
      reject(err);
    });
    child.once('spawn', () => {
      // The child holds its own copy of the descriptor.
      closeSync(log);
      child.unref();
      resolve(child as ChildProcess & { pid: number });
    });
  });
}

/** Linux keeps a dead child of a dead parent as a zombie until init reaps it: that is not "running". */
function isZombie(pid: number): boolean {
  if (!hasProc) return false;
  try {
    return procStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.state === 'Z';
  } catch {
    return false;
  }
}

function procStat(text: string): { state: string; pgrp: number } | undefined {
  // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so cut at the last one.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  if (rest.length < 3) return undefined;
  return { state: rest[0], pgrp: Number(rest[2]) };
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists, it just is not ours to signal.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !isZombie(pid);
}

/** The process's command line, or undefined where the platform does not tell. */
export async function commandLine(pid: number): Promise<string | undefined> {
  if (hasProc) {
    try {
      return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ').trim();
    } catch {
      return undefined;
    }
  }
  if (isWindows) return undefined;
  try {
    const { stdout } = await run('ps', ['-p', String(pid), '-o', 'args='], { encoding: 'utf8' });
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * True when `pid` is alive and is the process we started: its command line carries our state
 * directory. This keeps `down` from signalling an unrelated process that reused a stale pid.
 */
export async function isOurProcess(pid: number, marker: string): Promise<boolean> {
  if (!isProcessAlive(pid)) return false;
  const cmd = await commandLine(pid);
  return cmd === undefined ? true : cmd.includes(marker);
}

/** Live (non-zombie) members of a process group. */
export async function processGroupMembers(pgid: number): Promise<number[]> {
  if (isWindows) return isProcessAlive(pgid) ? [pgid] : [];
  if (hasProc) {
    const members: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = procStat(readFileSync(`/proc/${entry}/stat`, 'utf8'));
        if (stat && stat.pgrp === pgid && stat.state !== 'Z') members.push(Number(entry));
      } catch {
        // The process ended while we looked.
      }
    }
    return members;
  }
  const { stdout } = await run('ps', ['-A', '-o', 'pid=,pgid=,stat='], { encoding: 'utf8' });
  return stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([pid, group, stat]) => pid && Number(group) === pgid && !stat?.startsWith('Z'))
    .map(([pid]) => Number(pid));
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    // A negative pid signals every process in the group: the JVM and anything it forked.
    process.kill(-pgid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

async function waitUntilGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const gone = await pollUntil(async () => ({ done: (await processGroupMembers(pgid)).length === 0, value: undefined }), { timeoutMs, delayMs: 50 });
  return gone.done;
}

export interface StopOutcome {
  /** The strongest signal it took; `none` when nothing was left to stop. */
  signal: 'none' | 'SIGTERM' | 'SIGKILL';
}

/**
 * Stops a process group and proves it: SIGTERM, wait `graceMs`, then SIGKILL and wait again.
 * Throws if anything of the group is still there afterwards.
 */
export async function stopProcessGroup(pgid: number, label: string, graceMs = 5000): Promise<StopOutcome> {
  if (isWindows) {
    if (!isProcessAlive(pgid)) return { signal: 'none' };
    await run('taskkill', ['/PID', String(pgid), '/T', '/F']).catch(() => undefined);
    return { signal: 'SIGKILL' };
  }
  if ((await processGroupMembers(pgid)).length === 0) return { signal: 'none' };
  signalGroup(pgid, 'SIGTERM');
  if (await waitUntilGone(pgid, graceMs)) return { signal: 'SIGTERM' };
  signalGroup(pgid, 'SIGKILL');
  if (await waitUntilGone(pgid, 5000)) return { signal: 'SIGKILL' };
  const left = await processGroupMembers(pgid);
  throw new MailengineError('LOCAL_STOP_FAILED', `${label} (process group ${pgid}) did not stop, even after SIGKILL: ${left.join(', ')} still running.`, {
    exitCode: ExitCode.Failed,
    suggestion: `Stop it by hand with \`kill -9 -${pgid}\` and check what is holding it.`,
    details: { pgid, left },
  });
}

/**
 * Every process (but this one) whose command line contains `marker`, with its process group.
 * `down` sweeps with it, so a part whose pid file was lost is still found and stopped.
 */
export async function findProcessesByMarker(marker: string): Promise<Array<{ pid: number; pgid: number }>> {
  const found: Array<{ pid: number; pgid: number }> = [];
  if (isWindows) return found;
  if (hasProc) {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
      try {
        const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
        if (!cmd.includes(marker)) continue;
        const stat = procStat(readFileSync(`/proc/${entry}/stat`, 'utf8'));
        if (stat && stat.state !== 'Z') found.push({ pid: Number(entry), pgid: stat.pgrp });
      } catch {
        // The process ended while we looked.
      }
    }
    return found;
  }
  const { stdout } = await run('ps', ['-A', '-o', 'pid=,pgid=,args='], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  for (const line of stdout.split('\n')) {
    const match = line.trim().match(/^(\d+)\s+(\d+)\s+(.*)$/);
    if (match && Number(match[1]) !== process.pid && match[3].includes(marker)) found.push({ pid: Number(match[1]), pgid: Number(match[2]) });
  }
  return found;
}
