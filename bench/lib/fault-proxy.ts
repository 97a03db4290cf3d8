import { createConnection, createServer, type Socket } from 'node:net';

/** A TCP proxy in front of one emulator that can play an outage of it. */
export interface FaultProxy {
  /** The proxy's address, to hand to a client in place of the emulator's. */
  url: string;
  /** Starts the outage: open connections are reset and new ones are reset as they arrive. */
  cut(): void;
  /** Ends the outage. */
  restore(): void;
  /** Connections reset by outages so far. */
  readonly resets: number;
  close(): Promise<void>;
}

/**
 * Proxies 127.0.0.1:<free port> to `target` (an http://host:port URL). During an outage the
 * client sees what it sees when a service endpoint goes away: connections reset mid-request and
 * on connect, so its SDK retries and then fails, rather than hanging.
 */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const { hostname, port } = new URL(target);
  const open = new Set<Socket>();
  let down = false;
  let resets = 0;
  const reset = (socket: Socket) => {
    resets += 1;
    socket.resetAndDestroy();
  };
  const server = createServer((client) => {
    if (down) return reset(client);
    const upstream = createConnection({ host: hostname, port: Number(port) });
    open.add(client);
    const forget = () => {
      open.delete(client);
      upstream.destroy();
      client.destroy();
    };
    client.on('error', forget).on('close', forget);
    upstream.on('error', forget).on('close', forget);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the fault proxy has no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    cut() {
      down = true;
      for (const socket of open) reset(socket);
      open.clear();
    },
    restore() {
      down = false;
    },
    get resets() {
      return resets;
    },
    close() {
      for (const socket of open) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
