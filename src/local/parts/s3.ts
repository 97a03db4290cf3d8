import { mkdir } from 'node:fs/promises';
import { answers } from '../http.js';
import { EMULATOR_PACKAGES, packageBin, resolveEmulatorPackage } from '../packages.js';
import { nodeChildEnv, type LocalPart } from './part.js';

/** s3rver, in its own Node process. It keeps buckets as plain directories under the data dir. */
export const s3Part: LocalPart = {
  name: 's3',
  label: 'S3 (s3rver)',
  stage: 'emulator',
  readyTimeoutMs: 30_000,

  async launch(ctx) {
    const pkg = resolveEmulatorPackage(EMULATOR_PACKAGES.s3);
    const dataDir = ctx.paths.dataDir('s3');
    await mkdir(dataDir, { recursive: true });
    return {
      command: process.execPath,
      // s3rver's ListObjectsV2 needs OpenSSL's legacy provider on Node 17+.
      // The data directory argument doubles as the marker (s3rver refuses unknown options).
      args: ['--openssl-legacy-provider', packageBin(pkg, 's3rver'), '--directory', dataDir, '--address', ctx.host, '--port', String(ctx.port)],
      cwd: ctx.paths.root,
      env: nodeChildEnv(ctx.env),
    };
  },

  marker: (paths) => `--directory ${paths.dataDir('s3')}`,

  isHealthy(endpoint, timeoutMs) {
    // An anonymous ListBuckets: s3rver answers it, and no other kind of server answers it so.
    return answers(`${endpoint}/`, { timeoutMs }, (res) => res.status === 200 && res.body.includes('ListAllMyBucketsResult'));
  },
};
