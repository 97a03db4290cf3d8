import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * End-to-end tests spawn dist/cli.js; build it from the current sources first.
 * MAILENGINE_TEST_SKIP_BUILD=1 reuses an existing build (for several test runs at once, which
 * would otherwise rebuild dist/ under each other).
 */
export default function setup(): void {
  if (process.env.MAILENGINE_TEST_SKIP_BUILD === '1' && existsSync('dist/cli.js')) return;
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
}
