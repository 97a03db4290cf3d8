import { isValidAddress } from '../model/request.js';
import { usageError } from '../errors.js';
import { normaliseAddress } from '../model/address.js';

/** The same test the engine applies to a request's `to`, so a lookup finds what the Sender stored. */
export const isEmailAddress = isValidAddress;

/**
 * An address given on the command line or in a file, normalised the way the engine stores it
 * (trimmed, lower case). Anything that is not an address is bad input (exit 2).
 */
export function parseAddress(value: string, what = 'address'): string {
  const address = normaliseAddress(value);
  if (!isEmailAddress(address)) {
    throw usageError('INVALID_ADDRESS', `"${value.slice(0, 100)}" is not an email address.`, `Give the ${what} as name@example.com.`, { value: value.slice(0, 100) });
  }
  return address;
}
