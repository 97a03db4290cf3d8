import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';

export type PortProbe = 'free' | 'busy' | 'forbidden';

function tryListen(port: number, host: string): Promise<PortProbe | 'unsupported'> {
  return new Promise((resolve) => {
    const server: Server = createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') resolve('busy');
      else if (err.code === 'EACCES') resolve('forbidden');
      // No IPv6 on this machine: only the IPv4 probe counts.
      else resolve('unsupported');
    });
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve('free')));
  });
}

/**
 * Whether a port can be used on loopback. Both the IPv4 loopback and the IPv6 wildcard are tried:
 * another program listening on every interface (`0.0.0.0`, `::`) or on `::1` holds the port too,
 * and would answer clients of the part that `up` starts there.
 */
export async function probePort(port: number): Promise<PortProbe> {
  const v4 = await tryListen(port, '127.0.0.1');
  if (v4 !== 'free') return v4 === 'unsupported' ? 'busy' : v4;
  const v6 = await tryListen(port, '::');
  return v6 === 'unsupported' ? 'free' : v6;
}

/** The IANA dynamic range, which macOS and Windows use for outgoing connections' local ports. */
const IANA_EPHEMERAL: PortRange = [49152, 65535];
/** Below this, ports belong to well-known services and to development servers' habits. */
const LOWEST_PICK = 20000;
const MAX_TRIES = 500;

export type PortRange = readonly [low: number, high: number];

/**
 * The range the OS takes outgoing connections' local ports from. A port picked there can be taken
 * by any client's connection between the moment it is found free and the moment a part binds it.
 */
export function ephemeralPortRange(procFile = '/proc/sys/net/ipv4/ip_local_port_range'): PortRange {
  try {
    const [low, high] = readFileSync(procFile, 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high) && low > 0 && low <= high && high <= 65535) return [low, high];
  } catch {
    // Not Linux: the IANA range below.
  }
  return IANA_EPHEMERAL;
}

/** Where to pick from: the widest stretch of ports from LOWEST_PICK up that lies outside `ephemeral`. */
export function pickableRange(ephemeral: PortRange): PortRange | undefined {
  const below: PortRange = [LOWEST_PICK, ephemeral[0] - 1];
  const above: PortRange = [Math.max(LOWEST_PICK, ephemeral[1] + 1), 65535];
  const size = (r: PortRange) => r[1] - r[0] + 1;
  const best = size(below) >= size(above) ? below : above;
  return size(best) >= 100 ? best : undefined;
}

/**
 * Ports free on loopback right now, all different; for tests and for the demo's own stack. They
 * are picked at random outside the OS's ephemeral range, so no outgoing connection on the machine
 * can take one before the part that was meant for it binds it (an emulator that finds its port
 * taken exits before it answers). Where the ephemeral range leaves no room, the OS picks.
 */
export async function findFreePorts(count: number, ephemeral: PortRange = ephemeralPortRange()): Promise<number[]> {
  const range = pickableRange(ephemeral);
  if (!range) return osAssignedPorts(count);
  const ports = new Set<number>();
  for (let tries = 0; ports.size < count && tries < MAX_TRIES; tries++) {
    const port = range[0] + Math.floor(Math.random() * (range[1] - range[0] + 1));
    if (!ports.has(port) && (await probePort(port)) === 'free') ports.add(port);
  }
  if (ports.size < count) {
    throw new Error(`Found only ${ports.size} of ${count} free ports between ${range[0]} and ${range[1]} in ${MAX_TRIES} tries.`);
  }
  return [...ports];
}

async function osAssignedPorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  const ports = new Set<number>();
  try {
    while (ports.size < count) {
      const server = createServer();
      servers.push(server);
      const port = await new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port: 0, host: '127.0.0.1' }, () => resolve((server.address() as { port: number }).port));
      });
      ports.add(port);
    }
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
  return [...ports];
}
