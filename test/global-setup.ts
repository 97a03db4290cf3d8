import { execFileSync } from 'node:child_process';

/** End-to-end tests spawn dist/cli.js; build it from the current sources first. */
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
}
