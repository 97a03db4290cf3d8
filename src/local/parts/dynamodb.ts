import { readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { ExitCode, MailengineError } from '../../errors.js';
import { LOCAL_CREDENTIALS } from '../../model/local-stack.js';
import { answers } from '../http.js';
import { findJava } from '../java.js';
import { EMULATOR_PACKAGES, emulatorInstallCommand, resolveEmulatorPackage, thisInstall } from '../packages.js';
import { DYNAMODB_LAUNCHER_CLASS, writeDynamodbLauncher } from './dynamodb-launcher.js';
import type { LocalPart } from './part.js';

/** The jar sits in `lib/dynamodb_local_<release date>/`; take the newest so a package update needs no code change. */
function jarDirectory(packageDir: string): string {
  const lib = join(packageDir, 'lib');
  const releases = readdirSync(lib)
    .filter((name) => name.startsWith('dynamodb_local_'))
    .sort();
  const newest = releases[releases.length - 1];
  if (!newest) {
    throw new MailengineError('LOCAL_PACKAGE_BROKEN', `No DynamoDB Local jar under ${lib}.`, {
      exitCode: ExitCode.Environment,
      suggestion: `Reinstall it: ${emulatorInstallCommand([EMULATOR_PACKAGES.dynamodb], thisInstall())}`,
    });
  }
  return join(lib, newest);
}

/**
 * AWS's DynamoDB Local. The jar is run directly (not through the package's `spawn()`), because
 * the stack needs flags that helper cannot pass: no telemetry, one shared database for every
 * region and key (so the CLI, tests and the engine runner see the same tables), and a marker.
 * Its own main class would listen on every interface; a small launcher (see dynamodb-launcher.ts)
 * starts it on loopback instead, with the same command-line options.
 */
export const dynamodbPart: LocalPart = {
  name: 'dynamodb',
  label: 'DynamoDB Local',
  stage: 'emulator',
  readyTimeoutMs: 60_000,

  async launch(ctx) {
    const pkg = resolveEmulatorPackage(EMULATOR_PACKAGES.dynamodb);
    const java = await findJava(ctx.env);
    const jarDir = jarDirectory(pkg.dir);
    const dataDir = ctx.paths.dataDir('dynamodb');
    if (!ctx.inMemory) await mkdir(dataDir, { recursive: true });
    const launcherDir = await writeDynamodbLauncher(ctx.paths.dataDir('launcher'), ctx.host);
    return {
      command: java.command,
      args: [
        // Unused by DynamoDB Local: the marker that identifies the process as ours.
        dynamodbPart.marker(ctx.paths),
        // The quick JIT tier only: it answers in about half the time after a cold start, and a
        // developer's emulator never runs long enough to profit from the optimising compiler.
        '-XX:TieredStopAtLevel=1',
        `-Djava.library.path=${join(jarDir, 'DynamoDBLocal_lib')}`,
        // The jar's manifest still brings in DynamoDBLocal_lib/ when it is on the class path.
        '-cp',
        [launcherDir, join(jarDir, 'DynamoDBLocal.jar')].join(delimiter),
        DYNAMODB_LAUNCHER_CLASS,
        '-port',
        String(ctx.port),
        '-sharedDb',
        '-disableTelemetry',
        ...(ctx.inMemory ? ['-inMemory'] : ['-dbPath', dataDir]),
      ],
      cwd: ctx.paths.root,
      env: ctx.env,
    };
  },

  marker: (paths) => `-Dmailengine.local.state=${paths.root}`,

  isHealthy(endpoint, timeoutMs) {
    // DynamoDB Local checks that a request names an access key, not that the signature is right.
    const credential = `${LOCAL_CREDENTIALS.accessKeyId}/20260101/us-east-1/dynamodb/aws4_request`;
    return answers(
      endpoint,
      {
        method: 'POST',
        timeoutMs,
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': 'DynamoDB_20120810.ListTables',
          authorization: `AWS4-HMAC-SHA256 Credential=${credential}, SignedHeaders=host, Signature=0`,
        },
        body: '{"Limit":1}',
      },
      (res) => res.status === 200 && res.body.includes('TableNames'),
    );
  },
};
