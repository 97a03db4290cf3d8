import { watch, type FSWatcher } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ExitCode, MailengineError } from '../errors.js';
import { isLoopbackHostHeader } from '../util/loopback.js';
import { formatProblem } from './problems.js';
import { previewAll, previewTemplate } from './preview.js';
import { escapeHtml, renderPreviewPage, withBaseTarget } from './preview-page.js';
import { DirectoryStore, listTemplateNames } from './store.js';
import { withInlineImages, type InlineImage } from './inline-images.js';

export interface PreviewServerOptions {
  /** Absolute path of the templates folder. */
  dir: string;
  /** How to show it on the page. */
  displayDir?: string;
  /** 0 picks a free port (tests). */
  port: number;
  host?: string;
  /** Told about each batch of file changes, e.g. to log it. */
  onChange?: (files: string[]) => void;
  /** Told about problems watching files; the server keeps running. */
  onWatchError?: (error: Error) => void;
  /** Images for `cid:` references (`--attach cid=file`), shown in every template that refers to them. */
  inlineImages?: InlineImage[];
}

export interface PreviewServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const CHANGE_DEBOUNCE_MS = 120;
const HEARTBEAT_MS = 15_000;

/**
 * A local page for looking at templates while editing them: every template rendered with its
 * sample data, re-rendered on each request, and a server-sent event telling open pages to reload
 * when a file under `dir` changes. Loopback only; a render error is shown on the page, never
 * thrown out of the server.
 */
export async function startPreviewServer(options: PreviewServerOptions): Promise<PreviewServer> {
  const host = options.host ?? '127.0.0.1';
  const displayDir = options.displayDir ?? options.dir;
  const clients = new Set<ServerResponse>();

  const server = createServer((req, res) => {
    try {
      route(req, res);
    } catch (err) {
      // Anything unexpected becomes a 500 page; the server itself carries on.
      send(res, 500, 'text/html', `<pre>${escapeHtml(err instanceof Error ? err.message : String(err))}</pre>`);
    }
  });

  function route(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'Only GET is supported.\n');
    // Refuse other host names, so a web page cannot reach this server through DNS rebinding.
    if (!isLoopbackHostHeader(req.headers.host)) return send(res, 403, 'text/plain', 'Forbidden host.\n');
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    if (path === '/') {
      return send(res, 200, 'text/html', renderPreviewPage(previewAll(options.dir, displayDir), { dir: displayDir, liveReload: true }));
    }
    if (path === '/events') return subscribe(req, res);
    if (path === '/favicon.ico') return send(res, 204, 'text/plain', '');
    const match = /^\/templates\/([^/]+)\/html$/.exec(path);
    if (match && listTemplateNames(options.dir).includes(match[1])) {
      const preview = previewTemplate(new DirectoryStore(options.dir, displayDir), match[1]);
      if (preview.email) return send(res, 200, 'text/html', withBaseTarget(withInlineImages(preview.email.html, options.inlineImages ?? []).html));
      const list = preview.problems.map((p) => `<li>${escapeHtml(formatProblem(p))}</li>`).join('');
      return send(res, 422, 'text/html', `<!DOCTYPE html><title>${escapeHtml(match[1])}</title><ul>${list}</ul>`);
    }
    send(res, 404, 'text/plain', 'Not found.\n');
  }

  function subscribe(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write('retry: 1000\n\n');
    clients.add(res);
    req.on('close', () => clients.delete(res));
  }

  function broadcast(files: string[]): void {
    const message = `event: change\ndata: ${JSON.stringify(files)}\n\n`;
    for (const client of clients) client.write(message);
  }

  let pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const onFsEvent = (_event: string, file: string | Buffer | null) => {
    pending.add(file ? String(file) : '');
    clearTimeout(timer);
    // Editors write a file in several steps; wait for the burst to end, then reload once.
    timer = setTimeout(() => {
      const files = [...pending].filter(Boolean).sort();
      pending = new Set();
      options.onChange?.(files);
      broadcast(files);
    }, CHANGE_DEBOUNCE_MS);
  };
  const watchers = watchTree(options.dir, onFsEvent, (err) => options.onWatchError?.(err));

  const heartbeat = setInterval(() => {
    for (const client of clients) client.write(': keep-alive\n\n');
  }, HEARTBEAT_MS);
  heartbeat.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      for (const w of watchers) w.close();
      clearInterval(heartbeat);
      if (err.code === 'EADDRINUSE') {
        reject(
          new MailengineError('PORT_IN_USE', `Port ${options.port} on ${host} is already in use.`, {
            exitCode: ExitCode.Environment,
            suggestion: 'Pick another with --port, or --port 0 for any free port.',
          }),
        );
      } else reject(err);
    });
    server.listen(options.port, host, () => resolve());
  });

  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}/`,
    port,
    close: async () => {
      clearTimeout(timer);
      clearInterval(heartbeat);
      for (const w of watchers) w.close();
      for (const client of clients) client.end();
      clients.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' });
  res.end(body);
}

/**
 * Watches a folder and everything under it. Node's recursive watch is used where the platform
 * has it; elsewhere the folder and its direct subfolders (one per template) are watched.
 */
function watchTree(dir: string, listener: (event: string, file: string | Buffer | null) => void, onError: (err: Error) => void): FSWatcher[] {
  const attach = (w: FSWatcher) => {
    w.on('error', onError);
    return w;
  };
  try {
    return [attach(watch(dir, { recursive: true }, listener))];
  } catch {
    const watchers = [attach(watch(dir, listener))];
    for (const name of listTemplateNames(dir)) watchers.push(attach(watch(join(dir, name), (event, file) => listener(event, `${name}/${file ?? ''}`))));
    try {
      watchers.push(attach(watch(join(dir, '_layout'), (event, file) => listener(event, `_layout/${file ?? ''}`))));
    } catch {
      // No shared layout folder: nothing more to watch.
    }
    return watchers;
  }
}
