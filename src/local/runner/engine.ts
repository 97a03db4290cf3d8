import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { join } from 'node:path';
import { buildFeedbackDeps, buildSenderDeps, type EngineSettings } from '../../engine/deps.js';
import { createFeedback } from '../../engine/feedback.js';
import { createSender } from '../../engine/sender.js';
import { LOCAL_CREDENTIALS } from '../../model/local-stack.js';
import { LOCAL_HASH_KEY_FILE_NAME, readLocalHashKey } from '../hash-key.js';
import type { RunnerConfig } from './config.js';
import type { EngineFactory } from './runner.js';

/** How long the local runner trusts a cached template before checking the bucket again. */
export const LOCAL_TEMPLATE_CACHE_MS = 1_000;

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
    const paceTo = config.engineSendRate ?? config.sesMaxSendRate;
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
      hashKey: await readLocalHashKey(join(config.dataDir, LOCAL_HASH_KEY_FILE_NAME), { create: true }),
      statusEvents: hooks.statusEvents,
      // A pushed template change shows up within about a second (at most three: the cache's
      // bound), not after the Lambda cache window. Not 0: s3rver leaks a file handle on every 304 it answers, so revalidating on every send
      // would exhaust its file limit after a few thousand emails and hang the local stack.
      templateCacheFreshForMs: LOCAL_TEMPLATE_CACHE_MS,
      // Every invocation here runs in this one process, on one Sender: it paces to the whole rate.
      ...(paceTo ? { sendRatePerInstance: paceTo } : {}),
      requeue: hooks.requeue,
      schedules: hooks.schedules,
      ...(config.requeuePolicy ? { requeuePolicy: config.requeuePolicy } : {}),
    };
    return {
      sender: createSender(buildSenderDeps({ ...settings, log: hooks.logger('sender') })),
      // Feedback lets an unmatched event go on the receive that would dead-letter it, as in AWS,
      // where MAX_RECEIVE_COUNT tells it the feedback queue's maxReceiveCount.
      feedback: createFeedback(buildFeedbackDeps({ ...settings, maxReceiveCount: config.feedback.maxReceiveCount, log: hooks.logger('feedback') })),
      close() {
        for (const client of Object.values(clients)) client.destroy();
      },
    };
  };
}
