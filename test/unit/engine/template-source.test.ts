import { createHash } from 'node:crypto';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { TemplateSource } from '../../../src/engine/template-source.js';
import { ERROR_TYPES } from '../../../src/model/error-types.js';
import { renderTemplate } from '../../../src/templates/render.js';

/**
 * A bucket in memory that answers GetObject as S3 does: ETag, If-None-Match → 304, missing → 404.
 * A request sees the bucket as it is when the request is made; `hold()` delays the answers (the
 * request is then in flight) until `release()`.
 */
class FakeBucket {
  readonly objects = new Map<string, { body: string; etag: string }>();
  readonly requests: Array<{ key: string; ifNoneMatch?: string }> = [];
  failing = false;
  private held: Array<() => void> | undefined;

  put(name: string, version: string): void {
    const files = {
      'template.html': `<p>${version} {{ name }}</p>`,
      'template.txt': `${version} {{ name }}`,
      'metadata.json': JSON.stringify({ subject: `Subject ${version}` }),
    };
    for (const [file, body] of Object.entries(files)) this.objects.set(`templates/${name}/${file}`, { body, etag: `"${createHash('md5').update(body).digest('hex')}"` });
  }

  remove(name: string): void {
    for (const key of [...this.objects.keys()]) if (key.startsWith(`templates/${name}/`)) this.objects.delete(key);
  }

  hold(): void {
    this.held = [];
  }

  release(): void {
    const waiting = this.held ?? [];
    this.held = undefined;
    for (const go of waiting) go();
  }

  readonly client = {
    send: async (command: unknown): Promise<unknown> => {
      if (!(command instanceof GetObjectCommand)) throw new Error('unexpected command');
      const { Key, IfNoneMatch } = command.input;
      this.requests.push({ key: Key as string, ...(IfNoneMatch ? { ifNoneMatch: IfNoneMatch } : {}) });
      // The answer is decided now, as S3 decides it when it handles the request.
      const failing = this.failing;
      const object = this.objects.get(Key as string);
      if (this.held) await new Promise<void>((resolve) => this.held?.push(resolve));
      if (failing) throw Object.assign(new Error('We encountered an internal error.'), { name: 'InternalError', $metadata: { httpStatusCode: 500 } });
      if (!object) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
      if (IfNoneMatch === object.etag) throw Object.assign(new Error('Not Modified'), { name: '304', $metadata: { httpStatusCode: 304 } });
      return { ETag: object.etag, Body: { transformToString: () => Promise.resolve(object.body) } };
    },
  };
}

function setup(options: { freshForMs?: number; maxStaleMs?: number } = {}) {
  const bucket = new FakeBucket();
  let now = 1_000_000;
  const warnings: string[] = [];
  const source = new TemplateSource(bucket.client, {
    bucket: 'b',
    freshForMs: 1_000,
    maxStaleMs: 3_000,
    ...options,
    now: () => now,
    log: { info() {}, warn: (event) => warnings.push(event), error() {} },
  });
  const subject = async (name = 't') => renderTemplate(await source.get(name), { name: 'x' }).subject;
  return {
    bucket,
    source,
    subject,
    warnings,
    advance: (ms: number) => {
      now += ms;
    },
    get now() {
      return now;
    },
  };
}

