import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { ExitCode, MailengineError } from '../errors.js';
import { configFileSchema, type ConfigFile } from './schema.js';
import { describeZodIssues } from './zod-issues.js';

export const CONFIG_FILE_NAME = 'mailengine.config.json';

export interface LoadedConfig {
  path: string;
  config: ConfigFile;
}

/** The nearest `mailengine.config.json` from `cwd` upwards, like git finds `.git`. */
export function findConfigFile(cwd: string): string | undefined {
  let dir = resolve(cwd);
  for (;;) {
    const candidate = join(dir, CONFIG_FILE_NAME);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * Loads the config named by `--config`, or the nearest one. A named file that is missing is an
 * error; no file at all is fine (everything then comes from flags and defaults).
 */
export async function loadConfig(options: { explicitPath?: string; cwd: string }): Promise<LoadedConfig | undefined> {
  const path = options.explicitPath ? resolve(options.cwd, options.explicitPath) : findConfigFile(options.cwd);
  if (!path) return undefined;

  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new MailengineError('CONFIG_NOT_FOUND', `Cannot read the config file ${path}.`, {
      exitCode: ExitCode.Usage,
      cause,
      suggestion: 'Check the path given to --config.',
    });
  }

  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new MailengineError('CONFIG_INVALID', `${path} is not valid JSON: ${(cause as Error).message}`, {
      exitCode: ExitCode.Usage,
      cause,
      suggestion: 'Fix the JSON syntax (a trailing comma is a common cause).',
    });
  }

  const parsed = configFileSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = describeZodIssues(parsed.error);
    throw new MailengineError('CONFIG_INVALID', `${path} has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}:\n  ${problems.join('\n  ')}`, {
      exitCode: ExitCode.Usage,
      suggestion: 'See "Configuration file" in docs/reference.md for the keys each environment takes.',
      details: { file: path, problems },
    });
  }
  return { path, config: parsed.data };
}
