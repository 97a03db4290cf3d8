import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { GENERATED_HEADER } from '../../src/templates/contract-types.js';

/** Whether `file` is one `templates types` wrote (its first line is the generated header). */
export async function replaceableGenerated(cwd: string, file: string): Promise<boolean> {
  try {
    const text = await readFile(isAbsolute(file) ? file : resolve(cwd, file), 'utf8');
    return text.startsWith(GENERATED_HEADER);
  } catch {
    return false;
  }
}
