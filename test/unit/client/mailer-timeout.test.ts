import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMailer } from '../../../src/client/index.js';

/**
 * The client the mailer makes for itself, against an endpoint that takes the connection and the
 * request and never answers (a stuck proxy, a dead load balancer): each attempt times out, is
 * retried as the network failing is, and the result says it timed out instead of never coming.
 */
let server: Server;
const sockets = new Set<Socket>();
/** The body of each request the server read, in order. */
const bodies: string[] = [];
/** Where the server stops: before answering at all, or after the answer's headers and a few bytes of its body. */
let stall: 'answer' | 'body';

beforeEach(async () => {
  bodies.length = 0;
  stall = 'answer';
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let received = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      const head = received.indexOf('\r\n\r\n');
      const length = Number(/^content-length: *(\d+)/im.exec(received.subarray(0, head).toString())?.[1]);
      if (head >= 0 && received.length - head - 4 >= length) {
        bodies.push(received.subarray(head + 4, head + 4 + length).toString());
        received = Buffer.alloc(0);
        if (stall === 'body') socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: 100\r\n\r\n{"Entries":');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  // The mailer's own client finds its endpoint and credentials in the environment, as in an app.
  vi.stubEnv('AWS_ENDPOINT_URL_EVENTBRIDGE', `http://127.0.0.1:${port}`);
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
  vi.stubEnv('AWS_PROFILE', undefined);
});

afterEach(async () => {
  vi.unstubAllEnvs();
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

describe('a bus endpoint that takes the request and stops answering', () => {
  it('each attempt times out, is retried with the same entry, and the result names the timeout', async () => {
    const mailer = createMailer({ busName: 'shop-bus', region: 'eu-west-1', maxAttempts: 3, backoff: { baseMs: 0, maxMs: 0 }, timeout: { connectionMs: 200, requestMs: 200 } });
    const result = await mailer.send({ template: 'welcome', to: 'ann@example.com', emailId: 'signup-1-welcome', data: { userName: 'Ann' } });

    expect(result).toEqual({
      ok: false,
      emailId: 'signup-1-welcome',
      error: { code: 'TimeoutError', message: expect.stringMatching(/exceeded the configured 200 ms requestTimeout.* \(after 3 attempts\)$/), retryable: true },
    });
    // It may have reached the bus: every attempt carries the same entry, so the engine sends the email once.
    expect(bodies).toHaveLength(3);
    const entries = bodies.map((body) => (JSON.parse(body) as { Entries: Array<{ Detail: string }> }).Entries);
    expect(entries.map((e) => e.length)).toEqual([1, 1, 1]);
    expect(new Set(entries.map((e) => e[0].Detail)).size).toBe(1);
    expect(JSON.parse(entries[0][0].Detail)).toMatchObject({ emailId: 'signup-1-welcome' });
  }, 5_000);

  it('a generated emailId is the same on every attempt too', async () => {
    const mailer = createMailer({ busName: 'shop-bus', region: 'eu-west-1', maxAttempts: 2, backoff: { baseMs: 0, maxMs: 0 }, timeout: { requestMs: 100 } });
    const result = await mailer.send({ template: 'welcome', to: 'ann@example.com', data: { userName: 'Ann' } });

    expect(result).toMatchObject({ ok: false, error: { code: 'TimeoutError', retryable: true } });
    const ids = bodies.map((body) => JSON.parse((JSON.parse(body) as { Entries: Array<{ Detail: string }> }).Entries[0].Detail).emailId as string);
    expect(ids).toEqual([result.emailId, result.emailId]);
  }, 5_000);

  it('an answer whose body stalls times out too', async () => {
    stall = 'body';
    const mailer = createMailer({ busName: 'shop-bus', region: 'eu-west-1', maxAttempts: 2, backoff: { baseMs: 0, maxMs: 0 }, timeout: { requestMs: 100 } });
    const result = await mailer.send({ template: 'welcome', to: 'ann@example.com', emailId: 'signup-2-welcome', data: { userName: 'Ann' } });

    expect(result).toEqual({ ok: false, emailId: 'signup-2-welcome', error: { code: 'TimeoutError', message: expect.stringMatching(/timed out after 100 ms of inactivity[\s\S]* \(after 2 attempts\)$/), retryable: true } });
    expect(bodies).toHaveLength(2);
  }, 5_000);
});

describe('createMailer', () => {
  it('refuses a timeout that is not a positive number of milliseconds', () => {
    expect(() => createMailer({ busName: 'b', timeout: { requestMs: 0 } })).toThrow('timeout.requestMs must be a positive number of milliseconds');
    expect(() => createMailer({ busName: 'b', timeout: { connectionMs: Number.NaN } })).toThrow('timeout.connectionMs must be a positive number of milliseconds');
    // Past what Node's timers take, a timeout would fire at once.
    expect(() => createMailer({ busName: 'b', timeout: { requestMs: 2 ** 31 } })).toThrow('timeout.requestMs must be a positive number of milliseconds up to 2147483647, not 2147483648');
    expect(() => createMailer({ busName: 'b', timeout: { requestMs: 2 ** 31 - 1 } })).not.toThrow();
  });
});
