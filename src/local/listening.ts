import { execFile } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { endianness } from 'node:os';
import { promisify } from 'node:util';
import { isLoopbackAddress } from '../util/loopback.js';
import { processGroupMembers } from './processes.js';

const run = promisify(execFile);

/** One listening TCP socket as the operating system's socket table shows it. */
export interface ListeningSocket {
  /** `127.0.0.1`, `::1`, `::ffff:127.0.0.1`; a wildcard is `0.0.0.0`, `::` or `*`. */
  address: string;
  port: number;
  pid: number;
}

/**
 * `127.0.0.1:4510`, `[::1]:4510`, `*:4510`. An IPv6 socket bound to an IPv4-mapped address (how
 * Java binds 127.0.0.1) takes IPv4 connections to that address only, so it is shown as IPv4.
 */
export function formatListening(socket: Pick<ListeningSocket, 'address' | 'port'>): string {
  const address = socket.address.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');
  return `${address.includes(':') ? `[${address}]` : address}:${socket.port}`;
}

/** The plain sentence `up` and `status` say about a part that other machines can reach. */
export function exposureSentence(label: string, exposed: readonly string[]): string {
  return `${label} listens on ${exposed.join(', ')}: other machines that can reach this one can use it.`;
}

export function isLoopbackSocket(socket: Pick<ListeningSocket, 'address'>): boolean {
  return isLoopbackAddress(socket.address);
}

/** A kernel address from /proc/net/tcp*: 32-bit words in host byte order, printed as hex. */
function procAddress(hex: string, littleEndian: boolean): string {
  const bytes = Buffer.from(hex, 'hex');
  if (littleEndian) for (let at = 0; at < bytes.length; at += 4) bytes.subarray(at, at + 4).reverse();
  if (bytes.length === 4) return [...bytes].join('.');
  // IPv4 mapped into IPv6 reads best in its dotted form.
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return `::ffff:${[...bytes.subarray(12)].join('.')}`;
  const groups = [];
  for (let at = 0; at < 16; at += 2) groups.push(bytes.readUInt16BE(at).toString(16));
  // The URL parser writes an IPv6 address in its shortest form.
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

/**
 * The listening sockets in the text of /proc/net/tcp or /proc/net/tcp6, by inode. Columns:
 * `sl local_address rem_address st ... inode`; state 0A is LISTEN.
 */
export function parseProcNetTcp(text: string, littleEndian = endianness() === 'LE'): Map<string, Omit<ListeningSocket, 'pid'>> {
  const sockets = new Map<string, Omit<ListeningSocket, 'pid'>>();
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10 || fields[3] !== '0A') continue;
    const [address, port] = fields[1].split(':');
    sockets.set(fields[9], { address: procAddress(address, littleEndian), port: parseInt(port, 16) });
  }
  return sockets;
}

async function linuxSockets(pids: readonly number[]): Promise<ListeningSocket[]> {
  const table = new Map<string, Omit<ListeningSocket, 'pid'>>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    // A kernel without IPv6 has no tcp6 table.
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const [inode, socket] of parseProcNetTcp(text)) table.set(inode, socket);
  }
  const found: ListeningSocket[] = [];
  for (const pid of pids) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const socket = table.get(/^socket:\[(\d+)\]$/.exec(target)?.[1] ?? '');
      if (socket) found.push({ ...socket, pid });
    }
  }
  return found;
}

/** `lsof -F pn` output: `p<pid>` starts a process, `n<address>:<port>` names each of its sockets. */
export function parseLsof(text: string): ListeningSocket[] {
  const found: ListeningSocket[] = [];
  let pid = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('p')) pid = Number(line.slice(1));
    const match = line.startsWith('n') ? /^n\[?([^\]]*?)\]?:(\d+)$/.exec(line) : null;
    if (match) found.push({ address: match[1], port: Number(match[2]), pid });
  }
  return found;
}

/**
 * `netstat -ano` output on Windows. A listening socket is the one whose foreign address is
 * `0.0.0.0:0` or `[::]:0`; the state column is not used, as Windows translates it.
 */
export function parseNetstat(text: string): ListeningSocket[] {
  const found: ListeningSocket[] = [];
  for (const line of text.split(/\r?\n/)) {
    const [proto, local, foreign, ...rest] = line.trim().split(/\s+/);
    if (proto !== 'TCP' || (foreign !== '0.0.0.0:0' && foreign !== '[::]:0')) continue;
    const match = /^\[?([^\]]*?)\]?:(\d+)$/.exec(local ?? '');
    if (match) found.push({ address: match[1].replace(/%.*$/, ''), port: Number(match[2]), pid: Number(rest[rest.length - 1]) });
  }
  return found;
}

/**
 * Every listening TCP socket that one of `pids` holds, read from the operating system's own
 * socket table: /proc on Linux, `lsof` on macOS and the BSDs, `netstat` on Windows. Undefined
 * where the table cannot be read (no lsof, say): then nothing can be claimed either way.
 */
export async function listeningSockets(pids: readonly number[]): Promise<ListeningSocket[] | undefined> {
  if (pids.length === 0) return [];
  try {
    if (process.platform === 'linux') return await linuxSockets(pids);
    if (process.platform === 'win32') {
      // Without `-p`, netstat lists IPv4 and IPv6 sockets alike.
      const { stdout } = await run('netstat', ['-ano'], { encoding: 'utf8', windowsHide: true, maxBuffer: 16 * 1024 * 1024 });
      return parseNetstat(stdout).filter((s) => pids.includes(s.pid));
    }
    const { stdout } = await run('lsof', ['-nP', '-a', '-iTCP', '-sTCP:LISTEN', '-p', pids.join(','), '-F', 'pn'], { encoding: 'utf8' }).catch((err: { code?: unknown; stdout?: string }) => {
      // lsof exits 1 when nothing matched; only a missing lsof is "cannot tell".
      if (err.code === 1 && typeof err.stdout === 'string') return { stdout: err.stdout };
      throw err;
    });
    return parseLsof(stdout).filter((s) => pids.includes(s.pid));
  } catch {
    return undefined;
  }
}

/**
 * What a part's processes listen on: every member of its process group (the emulator and
 * anything it started), as `127.0.0.1:4510`-style strings, sorted; `exposed` are the ones other
 * machines could reach. Undefined where the socket table cannot be read.
 */
export async function partListening(pid: number): Promise<{ listening: string[]; exposed: string[] } | undefined> {
  const members = await processGroupMembers(pid);
  const sockets = await listeningSockets(members.length > 0 ? members : [pid]);
  if (!sockets) return undefined;
  const unique = (list: ListeningSocket[]) => [...new Set(list.map(formatListening))].sort();
  return { listening: unique(sockets), exposed: unique(sockets.filter((s) => !isLoopbackSocket(s))) };
}
