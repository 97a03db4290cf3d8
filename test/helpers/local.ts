import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findFreePorts } from '../../src/local/ports.js';
import type { LocalPorts } from '../../src/model/local-stack.js';

// A small template with the engine's table shapes, so these tests do not move with every template change.
export const FIXTURE_TEMPLATE = fileURLToPath(new URL('../fixtures/local/engine.yaml', import.meta.url));

export function tempProject(label: string): string {
  return mkdtempSync(join(tmpdir(), `mailengine-local-${label}-`));
}

/** Four free loopback ports, none of them the defaults (4510–4513), which a developer's own stack may hold. */
export async function freePorts(): Promise<LocalPorts> {
  const [dynamodb, s3, sesv2, eventbridge] = await findFreePorts(4);
  return { dynamodb, s3, sesv2, eventbridge };
}

/** Live processes whose command line mentions `text` (a state directory), as `ps` sees them. */
export function processesMentioning(text: string): string[] {
  return execFileSync('ps', ['-eo', 'pid=,stat=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(text) && !/^\s*\d+\s+Z/.test(line));
}

/**
 * Alive and not a zombie. A part started by a CLI process that has exited belongs to init, which
 * may take a moment to reap it after `down`: the exit is what counts.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim().startsWith('Z');
  } catch {
    // ps exits non-zero once the pid is gone.
    return false;
  }
}

/** Live members of the process groups led by `pgids`, as `ps` sees them. */
export function processGroupsMembers(pgids: readonly number[]): Map<number, number[]> {
  const groups = new Map<number, number[]>(pgids.map((pgid) => [pgid, []]));
  for (const line of execFileSync('ps', ['-eo', 'pid=,pgid=,stat='], { encoding: 'utf8' }).split('\n')) {
    const [pid, pgid, stat] = line.trim().split(/\s+/);
    if (pid && !stat?.startsWith('Z')) groups.get(Number(pgid))?.push(Number(pid));
  }
  return groups;
}

/** Whether iproute2's `ss` is here to read the kernel's socket table with. */
export const hasSs = (() => {
  try {
    execFileSync('ss', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/**
 * Every listening TCP socket (local address as `ss` prints it, `127.0.0.1:4510`, `[::1]:4510`,
 * `*:4510`) with the pids that hold it: the kernel's own table, read independently of the code
 * under test.
 */
export function listeningPerSs(): Array<{ local: string; address: string; port: number; pids: number[] }> {
  const sockets = [];
  for (const line of execFileSync('ss', ['-Hltnp'], { encoding: 'utf8' }).split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields[0] !== 'LISTEN') continue;
    const local = fields[3];
    const match = /^\[?(.*?)\]?(?:%\S+)?:(\d+)$/.exec(local);
    if (!match) continue;
    sockets.push({ local, address: match[1], port: Number(match[2]), pids: [...line.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])) });
  }
  return sockets;
}
