/**
 * An AWS SDK client made on its first request: its module is read then, not at the function's
 * cold start. For the clients a handler needs only now and then (the Sender's status events, its
 * schedules); a failed load is tried again on the next request rather than remembered.
 */
export function lazyClient<C extends { send(command: never): Promise<unknown> }>(load: () => Promise<C>): Pick<C, 'send'> {
  let client: Promise<C> | undefined;
  const send = async (command: never) => {
    client ??= load().catch((err: unknown) => {
      client = undefined;
      throw err;
    });
    return (await client).send(command);
  };
  return { send: send as C['send'] };
}
