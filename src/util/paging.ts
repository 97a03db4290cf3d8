/** One read of a query: its items in order, and where the next read starts (absent at the end). */
export interface QueryRead<T, K> {
  items: T[];
  lastKey?: K;
}

/**
 * One page of at most `limit` items of a query read in index order (newest first, for the stores'
 * descending queries), starting after `startKey`. It reads one item past `limit`, across as many
 * reads as the service needs (a read may stop early, at its size limit or a filter), so `more` is
 * true only when another item really exists: a page never ends in an empty "next".
 * `read(limit, startKey)` asks for at most `limit` items.
 */
export async function readPage<T, K>(limit: number, startKey: K | undefined, read: (limit: number, startKey: K | undefined) => Promise<QueryRead<T, K>>): Promise<{ items: T[]; more: boolean }> {
  const items: T[] = [];
  let start = startKey;
  do {
    const out = await read(limit + 1 - items.length, start);
    items.push(...out.items);
    start = out.lastKey;
  } while (start && items.length <= limit);
  return items.length <= limit ? { items, more: false } : { items: items.slice(0, limit), more: true };
}
