import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

/**
 * Tests are sorted by what they cost to run (README, "Development"):
 * - unit: in-process only, with fakes; no emulators, no build, no browser, no Java.
 * - integration: the local stack's emulators (DynamoDB Local on Java, s3rver, the SES emulator).
 * - e2e: the built CLI (dist/, built once by test/global-setup.ts) and the browser.
 * `npm test` runs all three; `npm run test:unit` (and :integration, :e2e) one of them.
 */
export default defineConfig({
  define: { __MAILENGINE_VERSION__: JSON.stringify(pkg.version) },
  test: {
    // Every test runs without any real AWS: no instance metadata, no shared config files.
    env: {
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/mailengine-test/credentials',
      AWS_CONFIG_FILE: '/nonexistent/mailengine-test/config',
    },
    testTimeout: 20_000,
    // Vitest's default for a run is one worker less than the cores: on 2 cores, one file at a
    // time. Most integration and e2e files spend their time waiting on child processes (the
    // emulators, the built CLI, the browser), so run one and a half files per core. All projects
    // share one pool, so the setting is the root's.
    maxWorkers: Math.max(2, Math.ceil(availableParallelism() * 1.5)),
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'] } },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], globalSetup: ['test/global-setup.ts'] } },
    ],
  },
});
