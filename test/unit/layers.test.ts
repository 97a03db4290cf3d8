import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cruise, type ICruiseResult, type IForbiddenRuleType } from 'dependency-cruiser';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * Imports run down the floors, never up. Lowest first:
 *   src/model, src/util and the leaf files at the root of src/ (errors, version, package-root);
 *   src/aws;
 *   the stores and features (tracking, suppression, templates, engine, config, domain, stack,
 *   local, operations, io, cfn);
 *   src/client (the app-side client: only src/model, src/util and src/aws/error-names.ts);
 *   src/target (the engine port: chosen once, it alone reaches both the local stack and AWS for
 *   operations, which never import it or src/local);
 *   commands/.
 * Type-only imports count: a type that reaches up ties the floors together as much as a value.
 */
const ROOT_LEAVES = '^src/(errors|version|package-root)\\.ts$';

const RULES: IForbiddenRuleType[] = [
  { name: 'src-imports-no-commands', comment: 'src/ is the core; commands/ is the shell that uses it', severity: 'error', from: { path: '^src/' }, to: { path: '^commands/' } },
  { name: 'model-imports-only-model-and-util', comment: 'the shared vocabulary sits below everything', severity: 'error', from: { path: '^src/model/' }, to: { path: '^(src|commands)/', pathNot: '^src/(model|util)/' } },
  { name: 'util-imports-only-util', severity: 'error', from: { path: '^src/util/' }, to: { path: '^(src|commands)/', pathNot: '^src/util/' } },
  { name: 'root-leaves-import-only-root-leaves', severity: 'error', from: { path: ROOT_LEAVES }, to: { path: '^(src|commands)/', pathNot: ROOT_LEAVES } },
  { name: 'aws-imports-only-model-and-util', comment: 'the client boundary knows no feature', severity: 'error', from: { path: '^src/aws/' }, to: { path: '^(src|commands)/', pathNot: `^src/(aws|model|util)/|${ROOT_LEAVES}` } },
  { name: 'operations-choose-no-target', comment: 'local or AWS is chosen once, in src/target/: operations get the port, never an adapter', severity: 'error', from: { path: '^src/operations/' }, to: { path: '^src/(local|target)/' } },
  { name: 'commands-reach-local-stack-through-target', comment: 'only the local stack\'s own commands and the runtime (its endpoints for the clients) touch src/local/', severity: 'error', from: { path: '^commands/', pathNot: '^commands/(local/|runtime\\.ts$)' }, to: { path: '^src/local/' } },
  {
    name: 'client-imports-only-model-util-and-error-names',
    comment: 'mailengine/client runs in apps: the request vocabulary, the helpers and the AWS error classification, never the CLI, its terminal IO or the client factory',
    severity: 'error',
    from: { path: '^src/client/' },
    to: { path: '^(src|commands)/', pathNot: '^src/(client|model|util)/|^src/aws/error-names\\.ts$' },
  },
  { name: 'engine-imports-no-shell-side', comment: 'the engine runs in Lambda: no operations, stack, local stack or terminal IO', severity: 'error', from: { path: '^src/engine/' }, to: { path: '^src/(operations|stack|local|io)/' } },
];

/**
 * Violations too big to fix in the change that added the rules, each with its reason. An entry
 * that no longer occurs fails the test, so the list only shrinks.
 */
const KNOWN_EXCEPTIONS: Array<{ rule: string; from: string; to: string; reason: string }> = [];

interface Violation {
  rule: string;
  from: string;
  to: string;
}

async function violations(baseDir: string, roots: string[]): Promise<Violation[]> {
  return (await cruiseLayers(baseDir, roots)).violations;
}

async function cruiseLayers(baseDir: string, roots: string[]): Promise<{ violations: Violation[]; modules: number; unresolved: string[] }> {
  const result = await cruise(roots, {
    baseDir,
    ruleSet: { forbidden: RULES },
    validate: true,
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^(src|commands)/',
  });
  const output = result.output as ICruiseResult;
  const found = output.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to }));
  // An import the cruiser cannot resolve is an edge it cannot judge: there must be none of ours.
  const unresolved = output.modules.flatMap((m) => m.dependencies.filter((d) => d.couldNotResolve && d.module.startsWith('.')).map((d) => `${m.source} -> ${d.module}`));
  return { violations: found.sort((a, b) => `${a.rule}${a.from}${a.to}`.localeCompare(`${b.rule}${b.from}${b.to}`)), modules: output.modules.length, unresolved };
}

