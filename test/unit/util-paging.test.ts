import { describe, expect, it } from 'vitest';
import { alignColumns } from '../../src/util/columns.js';
import { readPage } from '../../src/util/paging.js';

/** A descending index of `items` that hands out at most `perRead` a read, as DynamoDB stops at 1 MB. */
function index(items: number[], perRead: number) {
  const reads: Array<{ limit: number; startKey: number | undefined }> = [];
  const read = async (limit: number, startKey: number | undefined) => {
    reads.push({ limit, startKey });
    const from = startKey === undefined ? 0 : items.indexOf(startKey) + 1;
    const taken = items.slice(from, from + Math.min(limit, perRead));
    const end = from + taken.length;
    // Like DynamoDB: a key to go on from whenever the read stopped short of the end or at its limit.
    const stopped = taken.length > 0 && (end < items.length || taken.length === limit);
    return { items: taken, ...(stopped ? { lastKey: taken[taken.length - 1] } : {}) };
  };
  return { read, reads };
}

describe('readPage', () => {
  const newestFirst = [9, 8, 7, 6, 5, 4, 3, 2, 1];

  it('returns `limit` items and says more exist only when one does', async () => {
    const { read } = index(newestFirst, 100);
    expect(await readPage(3, undefined, read)).toEqual({ items: [9, 8, 7], more: true });
    expect(await readPage(9, undefined, read)).toEqual({ items: newestFirst, more: false });
    expect(await readPage(20, undefined, read)).toEqual({ items: newestFirst, more: false });
  });

  it('reads on across short reads until it has one past the limit', async () => {
    const { read, reads } = index(newestFirst, 2);
    expect(await readPage(4, undefined, read)).toEqual({ items: [9, 8, 7, 6], more: true });
    expect(reads.map((r) => r.limit)).toEqual([5, 3, 1]);
  });

  it('resumes after the start key', async () => {
    const { read } = index(newestFirst, 100);
    expect(await readPage(3, 7, read)).toEqual({ items: [6, 5, 4], more: true });
    expect(await readPage(3, 3, read)).toEqual({ items: [2, 1], more: false });
  });

  it('an empty query is one read and no more', async () => {
    const { read, reads } = index([], 100);
    expect(await readPage(5, undefined, read)).toEqual({ items: [], more: false });
    expect(reads).toHaveLength(1);
  });
});

describe('alignColumns', () => {
  it('pads every column but the last to its widest cell, two spaces apart, with no trailing blanks', () => {
    expect(alignColumns([
      ['NAME', 'STATUS', 'NOTE'],
      ['welcome', 'ok', ''],
      ['a', 'failed', 'see log'],
    ])).toEqual(['NAME     STATUS  NOTE', 'welcome  ok', 'a        failed  see log']);
  });

  it('lets a row with fewer cells end early and has no lines for no rows', () => {
    expect(alignColumns([['a', 'bb'], ['ccc']])).toEqual(['a    bb', 'ccc']);
    expect(alignColumns([])).toEqual([]);
  });
});
