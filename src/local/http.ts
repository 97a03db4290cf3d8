import { request } from 'node:http';

export interface HttpResponse {
  status: number;
  body: string;
}

/**
 * One plain HTTP request to a loopback emulator. No connection pooling (`agent: false`), so a
 * health check leaves no socket behind to keep the CLI's process alive after `up` returns.
 */
export function httpRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false, timeout: options.timeoutMs ?? 2000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${options.timeoutMs ?? 2000} ms`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A request whose failure means "not answering", for readiness and health checks. */
export async function answers(url: string, options: Parameters<typeof httpRequest>[1], accept: (res: HttpResponse) => boolean): Promise<boolean> {
  try {
    return accept(await httpRequest(url, options));
  } catch {
    return false;
  }
}
