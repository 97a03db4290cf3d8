import { setTimeout as delay } from 'node:timers/promises';

/** Waits `ms`; rejects (Node's AbortError) the moment `signal` fires. Replaceable in tests so waits take no time. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const sleep: Sleep = async (ms, signal) => {
  await delay(ms, undefined, signal ? { signal } : undefined);
};
