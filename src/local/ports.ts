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

/** Ports the OS hands out as free right now, all different; for tests and `--*-port 0`-style use. */
export async function findFreePorts(count: number): Promise<number[]> {
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
