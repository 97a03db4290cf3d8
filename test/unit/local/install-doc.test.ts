import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EMULATOR_PACKAGES, emulatorInstallCommand } from '../../../src/local/packages.js';

const read = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');
const doc = read('docs/install.md');
const pkg = JSON.parse(read('package.json')) as { version: string; scripts: Record<string, string>; overrides?: unknown };

// The install paths themselves are run by test/e2e/packed-install.test.ts; this keeps the page's
// specifics in step with the code and package.json they describe.
describe('docs/install.md', () => {
  it('quotes the command `local up` prints for a project install without the emulators', () => {
    const printed = emulatorInstallCommand(Object.values(EMULATOR_PACKAGES), { kind: 'dependency', project: '<project>' });
    expect(doc).toContain(`\`${printed}\``);
  });

  it('names the tarball `npm pack` writes for this version, which prepack builds', () => {
    expect(doc).toContain(`mailengine-${pkg.version}.tgz`);
    expect(pkg.scripts.prepack).toBe('npm run build');
  });

  it('says no override is needed, and package.json has none', () => {
    expect(doc).toContain('needs no npm `overrides` entry');
    expect(pkg.overrides).toBeUndefined();
  });
});