/** Lets background checks run to completion. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('TemplateSource: cached by ETag, revalidated in the background, stale for at most maxStaleMs', () => {
  it('within freshForMs a use asks S3 nothing', async () => {
    const s = setup();
    s.bucket.put('t', 'v1');
    expect(await s.subject()).toBe('Subject v1');
    expect(s.bucket.requests).toHaveLength(3);
    s.advance(999);
    for (let i = 0; i < 20; i++) expect(await s.subject()).toBe('Subject v1');
    expect(s.bucket.requests).toHaveLength(3);
  });

  it('concurrent first uses share one load', async () => {
    const s = setup();
    s.bucket.put('t', 'v1');
    const subjects = await Promise.all(Array.from({ length: 10 }, () => s.subject()));
    expect(subjects).toEqual(Array(10).fill('Subject v1'));
    expect(s.bucket.requests).toHaveLength(3);
  });

  it('past freshForMs a use gets the cached copy without waiting, and one conditional check per template runs behind it', async () => {
    const s = setup();
    s.bucket.put('t', 'v1');
    await s.subject();
    s.bucket.hold();
    s.advance(1_500);
    // S3 is not answering, yet every use is served at once.
    const subjects = await Promise.all(Array.from({ length: 10 }, () => s.subject()));
    expect(subjects).toEqual(Array(10).fill('Subject v1'));
    expect(s.bucket.requests.slice(3)).toEqual([
      { key: 'templates/t/template.html', ifNoneMatch: expect.stringMatching(/^"/) },
      { key: 'templates/t/template.txt', ifNoneMatch: expect.stringMatching(/^"/) },
      { key: 'templates/t/metadata.json', ifNoneMatch: expect.stringMatching(/^"/) },
    ]);
    s.bucket.release();
    await settle();
    // Unchanged (three 304s): fresh again from when that check began.
    s.advance(900);
    await s.subject();
    expect(s.bucket.requests).toHaveLength(6);
  });

  it('a push is picked up by the background check: the first use after it still gets the old copy, later ones the new', async () => {
    const s = setup();
    s.bucket.put('t', 'v1');
    await s.subject();
    s.bucket.put('t', 'v2');
    s.advance(1_200);
    expect(await s.subject()).toBe('Subject v1');
    await settle();
    expect(await s.subject()).toBe('Subject v2');
  });

  it('the bound: no use at maxStaleMs or later after a push renders the old template, whatever the background checks do', async () => {
    for (const failing of [false, true]) {
      const s = setup({ freshForMs: 1_000, maxStaleMs: 3_000 });
      s.bucket.put('t', 'v1');
      await s.subject();
      s.bucket.put('t', 'v2');
      const pushedAt = s.now;
      // Background checks fail (S3 errors) or are held; uses in between may get v1.
      s.bucket.failing = failing;
      if (!failing) s.bucket.hold();
      for (let t = 0; t < 3_000; t += 250) {
        s.advance(250);
        if (s.now - pushedAt >= 3_000) break;
        await s.subject();
        await settle();
      }
      s.bucket.failing = false;
      s.bucket.release();
      await settle();
      while (s.now - pushedAt < 3_000) s.advance(50);
      // From here on every use has v2.
      for (let i = 0; i < 5; i++) {
        expect(await s.subject(), `failing ${failing}, use ${i}`).toBe('Subject v2');
        s.advance(700);
      }
      if (failing) expect(s.warnings).toContain('template_revalidation_failed');
    }
  });

  it('a check that began before the push ended does not count as having seen it, even if it ends after', async () => {
    const s = setup({ freshForMs: 1_000, maxStaleMs: 3_000 });
    s.bucket.put('t', 'v1');
    await s.subject();
    s.advance(1_000);
    // A background check starts and S3 answers it from the bucket as it was (v1)...
    s.bucket.hold();
    expect(await s.subject()).toBe('Subject v1');
    // ...the push ends while that answer is on its way...
    s.advance(100);
    s.bucket.put('t', 'v2');
    const pushedAt = s.now;
    s.advance(100);
    s.bucket.release();
    await settle();
    // ...so at pushedAt + maxStaleMs the copy is too old, although its check ended after the push.
    while (s.now - pushedAt < 3_000) s.advance(100);
    expect(await s.subject()).toBe('Subject v2');
  });

  it('a template deleted from the bucket stops being served after the background check finds it gone', async () => {
    const s = setup();
    s.bucket.put('t', 'v1');
    await s.subject();
    s.bucket.remove('t');
    s.advance(1_500);
    expect(await s.subject()).toBe('Subject v1');
    await settle();
    await expect(s.subject()).rejects.toMatchObject({ errorType: ERROR_TYPES.templateNotFound });
  });

  it('a failed background check is not repeated on every use: at most one per freshForMs', async () => {
    const s = setup({ freshForMs: 1_000, maxStaleMs: 10_000 });
    s.bucket.put('t', 'v1');
    await s.subject();
    s.bucket.failing = true;
    s.advance(1_000);
    for (let i = 0; i < 10; i++) {
      await s.subject();
      await settle();
      s.advance(50);
    }
    // The first check (3 GETs), then nothing until a second has passed since it began.
    expect(s.bucket.requests).toHaveLength(6);
  });

  it('defaults: fresh for 5 s, stale for at most three times that', () => {
    expect(new TemplateSource(new FakeBucket().client, { bucket: 'b' }).staleBoundMs).toBe(15_000);
    expect(new TemplateSource(new FakeBucket().client, { bucket: 'b', freshForMs: 1_000 }).staleBoundMs).toBe(3_000);
  });
});
