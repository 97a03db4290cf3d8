import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runnerEntry } from '../../src/local/parts/eventbridge.js';

// The built entry has to exist: dist/ is built by test/global-setup.ts.
describe('the runner’s entry point', () => {
  it('starts the runner from source through tsx here, and from dist/local-runner.js when built', () => {
    const source = runnerEntry();
    expect(source.script).toMatch(/src\/local\/runner\/main\.ts$/);
    expect(source.nodeArgs[0]).toBe('--import');
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const built = runnerEntry(new URL('dist/chunks/x.js', `file://${root}`).href);
    expect(built).toEqual({ nodeArgs: [], script: join(root, 'dist', 'local-runner.js') });
  });
});
