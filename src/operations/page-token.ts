import { usageError } from '../errors.js';

/**
 * Opaque `--next` tokens: the query they continue plus where it stopped, as base64url JSON. The
 * query travels with the position so a token cannot silently continue a different lookup.
 */
export function encodePageToken(state: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify({ v: 1, ...state }), 'utf8').toString('base64url');
}

export function decodePageToken(token: string): Record<string, unknown> {
  try {
    const state = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (typeof state === 'object' && state !== null && !Array.isArray(state) && (state as { v?: unknown }).v === 1) return state as Record<string, unknown>;
  } catch {
    // fall through: any undecodable token is the same mistake
  }
  throw usageError('PAGE_TOKEN_INVALID', 'The --next token is not one mailengine printed.', 'Copy the token from the "More:" line (or the "next" field with --json) of the previous page.');
}
