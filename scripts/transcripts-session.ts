/**
 * One scene of transcripts: a directory, a way to run the CLI, and the transcripts it collects.
 * `begin(id)` … `end()` collect one transcript; commands run outside a transcript (or with
 * `hidden`) set the scene without being shown.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, SHOWN_INSTALL_DIR, TranscriptText, runBuiltCli, substitute, words, type CommandRun, type Substitution } from './transcripts-lib.js';

export type Runner = (argv: string[], options: { env?: NodeJS.ProcessEnv }) => Promise<CommandRun>;

interface RunOptions {
  /** Print `$ echo $?` and the exit code after the output. */
  exit?: boolean;
  /** Run without showing it, to set the scene. */
  hidden?: boolean;
  /** Arguments passed but not shown (the free ports a scene's local stack runs on). */
  extra?: string[];
  env?: NodeJS.ProcessEnv;
  /** The exit code the scene relies on; anything else stops the run, since the docs would show a broken scene. */
  expect?: number;
}

export class Session {
  private current: { id: string; text: TranscriptText } | undefined;

  constructor(
    readonly cwd: string,
    private readonly runner: Runner,
    private readonly out: Map<string, string>,
    private readonly substitutions: Substitution[],
    private readonly log: (line: string) => void,
  ) {}

  begin(id: string): void {
    if (this.current) throw new Error(`transcript ${this.current.id} was not ended before ${id}`);
    this.current = { id, text: new TranscriptText() };
  }

  end(): void {
    if (!this.current) throw new Error('end() without begin()');
    this.out.set(this.current.id, substitute(this.current.text.toString(), this.substitutions));
    this.log(`  ${this.current.id}`);
    this.current = undefined;
  }

  /** A blank line between two commands of one transcript. */
  gap(): void {
    this.current?.text.gap();
  }

  /** Runs `mailengine …` as shown (the first word is the program name). */
  async run(shown: string, options: RunOptions = {}): Promise<CommandRun> {
    const argv = [...words(shown).slice(1), ...(options.extra ?? [])];
    const result = await this.runner(argv, { env: options.env });
    const expected = options.expect ?? 0;
    if (result.code !== expected) {
      throw new Error(`\`${shown}\` exited ${result.code}, the scene expects ${expected}:\n${result.output}`);
    }
    if (!options.hidden && this.current) this.current.text.command(shown, result, options.exit ?? false);
    return result;
  }

  /** Shows a shell command that is not mailengine (`cat list.csv`) with the output it has. */
  shell(shown: string, output: string): void {
    this.current?.text.raw(shown, output);
  }

  file(path: string): string {
    return readFileSync(join(this.cwd, path), 'utf8');
  }

  write(path: string, text: string): void {
    writeFileSync(join(this.cwd, path), text);
  }

  edit(path: string, change: (text: string) => string): void {
    const before = this.file(path);
    const after = change(before);
    if (after === before) throw new Error(`the edit of ${path} changed nothing`);
    this.write(path, after);
  }
}

export function scratchDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `mailengine-docs-${name}-`));
}

/** The substitutions every scene run with the built CLI needs: this checkout's path and the scene's directory. */
export function pathSubstitutions(cwd: string): Substitution[] {
  return [
    [`${ROOT}/`, `${SHOWN_INSTALL_DIR}/`],
    [`${cwd}/`, ''],
  ];
}

export const builtCli =
  (cwd: string): Runner =>
  (argv, options) =>
    runBuiltCli(argv, { cwd, env: options.env });

export type Log = (line: string) => void;
