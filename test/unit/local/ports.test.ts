import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ephemeralPortRange, findFreePorts, pickableRange, probePort } from '../../../src/local/ports.js';

process.env.AWS_EC2_METADATA_DISABLED = 'true';

function procFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'ports-')), 'ip_local_port_range');
  writeFileSync(file, text);
  return file;
}

describe('findFreePorts', () => {
  it('picks free loopback ports outside the ephemeral range, so no outgoing connection can take one before its part binds it', async () => {
    const ephemeral = ephemeralPortRange();
    const ports = await findFreePorts(8);
    expect(new Set(ports).size).toBe(8);
    for (const port of ports) {
      expect(port < ephemeral[0] || port > ephemeral[1], `${port} inside ${ephemeral.join('-')}`).toBe(true);
      expect(port).toBeGreaterThanOrEqual(20000);
      expect(await probePort(port)).toBe('free');
    }
  });

  it('never hands out a port something already listens on', async () => {
    const range: [number, number] = [20000, 20099];
    const held = await Promise.all(
      Array.from({ length: 95 }, (_, i) => 20000 + i).map(
        (port) =>
          new Promise<ReturnType<typeof createServer> | undefined>((resolve) => {
            const server = createServer();
            server.once('error', () => resolve(undefined));
            server.listen({ port, host: '127.0.0.1' }, () => resolve(server));
          }),
      ),
    );
    try {
      // Ephemeral range above the 100 ports: only 20000–20099 is pickable, and 95 of them are held.
      const ports = await findFreePorts(3, [20100, 65535]);
      const taken = new Set(held.flatMap((s, i) => (s ? [20000 + i] : [])));
      for (const port of ports) {
        expect(port).toBeGreaterThanOrEqual(range[0]);
        expect(port).toBeLessThanOrEqual(range[1]);
        expect(taken.has(port)).toBe(false);
      }
    } finally {
      await Promise.all(held.map((s) => s && new Promise((r) => s.close(r))));
    }
  });

  it('lets the OS pick when the ephemeral range leaves no room', async () => {
    expect(pickableRange([1024, 65535])).toBeUndefined();
    const ports = await findFreePorts(2, [1024, 65535]);
    expect(ports).toHaveLength(2);
    for (const port of ports) expect(await probePort(port)).toBe('free');
  });
});

describe('ephemeralPortRange', () => {
  it("reads Linux's range and falls back to the IANA one", () => {
    expect(ephemeralPortRange(procFile('32768\t60999\n'))).toEqual([32768, 60999]);
    expect(ephemeralPortRange(procFile('garbage'))).toEqual([49152, 65535]);
    expect(ephemeralPortRange('/nonexistent/ip_local_port_range')).toEqual([49152, 65535]);
  });

  it('picks from the wider stretch outside it', () => {
    expect(pickableRange([32768, 60999])).toEqual([20000, 32767]);
    expect(pickableRange([49152, 65535])).toEqual([20000, 49151]);
    expect(pickableRange([10000, 40000])).toEqual([40001, 65535]);
  });
});
