import { answers } from '../http.js';
import { EMULATOR_PACKAGES, packageBin, resolveEmulatorPackage } from '../packages.js';
import { nodeChildEnv, type LocalPart } from './part.js';

/**
 * aws-ses-v2-local: the SESv2 (and v1) send API, a web inbox at `/`, and the sent mail as JSON at
 * `/store`. It keeps mail in memory only, so the inbox empties when it stops.
 */
export const sesv2Part: LocalPart = {
  name: 'sesv2',
  label: 'SES v2 (aws-ses-v2-local)',
  stage: 'emulator',
  readyTimeoutMs: 30_000,

  async launch(ctx) {
    const pkg = resolveEmulatorPackage(EMULATOR_PACKAGES.sesv2);
    return {
      command: process.execPath,
      args: [
        packageBin(pkg, 'aws-ses-v2-local'),
        '--host',
        ctx.host,
        '--port',
        String(ctx.port),
        // Ignored by its argument parser: the marker that identifies the process as ours.
        sesv2Part.marker(ctx.paths),
      ],
      cwd: ctx.paths.root,
      env: nodeChildEnv(ctx.env),
    };
  },

  marker: (paths) => `--mailengine-state=${paths.root}`,

  isHealthy(endpoint, timeoutMs) {
    // Asking for mail from the far future proves the store answers without sending it all back.
    const since = Math.floor(Date.now() / 1000) + 86_400;
    return answers(`${endpoint}/store?since=${since}`, { timeoutMs }, (res) => res.status === 200 && res.body.includes('"emails"'));
  },
};
