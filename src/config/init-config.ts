import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ExitCode, MailengineError } from '../errors.js';
import { CONFIG_FILE_NAME } from './config-file.js';
import type { ConfigFile } from './schema.js';

export interface InitConfigOptions {
  dir: string;
  force: boolean;
  region: string;
  adminEmail?: string;
}

export interface InitConfigResult {
  path: string;
  overwritten: boolean;
  environments: string[];
}

/** A starting point with dev, staging and prod; edit it, then `mailengine deploy --env dev`. */
export function starterConfig(region: string, adminEmail?: string): ConfigFile {
  const parameters = adminEmail ? { AdminEmail: adminEmail } : undefined;
  return {
    defaultEnvironment: 'dev',
    environments: {
      dev: { stackName: 'mailengine-dev', region, ...(parameters ? { parameters } : {}) },
      staging: { stackName: 'mailengine-staging', region, ...(parameters ? { parameters } : {}) },
      prod: { stackName: 'mailengine-prod', region, ...(parameters ? { parameters } : {}) },
    },
  };
}

export async function initConfig(options: InitConfigOptions): Promise<InitConfigResult> {
  const path = join(options.dir, CONFIG_FILE_NAME);
  const exists = existsSync(path);
  if (exists && !options.force) {
    throw new MailengineError('CONFIG_EXISTS', `${path} already exists.`, {
      exitCode: ExitCode.Usage,
      suggestion: 'Edit it, or pass --force to replace it.',
    });
  }
  const config = starterConfig(options.region, options.adminEmail);
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`, 'utf8');
  return { path, overwritten: exists, environments: Object.keys(config.environments) };
}
