import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MailengineError } from '../../../src/errors.js';
import type { LocalPart } from '../../../src/local/parts/part.js';
import { findFreePorts } from '../../../src/local/ports.js';
import { waitForReady } from '../../../src/local/readiness.js';

process.env.AWS_EC2_METADATA_DISABLED = 'true';

/** A part that never answers: only its process's exit ends the wait. */
const silentPart = { name: 'sesv2', label: 'SES v2 (test)', isHealthy: async () => false } as unknown as LocalPart;

async function failureOf(port: number): Promise<MailengineError> {
  const logFile = join(mkdtempSync(join(tmpdir(), 'readiness-')), 'part.log');
  writeFileSync(logFile, 'starting server...\nfailed to start server\n');
  const child = spawn(process.execPath, ['-e', 'process.exit(1)'], { stdio: 'ignore' });
  const error = await waitForReady({ part: silentPart, endpoint: `http://127.0.0.1:${port}`, pid: child.pid!, logFile, timeoutMs: 10_000, child }).then(
    () => undefined,
    (e: MailengineError) => e,
  );
  expect(error, 'waitForReady resolved for a part that exited').toBeDefined();
  return error!;
}

describe('waitForReady, when the part exits before it answers', () => {
  it('names the port as the likely cause when another program holds it, and quotes the log', async () => {
    const [port] = await findFreePorts(1);
    const holder: Server = await new Promise((resolve) => {
      const s = createServer();
      s.listen({ port, host: '127.0.0.1' }, () => resolve(s));
    });
    try {
      const error = await failureOf(port);
      expect(error.code).toBe('LOCAL_START_FAILED');
      expect(error.message).toContain(`SES v2 (test) exited with code 1 before it answered on http://127.0.0.1:${port}. Port ${port} is in use by another program.`);
      expect(error.message).toContain('failed to start server');
      expect(error.suggestion).toContain(`Free port ${port}`);
    } finally {
      await new Promise((r) => holder.close(r));
    }
  });

  it('says nothing of the port when it is free', async () => {
    const [port] = await findFreePorts(1);
    const error = await failureOf(port);
    expect(error.message).toContain('exited with code 1 before it answered');
    expect(error.message).not.toContain('in use');
    expect(error.suggestion).toMatch(/^See its log: /);
  });
});
