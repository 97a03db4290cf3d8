import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { unzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { LAMBDA_ENTRY_FILE, packageHandler } from '../../scripts/package-lambdas.mjs';

const root = resolve(import.meta.dirname, '../..');
let dir: string | undefined;
afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));

describe('the Sender bundle and template contracts', () => {
  it('loads the contract validator only on first use: its chunk can be absent at init', async () => {
    const { zip } = await packageHandler('sender', 'src/engine/handlers/sender.ts', root);
    dir = mkdtempSync(join(tmpdir(), 'mailengine-lambda-'));
    for (const [name, bytes] of Object.entries(unzipSync(zip))) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), bytes);
    }
    const index = join(dir, LAMBDA_ENTRY_FILE);
    const chunks = join(dir, 'chunks');
    // A phrase only the validator module says.
    const marker = 'a date-time such as 2026-03-14T15:42:00Z';
    expect(readFileSync(index, 'utf8')).not.toContain(marker);
    const lazy = readdirSync(chunks).filter((f) => readFileSync(join(chunks, f), 'utf8').includes(marker));
    expect(lazy).toHaveLength(1);
    rmSync(join(chunks, lazy[0]));
    const env = {
      PATH: process.env.PATH ?? '',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      TRACKING_TABLE: 't',
      SUPPRESSION_TABLE: 's',
      TEMPLATES_BUCKET: 'b',
      CONFIGURATION_SET: 'c',
      EVENT_BUS_NAME: 'e',
      DEFAULT_FROM_EMAIL: 'noreply@example.com',
    };
    const script = `const m = await import(${JSON.stringify(pathToFileURL(index).href)}); if (typeof m.handler !== 'function') process.exit(3);`;
    expect(() => execFileSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8', stdio: 'pipe' })).not.toThrow();
  }, 60_000);
});
