/**
 * A value made on first use and shared by every use after it; a failed load is tried again on the
 * next use rather than remembered. For what a handler needs only now and then: its module is read
 * then, not at the function's cold start.
 */
export function lazyOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () =>
    (value ??= load().catch((err: unknown) => {
      value = undefined;
      throw err;
    }));
}

/**
 * An AWS SDK client made on its first request (`lazyOnce`): for the clients a handler calls only
 * now and then (the Sender's status events, its schedules, its requeues).
 */
export function lazyClient<C extends { send(command: never): Promise<unknown> }>(load: () => Promise<C>): Pick<C, 'send'> {
  const client = lazyOnce(load);
  const send = async (command: never) => (await client()).send(command);
  return { send: send as C['send'] };
}
