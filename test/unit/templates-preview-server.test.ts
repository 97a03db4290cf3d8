import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { MailengineError } from '../../src/errors.js';
import { startPreviewServer, type PreviewServer } from '../../src/templates/preview-server.js';

const STARTERS = fileURLToPath(new URL('../../starter-templates', import.meta.url));

function copyOfStarters(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'mailengine-preview-')), 'templates');
  cpSync(STARTERS, dir, { recursive: true });
  return dir;
}

let server: PreviewServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** The first `change` event on /events after `trigger` runs, or a timeout. */
function nextChange(url: string, trigger: () => void): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const timeout = setTimeout(() => reject(new Error('no change event within 5 s')), 5000);
    const req = request(`${url}events`, (res) => {
      let buffer = '';
      let triggered = false;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        // Change the file only once subscribed, so the event cannot be missed.
        if (!triggered && buffer.includes('retry:')) {
          triggered = true;
          trigger();
        }
        const match = /event: change\ndata: (.*)\n\n/.exec(buffer);
        if (match) {
          clearTimeout(timeout);
          req.destroy();
          resolve(JSON.parse(match[1]) as string[]);
        }
      });
    });
    req.on('error', (err) => {
      if (!(err as NodeJS.ErrnoException).code?.includes('ECONNRESET')) reject(err);
    });
    req.end();
  });
}

describe('preview server', () => {
  it('shows cid: images from the files given, in every template that refers to them', async () => {
    const dir = copyOfStarters();
    writeFileSync(join(dir, 'welcome', 'template.html'), '<html><body><img src="cid:logo"><p>Hi {{ userName }}</p></body></html>');
    server = await startPreviewServer({ dir, port: 0, inlineImages: [{ contentId: 'logo', contentType: 'image/png', bytes: Buffer.from('89504e47', 'hex') }] });
    const html = await (await fetch(`${server.url}templates/welcome/html`)).text();
    expect(html).toContain('<img src="data:image/png;base64,iVBORw==">');
  });

  it('serves a page listing every template, each rendered with its sample data', async () => {
    server = await startPreviewServer({ dir: STARTERS, displayDir: 'starter-templates', port: 0 });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await (await fetch(server.url)).text();
    expect(page.match(/<li><a href="#t-/g)).toHaveLength(12);
    expect(page).toContain('starter-templates · 12 templates');
    expect(page).toContain('<dd class="subject">Your Acme order A-10482 is confirmed</dd>');
    expect(page).toContain('src="/templates/welcome/html" width="680"');
    expect(page).toContain('src="/templates/welcome/html" width="375"');
    expect(page).toContain('Thanks for signing up for Acme. Your account is ready to use.');

    const email = await fetch(`${server.url}templates/welcome/html`);
    expect(email.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await email.text();
    expect(html).toContain('<base target="_blank">');
    expect(html).toContain('Welcome aboard, Maya');
  });

  it('answers unknown paths with 404, other hosts with 403, and other methods with 405', async () => {
    server = await startPreviewServer({ dir: STARTERS, port: 0 });
    expect((await fetch(`${server.url}templates/nope/html`)).status).toBe(404);
    expect((await fetch(`${server.url}etc/passwd`)).status).toBe(404);
    expect((await fetch(server.url, { method: 'POST' })).status).toBe(405);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(server?.url as string, { headers: { host: 'attacker.example' } }, (res) => resolve(res.statusCode ?? 0));
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  it('shows a broken template as an error on the page and keeps serving the others', async () => {
    const dir = copyOfStarters();
    const file = join(dir, 'welcome', 'template.html');
    writeFileSync(file, readFileSync(file, 'utf8').replace('Welcome aboard, {{ userName }}', 'Welcome aboard, {{ userName }'));
    server = await startPreviewServer({ dir, displayDir: 'templates', port: 0 });
    const page = await (await fetch(server.url)).text();
    expect(page).toContain('<a href="#t-welcome" class="broken">welcome</a>');
    expect(page).toMatch(/<div class="problems" role="alert">.*templates\/welcome\/template\.html:6:\d+: expected variable end/s);
    expect(page).toContain('templates · 12 templates');
    expect(page).toContain('1 with errors');
    const broken = await fetch(`${server.url}templates/welcome/html`);
    expect(broken.status).toBe(422);
    expect((await fetch(`${server.url}templates/invoice/html`)).status).toBe(200);
  });

  it('tells open pages to reload when a template file changes', async () => {
    const dir = copyOfStarters();
    const changes: string[][] = [];
    server = await startPreviewServer({ dir, port: 0, onChange: (files) => changes.push(files) });
    const file = join(dir, 'invoice', 'template.txt');
    const files = await nextChange(server.url, () => writeFileSync(file, `${readFileSync(file, 'utf8')}\n`));
    expect(files).toContain(join('invoice', 'template.txt'));
    expect(changes.at(-1)).toEqual(files);
  });

  it('a port in use is an environment error (exit 3) naming the port', async () => {
    server = await startPreviewServer({ dir: STARTERS, port: 0 });
    const attempt = startPreviewServer({ dir: STARTERS, port: server.port });
    await expect(attempt).rejects.toBeInstanceOf(MailengineError);
    await expect(attempt).rejects.toMatchObject({ code: 'PORT_IN_USE', exitCode: 3 });
  });
});
