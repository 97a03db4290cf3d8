import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildFeedbackDeps, buildSenderDeps, type EngineSettings } from '../../engine/deps.js';
import { createFeedback } from '../../engine/feedback.js';
import { createSender } from '../../engine/sender.js';
import { LOCAL_CREDENTIALS } from '../endpoints.js';
import type { RunnerConfig } from './config.js';
import type { EngineFactory } from './runner.js';

/**
 * The suppression hash key. In AWS it is a Secrets Manager secret the stack creates; locally it is
 * a random key in the runner's data directory (`eventbridge/suppression-hash-key`), the same file
 * `erase --local` reads, so hashes an erasure left stay valid across restarts and block the
 * Sender too. Used as the UTF-8 bytes of the text, as the Lambda entries use the secret string.
 */
export async function localHashKey(dataDir: string): Promise<Buffer> {
  const file = join(dataDir, 'suppression-hash-key');
  const read = async () => {
    try {
      const text = (await readFile(file, 'utf8')).trim();
      return text ? Buffer.from(text, 'utf8') : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  };
  const existing = await read();
  if (existing) return existing;
  await mkdir(dataDir, { recursive: true });
  try {
    // Exclusive: should the CLI create the key at the same moment, both end up with one key.
    await writeFile(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const key = await read();
  if (!key) throw new Error(`the suppression hash key file ${file} is empty`);
  return key;
}

/**
 * The real Sender and Feedback, built from the same settings the Lambda entries use, with clients
 * pointed at the local emulators. The clients are the plain SDK ones, as in Lambda, so the
 * handlers see AWS error names exactly as they would there; the SES client is wrapped by the runner.
 */
export function realEngine(config: RunnerConfig): EngineFactory {
  return async (hooks) => {
    const engine = config.engine;
    if (!engine) throw new Error('realEngine needs a configured engine');
    const common = { region: config.region, credentials: LOCAL_CREDENTIALS };
    const clients = {
      dynamodb: new DynamoDBClient({ ...common, endpoint: config.endpoints.dynamodb }),
      // s3rver speaks path-style only and knows none of the newer default checksums.
      s3: new S3Client({ ...common, endpoint: config.endpoints.s3, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }),
      sesv2: hooks.wrapSes(new SESv2Client({ ...common, endpoint: config.endpoints.sesv2 })),
    };
    const settings: EngineSettings = {
      clients,
      trackingTable: engine.trackingTable,
      suppressionTable: engine.suppressionTable,
      templatesBucket: engine.templatesBucket,
      configurationSet: engine.configurationSet,
      defaultFrom: engine.defaultFrom,
      softBounceThreshold: engine.softBounceThreshold,
      retentionDays: engine.retentionDays,
      hashKey: await localHashKey(config.dataDir),
      statusEvents: hooks.statusEvents,
      // A pushed template change shows up on the next send, not after the Lambda cache window.
      templateCacheFreshForMs: 0,
    };
    return {
      sender: createSender(buildSenderDeps({ ...settings, log: hooks.logger('sender') })),
      feedback: createFeedback(buildFeedbackDeps({ ...settings, log: hooks.logger('feedback') })),
      close() {
        for (const client of Object.values(clients)) client.destroy();
      },
    };
  };
}
