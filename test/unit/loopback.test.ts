import { describe, expect, it } from 'vitest';
import { isLoopbackAddress, isLoopbackHostHeader } from '../../src/util/loopback.js';

describe('loopback names and addresses', () => {
  it.each([
    ['127.0.0.1:4513', true],
    ['127.0.0.1', true],
    ['localhost:4513', true],
    ['LOCALHOST', true],
    ['[::1]:4513', true],
    ['[::1]', true],
    [undefined, false],
    ['', false],
    // DNS rebinding: a name of the attacker's that resolves to 127.0.0.1.
    ['attacker.example:4513', false],
    ['127.0.0.1.nip.io', false],
    ['localhost.attacker.example', false],
    ['192.168.1.20:4513', false],
    ['0.0.0.0:4513', false],
  ])('Host header %s is loopback: %s', (host, expected) => {
    expect(isLoopbackHostHeader(host)).toBe(expected);
  });

  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['[::1]', true],
    ['0:0:0:0:0:0:0:1', true],
    // How a Java server bound to 127.0.0.1 shows in /proc/net/tcp6 and `ss`.
    ['::ffff:127.0.0.1', true],
    ['[::ffff:127.0.0.1]', true],
    ['0.0.0.0', false],
    ['::', false],
    ['*', false],
    ['::ffff:0.0.0.0', false],
    ['::ffff:10.0.0.5', false],
    ['192.168.1.20', false],
    ['fe80::1', false],
    ['localhost', false],
  ])('address %s is loopback: %s', (address, expected) => {
    expect(isLoopbackAddress(address)).toBe(expected);
  });
});
