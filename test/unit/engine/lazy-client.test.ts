import { describe, expect, it } from 'vitest';
import { lazyClient, lazyOnce } from '../../../src/engine/lazy-client.js';

describe('lazyOnce', () => {
  it('loads nothing until first asked, then once for every caller, concurrent ones included', async () => {
    let loads = 0;
    const get = lazyOnce(async () => ({ n: ++loads }));
    expect(loads).toBe(0);
    const [a, b] = await Promise.all([get(), get()]);
    expect(a).toBe(b);
    expect(await get()).toBe(a);
    expect(loads).toBe(1);
  });

  it('does not remember a failed load: the next use tries again', async () => {
    let loads = 0;
    const get = lazyOnce(async () => {
      loads += 1;
      if (loads === 1) throw new Error('module not readable (injected)');
      return 'loaded';
    });
    await expect(get()).rejects.toThrow('injected');
    expect(await get()).toBe('loaded');
    expect(await get()).toBe('loaded');
    expect(loads).toBe(2);
  });
});

describe('lazyClient', () => {
  it('makes the client on its first request and sends every request through that one client', async () => {
    const made: Array<{ sent: unknown[] }> = [];
    const client = lazyClient(async () => {
      const c = { sent: [] as unknown[], send: async (command: never) => (c.sent.push(command), `answer ${c.sent.length}`) };
      made.push(c);
      return c;
    });
    expect(made).toHaveLength(0);
    expect(await client.send('first' as never)).toBe('answer 1');
    expect(await client.send('second' as never)).toBe('answer 2');
    expect(made).toHaveLength(1);
    expect(made[0].sent).toEqual(['first', 'second']);
  });
});
