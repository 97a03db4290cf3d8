/** Stack tags the CLI owns. The version is also the EngineVersion parameter (the functions read it). */
export const TAG_ENGINE_VERSION = 'mailengine:engine-version';
export const TAG_MANAGED_BY = 'mailengine:managed-by';

interface Parsed {
  core: number[];
  pre: string[];
}

function parse(version: string): Parsed | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(version.trim());
  if (!match) return undefined;
  return { core: [Number(match[1]), Number(match[2]), Number(match[3])], pre: match[4] ? match[4].split('.') : [] };
}

/** Semantic-version order: negative when a < b. Unparseable versions compare equal (no advice is better than wrong advice). */
export function compareVersions(a: string, b: string): number {
  const x = parse(a);
  const y = parse(b);
  if (!x || !y) return 0;
  for (let i = 0; i < 3; i++) if (x.core[i] !== y.core[i]) return x.core[i] - y.core[i];
  // A pre-release sorts before its release.
  if (x.pre.length === 0 || y.pre.length === 0) return y.pre.length - x.pre.length;
  for (let i = 0; i < Math.max(x.pre.length, y.pre.length); i++) {
    const p = x.pre[i];
    const q = y.pre[i];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    if (p === q) continue;
    const numeric = /^\d+$/.test(p) && /^\d+$/.test(q);
    return numeric ? Number(p) - Number(q) : p < q ? -1 : 1;
  }
  return 0;
}

export type VersionRelation = 'same' | 'cli-newer' | 'engine-newer' | 'unknown';

export interface VersionComparison {
  engine?: string;
  cli: string;
  relation: VersionRelation;
  /** One sentence on what to do, when something should be done. */
  advice?: string;
}

export function compareEngineToCli(engine: string | undefined, cli: string): VersionComparison {
  if (!engine) return { cli, relation: 'unknown' };
  const order = compareVersions(engine, cli);
  if (order === 0) return { engine, cli, relation: 'same' };
  if (order < 0) return { engine, cli, relation: 'cli-newer', advice: `Engine ${engine} is older than this CLI (${cli}): run \`mailengine deploy\` to upgrade it.` };
  return { engine, cli, relation: 'engine-newer', advice: `Engine ${engine} is newer than this CLI (${cli}): update the CLI with \`npm i -g mailengine@${engine}\`.` };
}

/** The engine version a stack records: its EngineVersion output, else parameter, else tag. */
export function stackEngineVersion(stack: { outputs: Record<string, string>; parameters: Record<string, string>; tags: Record<string, string> }): string | undefined {
  return stack.outputs.EngineVersion || stack.parameters.EngineVersion || stack.tags[TAG_ENGINE_VERSION] || undefined;
}