describe('import layers', () => {
  it('no import runs up the floors (apart from the known exceptions)', async () => {
    const { violations: found, modules, unresolved } = await cruiseLayers(process.cwd(), ['src', 'commands']);
    expect(unresolved).toEqual([]);
    expect(modules).toBeGreaterThan(200);
    const isKnown = (v: Violation) => KNOWN_EXCEPTIONS.some((k) => k.rule === v.rule && k.from === v.from && k.to === v.to);
    expect(found.filter((v) => !isKnown(v))).toEqual([]);
    const stale = KNOWN_EXCEPTIONS.filter((k) => !found.some((v) => v.rule === k.rule && v.from === k.from && v.to === k.to));
    expect(stale).toEqual([]);
  }, 60_000);

  it('the map of the code (docs/architecture.md) names every room of src/', () => {
    const map = readFileSync('docs/architecture.md', 'utf8');
    const rooms = readdirSync('src', { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => `src/${e.name}/`);
    expect(rooms.length).toBeGreaterThan(10);
    expect(rooms.filter((room) => !map.includes(`\`${room}\``))).toEqual([]);
  });

  describe('the rules catch what they forbid', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailengine-layers-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const files: Record<string, string> = {
      'src/model/status.ts': "import { send } from '../engine/send';\nimport { wait } from '../util/wait';\nexport const status = [send, wait];\n",
      'src/util/wait.ts': "import { region } from '../aws/region';\nexport const wait = region;\n",
      'src/aws/region.ts': "import { settings } from '../config/settings';\nimport { fail } from '../errors';\nexport const region = [settings, fail];\n",
      'src/errors.ts': "import { status } from './model/status';\nexport const fail = status;\n",
      'src/config/settings.ts': 'export const settings = 1;\n',
      'src/engine/send.ts': "import { up } from '../local/up';\nimport { table } from '../io/table';\nimport { settings } from '../config/settings';\nexport const send = [up, table, settings];\n",
      'src/local/up.ts': "import { run } from '../../commands/run';\nexport const up = run;\n",
      'src/io/table.ts': 'export const table = 1;\n',
      'commands/run.ts': "import { send } from '../src/engine/send';\nimport { up } from '../src/local/up';\nexport const run = [send, up];\n",
      'commands/runtime.ts': "import { up } from '../src/local/up';\nexport const runtime = up;\n",
      'commands/local/start.ts': "import { up } from '../../src/local/up';\nexport const start = up;\n",
      'src/operations/pause.ts': "import { up } from '../local/up';\nimport { pick } from '../target/pick';\nexport const pause = [up, pick];\n",
      'src/target/pick.ts': "import { up } from '../local/up';\nexport const pick = up;\n",
      'src/aws/error-names.ts': 'export const isThrottling = 1;\n',
      'src/aws/clients.ts': 'export const factory = 1;\n',
      'src/client/mailer.ts': "import { isThrottling } from '../aws/error-names';\nimport { factory } from '../aws/clients';\nimport { status } from '../model/status';\nimport { wait } from '../util/wait';\nimport { table } from '../io/table';\nexport const mailer = [isThrottling, factory, status, wait, table];\n",
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(dir, dirname(path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }

    it('flags each upward import and nothing else', async () => {
      expect(await violations(dir, ['src', 'commands'])).toEqual([
        { rule: 'aws-imports-only-model-and-util', from: 'src/aws/region.ts', to: 'src/config/settings.ts' },
        { rule: 'client-imports-only-model-util-and-error-names', from: 'src/client/mailer.ts', to: 'src/aws/clients.ts' },
        { rule: 'client-imports-only-model-util-and-error-names', from: 'src/client/mailer.ts', to: 'src/io/table.ts' },
        { rule: 'commands-reach-local-stack-through-target', from: 'commands/run.ts', to: 'src/local/up.ts' },
        { rule: 'engine-imports-no-shell-side', from: 'src/engine/send.ts', to: 'src/io/table.ts' },
        { rule: 'engine-imports-no-shell-side', from: 'src/engine/send.ts', to: 'src/local/up.ts' },
        { rule: 'model-imports-only-model-and-util', from: 'src/model/status.ts', to: 'src/engine/send.ts' },
        { rule: 'operations-choose-no-target', from: 'src/operations/pause.ts', to: 'src/local/up.ts' },
        { rule: 'operations-choose-no-target', from: 'src/operations/pause.ts', to: 'src/target/pick.ts' },
        { rule: 'root-leaves-import-only-root-leaves', from: 'src/errors.ts', to: 'src/model/status.ts' },
        { rule: 'src-imports-no-commands', from: 'src/local/up.ts', to: 'commands/run.ts' },
        { rule: 'util-imports-only-util', from: 'src/util/wait.ts', to: 'src/aws/region.ts' },
      ]);
    }, 60_000);
  });
});
