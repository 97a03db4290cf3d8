import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

export default defineConfig({
  define: { __MAILENGINE_VERSION__: JSON.stringify(pkg.version) },
  test: {
    include: ['test/**/*.test.ts'],
    // Every test runs without any real AWS: no instance metadata, no shared config files.
    env: {
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/mailengine-test/credentials',
      AWS_CONFIG_FILE: '/nonexistent/mailengine-test/config',
    },
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 20_000,
  },
});
