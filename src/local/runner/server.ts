import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EngineLogger } from '../../engine/status-events.js';
import { isLoopbackHostHeader } from '../../util/loopback.js';
import type { RecordedEvent } from './event-bus.js';
import { PutEventsRequestError, putEvents, type PutEventsContext } from './put-events.js';
import type { LocalQueue } from './queue.js';
import type { RecordedSend, RunnerState } from './runner.js';

/**
 * The runner's HTTP face, on one loopback port:
 * - AWS JSON 1.1 with `X-Amz-Target: AWSEvents.PutEvents` at any path: what an SDK with
 *   `AWS_ENDPOINT_URL_EVENTBRIDGE` pointing here sends;
 * - `/_mailengine/*`: the runner's own control and inspection endpoints (state, pause, resume,
 *   events, sends, queues, and the dead-letter redrive).
 * Requests whose Host header is not a loopback name are refused with 403.
 */
export interface RunnerServerOptions {
  host: string;
  port: number;
  /** False until the engine handlers exist: the state endpoint answers 503 meanwhile. */
  isReady(): boolean;
  putEventsContext: PutEventsContext;
  state(): RunnerState;
  pause(): Promise<RunnerState>;
  resume(): Promise<RunnerState>;
  throttleSes(on: boolean): RunnerState;
  sends(): readonly RecordedSend[];
  queues(): Record<string, LocalQueue>;
  log: EngineLogger;
}

export interface RunnerServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Larger bodies are refused before they are read whole; PutEvents itself allows 256 KB of entries. */
const MAX_BODY_BYTES = 1024 * 1024;
/** A long poll on `/_mailengine/events` waits at most this long. */
const MAX_WAIT_MS = 30_000;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, `request body over ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** An AWS JSON 1.1 answer: the SDK reads the error's type from `__type`. */
function sendAws(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, body, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
}

function eventFilter(query: URLSearchParams): (e: RecordedEvent) => boolean {
  const bus = query.get('bus');
  const detailType = query.get('detailType');
  const source = query.get('source');
  const emailId = query.get('emailId');
  return (e) =>
    (!bus || e.bus === bus) &&
    (!detailType || e.event['detail-type'] === detailType) &&
    (!source || e.event.source === source) &&
    (!emailId || (e.event.detail as { emailId?: unknown }).emailId === emailId);
}

function wholeNumber(value: string | null, fallback: number): number {
  return value !== null && /^\d+$/.test(value) ? Number(value) : fallback;
}

export async function startRunnerServer(options: RunnerServerOptions): Promise<RunnerServer> {
  const { log } = options;

  async function handleAws(req: IncomingMessage, res: ServerResponse, target: string): Promise<void> {
    if (target !== 'AWSEvents.PutEvents') {
      sendAws(res, 400, { __type: 'UnknownOperationException', message: `The local stack's EventBridge endpoint serves PutEvents only, not ${target.replace(/^AWSEvents\./, '')}.` });
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch (err) {
      if (err instanceof HttpError) throw err;
      sendAws(res, 400, { __type: 'SerializationException', message: 'The request body is not JSON.' });
      return;
    }
    try {
      const result = putEvents(body, options.putEventsContext);
      log.info('put-events', { entries: result.Entries.length, failed: result.FailedEntryCount });
      sendAws(res, 200, result);
    } catch (err) {
      if (!(err instanceof PutEventsRequestError)) throw err;
      log.warn('put-events.refused', { type: err.type, message: err.message });
      sendAws(res, 400, { __type: err.type, message: err.message });
    }
  }

  async function handleControl(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const route = `${req.method} ${url.pathname.replace(/\/+$/, '')}`;
    switch (route) {
      case 'GET /_mailengine/state':
        if (!options.isReady()) return send(res, 503, { message: 'the runner is starting' });
        return send(res, 200, options.state());
      case 'POST /_mailengine/pause':
        return send(res, 200, await options.pause());
      case 'POST /_mailengine/resume':
        return send(res, 200, await options.resume());
      case 'POST /_mailengine/ses/throttle': {
        // A fault for tests and the benchmark: SES refuses every SendEmail until switched off.
        const on = url.searchParams.get('on');
        if (on !== 'true' && on !== 'false') throw new HttpError(400, 'on must be true or false');
        return send(res, 200, options.throttleSes(on === 'true'));
      }
      case 'GET /_mailengine/events': {
        const q = url.searchParams;
        const waitMs = Math.min(MAX_WAIT_MS, wholeNumber(q.get('waitMs'), 0));
        const after = wholeNumber(q.get('after'), 0);
        const bus = options.putEventsContext.bus;
        const events = await bus.waitForEvents(eventFilter(q), after, waitMs);
        return send(res, 200, { events, last: bus.lastSeq });
      }
      case 'GET /_mailengine/sends': {
        const emailId = url.searchParams.get('emailId');
        return send(res, 200, { sends: options.sends().filter((s) => !emailId || s.emailId === emailId) });
      }
      case 'GET /_mailengine/queues':
        return send(res, 200, {
          queues: Object.fromEntries(Object.entries(options.queues()).map(([key, queue]) => [key, { name: queue.name, arn: queue.arn, ...queue.depth(), messages: queue.list() }])),
        });
      case 'POST /_mailengine/queues/redrive': {
        // The local StartMessageMoveTask: a DLQ's messages back to the queue it serves.
        const name = url.searchParams.get('queue');
        if (name !== 'send' && name !== 'feedback') throw new HttpError(400, 'queue must be send or feedback');
        const queues = options.queues();
        const source = queues[name];
        const dlq = queues[`${name}Dlq`];
        if (!source || !dlq) throw new HttpError(404, `the runner has no ${name} queue pair`);
        const messageIds = dlq.moveMessagesTo(source);
        log.info('queue.redrive', { from: dlq.name, to: source.name, moved: messageIds.length });
        return send(res, 200, { queue: name, from: dlq.name, to: source.name, moved: messageIds.length, messageIds });
      }
      default:
        throw new HttpError(404, `no such endpoint: ${route}`);
    }
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://runner.local');
    const target = req.headers['x-amz-target'];
    // Only this machine's names: a web page cannot reach the runner through DNS rebinding.
    if (!isLoopbackHostHeader(req.headers.host)) {
      log.warn('http.foreign-host', { host: req.headers.host ?? null, path: url.pathname });
      const message = 'The local stack answers requests addressed to 127.0.0.1, localhost or [::1] only.';
      if (typeof target === 'string') sendAws(res, 403, { __type: 'AccessDeniedException', message });
      else send(res, 403, { message });
      return;
    }
    const work = typeof target === 'string' ? handleAws(req, res, target) : handleControl(req, res, url);
    work.catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      if (status === 500) log.error('http.error', { path: url.pathname, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (typeof target === 'string') sendAws(res, status, { __type: status === 500 ? 'InternalException' : 'ValidationException', message: (err as Error).message });
      else send(res, status, { message: (err as Error).message });
    });
  });
  // Keep-alive sockets from SDK clients must not hold `close()` open.
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host, port: options.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
