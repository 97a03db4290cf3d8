import { access, writeFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { usageError } from '../src/errors.js';

/**
 * A file the user names for a command's output (`--out`, `--receipt`). The one rule for every
 * command: an existing file is replaced only with `--force`.
 */
export interface OutputFile {
  /** As the user typed it, for messages. */
  shown: string;
  path: string;
  force: boolean;
}

export function outputFile(cwd: string, file: string, force: boolean): OutputFile {
  return { shown: file, path: isAbsolute(file) ? file : resolve(cwd, file), force };
}

/** Refuses (exit 2) when the file exists and `--force` was not given; call it before doing the work. */
export async function assertWritable(file: OutputFile, flag: string): Promise<void> {
  if (file.force || !(await exists(file.path))) return;
  throw usageError('FILE_EXISTS', `${file.shown} already exists; it is not overwritten without --force.`, `Name a new file for ${flag}, or pass --force to replace it.`, { file: file.shown });
}

/** Writes the file; without `--force`, one that appeared since the check is still not overwritten. */
export async function writeOutputFile(file: OutputFile, text: string, flag: string): Promise<void> {
  try {
    await writeFile(file.path, text, { flag: file.force ? 'w' : 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') await assertWritable(file, flag);
    throw err;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
