/**
 * The machinery behind `npm run docs:transcripts`: run commands, turn their output into the text a
 * reader's terminal shows, write it into the docs between markers, and compare what the docs hold
 * with a fresh run once ids, times, ports and durations are masked.
 *
 * A transcript in the docs is a fenced block right after a marker line:
 *
 *     <!-- transcript: templates-init -->
 *     ```text
 *     $ mailengine templates init
 *     …
 *     ```
 *
 * A block that shows `$ mailengine …` and cannot be produced here (it needs AWS) carries
 * `<!-- illustrative -->` instead, and the page says in words that it is an example.
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isolatedCliEnv } from '../test/helpers/cli.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CLI = join(ROOT, 'dist', 'cli.js');
/** Where the docs say the package lives: a global npm install, not this checkout. */
export const SHOWN_INSTALL_DIR = '/usr/local/lib/node_modules/mailengine';

/** The pages that may hold transcripts. */
export function docPages(): string[] {
  return ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
}

export interface CommandRun {
  code: number;
  /** stdout and stderr as one terminal shows them, in the order they were written. */
  output: string;
}

/** The environment every transcript command runs in: CI mode, no colours, no AWS configuration of this machine. */
export function baseEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...isolatedCliEnv(), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...extra };
}

/**
 * Runs the built CLI with stdout and stderr on one pipe (as a terminal interleaves them), through
 * `sh -c '… 2>&1'`, so the order of lines is the order the CLI wrote them.
 */
export function runBuiltCli(argv: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; input?: string }): Promise<CommandRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', 'exec "$0" "$@" 2>&1', process.execPath, CLI, ...argv], {
      cwd: options.cwd,
      env: baseEnv(options.env),
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
    child.stdin.end(options.input ?? '');
  });
}

/** Splits a shown command line into argv: words separated by spaces, no quoting needed in the docs' commands. */
export function words(command: string): string[] {
  return command.split(' ').filter((w) => w !== '');
}

/** Builds the text of one transcript: `$ command`, its output, and `$ echo $?` where the exit code matters. */
export class TranscriptText {
  private text = '';

  command(shown: string, run: CommandRun, showExit: boolean): void {
    this.text += `$ ${shown}\n${run.output}`;
    if (run.output !== '' && !run.output.endsWith('\n')) this.text += '\n';
    if (showExit) this.text += `$ echo $?\n${run.code}\n`;
  }

  raw(shown: string, output: string): void {
    this.text += `$ ${shown}\n${output}${output.endsWith('\n') || output === '' ? '' : '\n'}`;
  }

  gap(): void {
    if (this.text !== '' && !this.text.endsWith('\n\n')) this.text += '\n';
  }

  toString(): string {
    return this.text.replace(/\n+$/, '\n');
  }
}

/** Replacements applied to every transcript as it is written: this machine's paths and the ports a run happened to get. */
export type Substitution = [from: string | RegExp, to: string];

export function substitute(text: string, substitutions: Substitution[]): string {
  let out = text;
  for (const [from, to] of substitutions) out = typeof from === 'string' ? out.split(from).join(to) : out.replace(from, to);
  return out;
}

const MARKER = /^<!-- transcript: ([a-z0-9-]+) -->\n```text\n([\s\S]*?)```$/gm;

/** Every transcript block in the docs: page, id and its text. */
export function readTranscripts(): Array<{ page: string; id: string; text: string }> {
  const found: Array<{ page: string; id: string; text: string }> = [];
  for (const page of docPages()) {
    const source = readFileSync(join(ROOT, page), 'utf8');
    for (const m of source.matchAll(MARKER)) found.push({ page, id: m[1], text: m[2] });
  }
  return found;
}

/**
 * Writes each generated transcript into its block, leaving a block alone when `same` says the two
 * differ only in what changes from run to run (so a rerun touches only what really changed);
 * returns the ids it rewrote and those that have no block in the docs.
 */
