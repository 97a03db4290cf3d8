import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { localStateDir } from './endpoints.js';

/**
 * The local stack's stand-in for the stack's Secrets Manager key: a random key in the runner's
 * data directory. The runner's Sender and `erase --local` both use this one file, so a hash an
 * erasure keeps stays valid across restarts and blocks the local Sender too. Like the Lambda
 * entries with the secret string, the key is the UTF-8 bytes of the text.
 */
export const LOCAL_HASH_KEY_FILE_NAME = 'suppression-hash-key';

/** The key file of the local stack in project directory `cwd`. */
export function localHashKeyFile(cwd: string): string {
  return join(localStateDir(cwd), 'eventbridge', LOCAL_HASH_KEY_FILE_NAME);
}

/**
 * Reads the key in `file`; with `create`, first writes a new random one if there is none. The
 * create is exclusive, so two processes creating it at the same moment still share one key.
 */
export async function readLocalHashKey(file: string, options: { create: boolean }): Promise<Buffer | undefined> {
  const existing = await readKeyFile(file);
  if (existing || !options.create) return existing;
  await mkdir(dirname(file), { recursive: true });
  try {
    await writeFile(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const key = await readKeyFile(file);
  if (!key) throw new Error(`the suppression hash key file ${file} is empty`);
  return key;
}

async function readKeyFile(file: string): Promise<Buffer | undefined> {
  try {
    const text = (await readFile(file, 'utf8')).trim();
    return text ? Buffer.from(text, 'utf8') : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
