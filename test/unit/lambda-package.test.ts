import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { unzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { LAMBDA_ENTRY_FILE, packageHandler, packageLambdas, sha256 } from '../../scripts/package-lambdas.mjs';

const root = resolve(import.meta.dirname, '../..');
const fixtureHandlers = 'test/fixtures/lambda/handlers';
const fixtureEntry = `${fixtureHandlers}/sender.ts`;

const scratch: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mailengine-lambda-'));
  scratch.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** Zip local file header: modification time and date (DOS format) at offsets 10 and 12. */
function firstEntryTimestamp(zip: Uint8Array): { time: number; date: number } {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  expect(view.getUint32(0, true)).toBe(0x04034b50);
  return { time: view.getUint16(10, true), date: view.getUint16(12, true) };
}

describe('Lambda packaging', () => {
  it('produces the same bytes and the same name when the same entry is packaged twice', async () => {
    const first = await packageHandler('sender', fixtureEntry, root);
    const second = await packageHandler('sender', fixtureEntry, root);
    expect(Buffer.from(second.zip).equals(Buffer.from(first.zip))).toBe(true);
    expect(second.entry).toEqual(first.entry);
    expect(first.entry.file).toMatch(/^sender-[0-9a-f]{16}\.zip$/);
    expect(first.entry.sha256).toBe(sha256(first.zip));
    expect(first.entry.sha256.startsWith(first.entry.file.slice('sender-'.length, -'.zip'.length))).toBe(true);
    expect(first.entry.key).toBe(`lambda/${first.entry.file}`);
  });

  it('stores one index.mjs with a fixed timestamp', async () => {
    const { zip } = await packageHandler('sender', fixtureEntry, root);
    expect(Object.keys(unzipSync(zip))).toEqual([LAMBDA_ENTRY_FILE]);
    // 1980-01-01 00:00: date = (0 << 9) | (1 << 5) | 1, time = 0.
    expect(firstEntryTimestamp(zip)).toEqual({ time: 0, date: 0x21 });
  });

  it('bundles an ES module that runs on its own, CommonJS dependencies included', async () => {
    const { zip } = await packageHandler('sender', fixtureEntry, root);
    const dir = tempDir();
    const file = join(dir, LAMBDA_ENTRY_FILE);
    writeFileSync(file, unzipSync(zip)[LAMBDA_ENTRY_FILE]);
    const loaded = (await import(pathToFileURL(file).href)) as { handler: (event: { name: string }) => Promise<{ message: string }> };
    await expect(loaded.handler({ name: 'engine' })).resolves.toEqual({ message: 'HELLO, ENGINE!' });
  });

  it('gives changed code a new name', async () => {
    const dir = tempDir();
    const entry = join(dir, 'sender.ts');
    writeFileSync(entry, 'export const handler = async () => 1;\n');
    const before = await packageHandler('sender', entry, root);
    writeFileSync(entry, 'export const handler = async () => 2;\n');
    const after = await packageHandler('sender', entry, root);
    expect(after.entry.file).not.toBe(before.entry.file);
  });

  it('packages only the handlers that exist and writes a manifest naming each zip', async () => {
    const outDir = tempDir();
    const manifest = await packageLambdas({ root, handlersDir: fixtureHandlers, outDir });
    expect(Object.keys(manifest)).toEqual(['sender']);
    expect(readdirSync(outDir).sort()).toEqual(['manifest.json', manifest.sender.file].sort());
    expect(JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8'))).toEqual(manifest);
    expect(sha256(readFileSync(join(outDir, manifest.sender.file)))).toBe(manifest.sender.sha256);
  });

  it('writes nothing when no handler exists yet', async () => {
    const outDir = join(tempDir(), 'lambda');
    const manifest = await packageLambdas({ root, handlersDir: 'test/fixtures/lambda', outDir });
    expect(manifest).toEqual({});
    expect(() => readdirSync(outDir)).toThrow();
  });

  it('does not depend on the time zone of the machine that builds', () => {
    const run = (tz: string) =>
      execFileSync(process.execPath, ['scripts/package-lambdas.mjs', '--handlers-dir', fixtureHandlers, '--out', tempDir()], {
        cwd: root,
        env: { ...process.env, TZ: tz },
        encoding: 'utf8',
      });
    expect(run('Pacific/Kiritimati')).toBe(run('America/Adak'));
  });
});
