import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode, MailengineError } from '../errors.js';
import { findPackageRoot } from '../package-root.js';
import { listTemplateNames } from './store.js';

export const STARTER_DIR_NAME = 'starter-templates';

/** The starter templates shipped in the package (next to its package.json). */
export function findStarterDir(from: string = fileURLToPath(import.meta.url)): string {
  const root = findPackageRoot(from);
  const dir = root && join(root, STARTER_DIR_NAME);
  if (!dir || !existsSync(dir)) {
    throw new MailengineError('STARTERS_NOT_FOUND', 'The starter templates are missing from this installation of mailengine.', {
      exitCode: ExitCode.Environment,
      suggestion: 'Reinstall mailengine; the package ships a starter-templates folder.',
    });
  }
  return dir;
}

export interface InitTemplatesOptions {
  /** Absolute path of the folder to copy into; created when missing. */
  dir: string;
  /** How to show that folder in messages; defaults to `dir`. */
  displayDir?: string;
  /** Replace files that exist and differ. */
  force: boolean;
  /** Where the starters are (default: the package's own). */
  source?: string;
}

export interface InitTemplatesResult {
  dir: string;
  /** Template names copied (the `_layout` folder goes along). */
  templates: string[];
  /** Paths relative to `dir`. */
  written: string[];
  overwritten: string[];
  unchanged: string[];
}

function listFiles(root: string, dir = root): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...listFiles(root, path));
    else if (entry.isFile()) files.push(relative(root, path));
  }
  return files.sort();
}

/**
 * Copies the starter templates and their shared layout into `dir`. A file that already exists
 * with the same content is left alone; one that differs is never replaced without `force`, and
 * then nothing at all is written, so a refused run changes nothing.
 */
export async function initTemplates(options: InitTemplatesOptions): Promise<InitTemplatesResult> {
  const source = options.source ?? findStarterDir();
  const files = listFiles(source);
  const plan: Array<{ file: string; content: Buffer; state: 'new' | 'same' | 'different' }> = [];
  for (const file of files) {
    const content = await readFile(join(source, file));
    const target = join(options.dir, file);
    let state: 'new' | 'same' | 'different' = 'new';
    if (existsSync(target)) state = (await readFile(target)).equals(content) ? 'same' : 'different';
    plan.push({ file, content, state });
  }

  const conflicts = plan.filter((p) => p.state === 'different').map((p) => p.file);
  if (conflicts.length > 0 && !options.force) {
    const shown = conflicts.slice(0, 8).map((f) => join(options.displayDir ?? options.dir, f));
    const more = conflicts.length > shown.length ? `\n  ...and ${conflicts.length - shown.length} more` : '';
    throw new MailengineError('TEMPLATES_EXIST', `${conflicts.length} file${conflicts.length === 1 ? '' : 's'} already exist${conflicts.length === 1 ? 's' : ''} with different content:\n  ${shown.join('\n  ')}${more}`, {
      exitCode: ExitCode.Usage,
      suggestion: 'Nothing was written. Pass --force to replace them (your edits to those files are lost), or choose another folder.',
      details: { conflicts },
    });
  }

  for (const item of plan) {
    if (item.state === 'same') continue;
    const target = join(options.dir, item.file);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, item.content);
  }
  return {
    dir: options.dir,
    templates: listTemplateNames(source),
    written: plan.filter((p) => p.state === 'new').map((p) => p.file),
    overwritten: plan.filter((p) => p.state === 'different').map((p) => p.file),
    unchanged: plan.filter((p) => p.state === 'same').map((p) => p.file),
  };
}
