import { BlockList, isIP } from 'node:net';

/**
 * The host names a browser sends for this machine. A local server that answers any other Host
 * header can be reached by a web page through DNS rebinding (a name of the page's that resolves to
 * 127.0.0.1 a moment later), so the local servers answer these only.
 */
export const LOOPBACK_HOST_NAMES = ['127.0.0.1', 'localhost', '[::1]'] as const;

/** True when an HTTP Host header (`127.0.0.1:4513`, `localhost`, `[::1]:80`) names this machine. */
export function isLoopbackHostHeader(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.toLowerCase().replace(/:\d+$/, '');
  return (LOOPBACK_HOST_NAMES as readonly string[]).includes(name);
}

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/**
 * True for an IP address only this machine can reach: 127.0.0.0/8 and ::1, in any spelling,
 * including IPv4 loopback mapped into IPv6 (`::ffff:127.0.0.1`, which is how a Java server bound
 * to 127.0.0.1 appears in the socket table). Wildcards (`0.0.0.0`, `::`, `*`) are not loopback.
 */
export function isLoopbackAddress(address: string): boolean {
  const plain = address.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  const version = isIP(plain);
  return version !== 0 && loopback.check(plain, version === 6 ? 'ipv6' : 'ipv4');
}
