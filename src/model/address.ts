/**
 * The one spelling of an address that suppression entries, erasure hashes and duplicate checks
 * compare: surrounding space removed, lower case.
 */
export function normaliseAddress(address: string): string {
  return address.trim().toLowerCase();
}