export function writeTranscripts(
  generated: Map<string, string>,
  same: (id: string, inDocs: string, fresh: string) => boolean = () => false,
): { rewritten: string[]; unused: string[] } {
  const used = new Set<string>();
  const rewritten: string[] = [];
  for (const page of docPages()) {
    const path = join(ROOT, page);
    const source = readFileSync(path, 'utf8');
    const updated = source.replace(MARKER, (whole, id: string) => {
      const text = generated.get(id);
      if (text === undefined) return whole;
      used.add(id);
      const current = /```text\n([\s\S]*?)```$/.exec(whole)?.[1] ?? '';
      if (current !== '' && same(id, current, text)) return whole;
      rewritten.push(id);
      return `<!-- transcript: ${id} -->\n\`\`\`text\n${text}\`\`\``;
    });
    if (updated !== source) writeFileSync(path, updated);
  }
  return { rewritten, unused: [...generated.keys()].filter((id) => !used.has(id)) };
}

/**
 * Fenced blocks that show a `$ mailengine …` command but are neither a transcript nor marked
 * illustrative: each one is a transcript nobody checks.
 */
export function uncheckedCommandBlocks(): string[] {
  const problems: string[] = [];
  for (const page of docPages()) {
    const lines = readFileSync(join(ROOT, page), 'utf8').split('\n');
    let open = -1;
    for (let i = 0; i < lines.length; i++) {
      if (!lines[i].trimStart().startsWith('```')) continue;
      if (open === -1) {
        open = i;
        continue;
      }
      const body = lines.slice(open + 1, i);
      const marker = lines[open - 1] ?? '';
      if (body.some((l) => /^\s*\$ (CI=\S+ )?mailengine /.test(l)) && !/^<!-- (transcript: [a-z0-9-]+|illustrative) -->$/.test(marker)) {
        problems.push(`${page}:${open + 1}: a block showing \`$ mailengine …\` is neither a generated transcript nor marked illustrative`);
      }
      open = -1;
    }
  }
  return problems;
}

/**
 * What may differ between two honest runs: times, dates, ids, process ids, durations, sizes that
 * follow timings, and the column widths those change. Everything else must match.
 */
export function mask(text: string): string {
  return text
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>')
    .replace(/\d{4}-\d\d-\d\d \d\d:\d\d UTC/g, '<time>')
    .replace(/\b\d{4}-\d\d-\d\d\b/g, '<date>')
    .replace(/\b\d\d:\d\d:\d\d\b/g, '<time>')
    .replace(/\btest-\d{8}-\d{6}-[0-9a-f]{6}\b/g, '<test-id>')
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, '<uuid>')
    .replace(/\bses-\d+\b/g, '<ses-id>')
    .replace(/\bhmac:[0-9a-f]+/g, 'hmac:<hash>')
    .replace(/\bdemo-[a-z0-9]{5}-/g, 'demo-<run>-')
    .replace(/\+[a-z0-9]{5}@simulator/g, '+<run>@simulator')
    .replace(/\beyJ[A-Za-z0-9_-]+…?/g, '<token>')
    .replace(/[+]?\d+(\.\d+)? ?(ms|s)\b/g, '<duration>')
    .replace(/"(waitedMs|processingTimeMillis|size|lastModified)": ?[^,\n]+/g, '"$1": <n>')
    .replace(/processingTimeMillis=\d+/g, 'processingTimeMillis=<n>')
    .replace(/\bpid \d+/g, 'pid <n>')
    .replace(/\b(started|running|stopped) +\d+ /g, '$1 <n> ')
    .replace(/\b\d{4,}\b/g, '<n>')
    .replace(/[─━═]+/g, '─')
    .replace(/[ \t]+/g, ' ')
    .replace(/ +\n/g, '\n')
    .replace(/…/g, '');
}

/** Lines that report progress while a command waits; how many appear depends on timing. */
const PROGRESS = /^(<test-id>|[a-z0-9-]+): [a-z_]+ after <duration>/;

/** For transcripts whose line order depends on timing: the masked lines, progress dropped, sorted. */
export function maskLoose(text: string): string {
  return mask(text)
    .split('\n')
    .filter((l) => !PROGRESS.test(l))
    .sort()
    .join('\n');
}
