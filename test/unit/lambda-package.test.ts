import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { unzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { unzipHandler } from '../helpers/lambda-zip.js';
import { LAMBDA_ENTRY_FILE, literalSchemaKeys, packageHandler, packageLambdas, sha256 } from '../../scripts/package-lambdas.mjs';

const root = resolve(import.meta.dirname, '../..');
/** A phrase only the template contract validator's module says. */
const CONTRACT_VALIDATOR_PHRASE = 'a date-time such as 2026-03-14T15:42:00Z';
/** zod classic names its string schema so; zod/mini and zod's core name theirs ZodMiniString and $ZodString. */
const ZOD_CLASSIC = /["']ZodString["']/;
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

/** Every file of the zip written under a new directory; returns the path of index.mjs. */
const unzipInto = (zip: Uint8Array): string => unzipHandler(zip, tempDir());

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

  it('stores index.mjs with a fixed timestamp; a handler without dynamic imports is that one file', async () => {
    const { zip } = await packageHandler('sender', fixtureEntry, root);
    expect(Object.keys(unzipSync(zip))).toEqual([LAMBDA_ENTRY_FILE]);
    // 1980-01-01 00:00: date = (0 << 9) | (1 << 5) | 1, time = 0.
    expect(firstEntryTimestamp(zip)).toEqual({ time: 0, date: 0x21 });
  });

  it('bundles an ES module that runs on its own, CommonJS dependencies included', async () => {
    const { zip } = await packageHandler('sender', fixtureEntry, root);
    const loaded = (await import(pathToFileURL(unzipInto(zip)).href)) as { handler: (event: { name: string }) => Promise<{ message: string }> };
    await expect(loaded.handler({ name: 'engine' })).resolves.toEqual({ message: 'HELLO, ENGINE!' });
  });

  it('minifies, and puts what the handler imports dynamically in a chunk that is read only on first use', async () => {
    const { zip } = await packageHandler('lazy', 'test/fixtures/lambda/lazy-handler.ts', root);
    const files = unzipSync(zip);
    const chunks = Object.keys(files).filter((f) => f !== LAMBDA_ENTRY_FILE);
    expect(chunks.length).toBeGreaterThan(0);
    expect(chunks.every((f) => /^chunks\/[\w-]+\.mjs$/.test(f))).toBe(true);
    const entry = Buffer.from(files[LAMBDA_ENTRY_FILE]).toString('utf8');
    expect(entry).not.toContain('loaded on first use');
    // Minified: no comments, no indentation.
    expect(entry).not.toMatch(/\/\/ |\n {2}/);

    const flag = globalThis as { rarelyUsedLoaded?: boolean };
    delete flag.rarelyUsedLoaded;
    const loaded = (await import(pathToFileURL(unzipInto(zip)).href)) as { handler: () => Promise<string> };
    expect(flag.rarelyUsedLoaded).toBeUndefined();
    await expect(loaded.handler()).resolves.toBe('loaded on first use');
    expect(flag.rarelyUsedLoaded).toBe(true);
  });

  it('the engine\'s handlers start without the Secrets Manager, SQS and EventBridge clients, and the Sender without the contract validator: their chunks can be absent at init, and no zod classic is packaged', async () => {
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
    for (const name of ['sender', 'feedback']) {
      const { zip } = await packageHandler(name, `src/engine/handlers/${name}.ts`, root);
      const index = unzipInto(zip);
      const chunks = join(dirname(index), 'chunks');
      const holding = (text: string) => readdirSync(chunks).filter((f) => readFileSync(join(chunks, f), 'utf8').includes(text));
      expect(readFileSync(index, 'utf8'), name).not.toMatch(/ListSecretVersionIds|SendMessageBatch|AWSEvents/);
      // The engine validates with zod/mini; zod classic in any chunk would share zod's core with
      // the init chunk and make every cold start read it.
      expect(holding('ZodString').filter((f) => ZOD_CLASSIC.test(readFileSync(join(chunks, f), 'utf8'))), name).toEqual([]);
      expect(readFileSync(index, 'utf8'), name).not.toMatch(ZOD_CLASSIC);
      // Secrets Manager, SQS and EventBridge (status events) are read on first use.
      const lazy = [...holding('ListSecretVersionIds'), ...holding('SendMessageBatch'), ...holding('AWSEvents')];
      expect(lazy.length, name).toBeGreaterThanOrEqual(3);
      if (name === 'sender') {
        // The template contract validator, loaded on the first template with a contract.
        expect(readFileSync(index, 'utf8')).not.toContain(CONTRACT_VALIDATOR_PHRASE);
        const validator = holding(CONTRACT_VALIDATOR_PHRASE);
        expect(validator).toHaveLength(1);
        lazy.push(...validator);
      }
      for (const f of lazy) rmSync(join(chunks, f));
      const script = `const m = await import(${JSON.stringify(pathToFileURL(index).href)}); if (typeof m.handler !== 'function') process.exit(3);`;
      expect(() => execFileSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8', stdio: 'pipe' }), name).not.toThrow();
    }
  }, 60_000);

  it('writes the SDK schemas\' computed trait keys as the string literals they name, and nothing else', () => {
    const source = [
      'const _e = "error";',
      'const _hE = "httpError";',
      'const _q = "say \\"hi\\"";',
      'const n0 = "com.amazonaws.sesv2";',
      'export var A$ = [-3, n0, "A", { [_e]: _c, [_hE]: 400 }, [_m], [0]];',
      'export var B$ = [9, n0, "B", {[_q]: 1,[_unknown]: 2}];',
      'const pick = flag ? [_e] : [_hE];',
    ].join('\n');
    const out = literalSchemaKeys(source);
    expect(out).toContain('{ "error": _c, "httpError": 400 }');
    expect(out).toContain('{"say \\"hi\\"": 1,[_unknown]: 2}');
    // Array elements and anything not an object key stay as they were.
    expect(out).toContain('[_m], [0]');
    expect(out).toContain('flag ? [_e] : [_hE]');
    // The keys are the same: both sources build equal objects.
    const evaluate = (text: string) => new Function('_c', '_m', 'flag', `${text.replaceAll('export ', '')}; return [A$, B$, pick];`)('client', 'message', true);
    const withUnknown = (text: string) => `const _unknown = "u";\n${text}`;
    expect(evaluate(withUnknown(out))).toEqual(evaluate(withUnknown(source)));
  });

  it('packages only the SDK schemas of the operations a handler calls', async () => {
    const { zip } = await packageHandler('sender', 'src/engine/handlers/sender.ts', root);
    const code = Object.values(unzipSync(zip)).map((bytes) => Buffer.from(bytes).toString('utf8')).join('\n');
    // Called by the Sender: SESv2 SendEmail, S3 GetObject, DynamoDB UpdateItem.
    for (const shape of ['SendEmailRequest', 'GetObjectRequest', 'UpdateItemInput']) expect(code).toContain(shape);
    // Never called by it: one operation of each client, whose schemas sat in every bundle before.
    for (const shape of ['CreateContactListRequest', 'PutBucketPolicyRequest', 'CreateBackupInput']) expect(code).not.toContain(shape);
  }, 60_000);

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
