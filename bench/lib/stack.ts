import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { documentClient } from '../../src/engine/deps.js';
import { LOCAL_REGION } from '../../src/config/settings.js';
import { answerWithoutAsking } from '../../src/io/unanswered.js';
import type { IoHost } from '../../src/io/io-host.js';
import { LOCAL_CREDENTIALS, findFreePorts, localStackResources, startLocalStack, type LocalStackHandle } from '../../src/local/index.js';
import { RUNNER_ENV } from '../../src/local/runner/config.js';

export const BENCH_STACK = 'mailbench';

/** Counts the DynamoDB requests a client makes, and the items and capacity they read. */
export interface DynamoCounter {
  requests: number;
  byCommand: Record<string, number>;
  /** Items returned by GetItem, Query, Scan and BatchGetItem. */
  itemsReturned: number;
  /** Items DynamoDB examined for Query and Scan (before any filter). */
  itemsScanned: number;
  /** Read capacity units DynamoDB reported (ReturnConsumedCapacity TOTAL is added to every read). */
  readCapacity: number;
  reset(): void;
}

const READS = new Set(['GetItemCommand', 'QueryCommand', 'ScanCommand', 'BatchGetItemCommand']);

/**
 * Adds a middleware that counts every request the client sends: the benchmarks report what an
 * operation costs in requests and items read, which is what it costs in AWS, not only its time.
 */
export function countDynamoRequests(client: DynamoDBClient): DynamoCounter {
  const counter: DynamoCounter = {
    requests: 0,
    byCommand: {},
    itemsReturned: 0,
    itemsScanned: 0,
    readCapacity: 0,
    reset() {
      this.requests = 0;
      this.byCommand = {};
      this.itemsReturned = 0;
      this.itemsScanned = 0;
      this.readCapacity = 0;
    },
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      counter.requests += 1;
      counter.byCommand[name] = (counter.byCommand[name] ?? 0) + 1;
      const input = args.input as Record<string, unknown>;
      if (READS.has(name)) input.ReturnConsumedCapacity = 'TOTAL';
      const result = await next(args);
      const out = result.output as { Item?: unknown; Items?: unknown[]; Count?: number; ScannedCount?: number; Responses?: Record<string, unknown[]>; ConsumedCapacity?: { CapacityUnits?: number } | Array<{ CapacityUnits?: number }> };
      if (READS.has(name)) {
        const returned = out.Items?.length ?? (out.Item ? 1 : 0) + Object.values(out.Responses ?? {}).reduce((n, items) => n + items.length, 0);
        counter.itemsReturned += returned;
        counter.itemsScanned += out.ScannedCount ?? returned;
        const capacity = Array.isArray(out.ConsumedCapacity) ? out.ConsumedCapacity : out.ConsumedCapacity ? [out.ConsumedCapacity] : [];
        counter.readCapacity += capacity.reduce((n, c) => n + (c.CapacityUnits ?? 0), 0);
      }
      return result;
    },
    { step: 'initialize', name: 'benchDynamoCounter' },
  );
  return counter;
}

export interface BenchStack {
  stack: LocalStackHandle;
  names: { trackingTable: string; suppressionTable: string; templatesBucket: string };
  dynamodb: DynamoDBClient;
  db: DynamoDBDocumentClient;
  counter: DynamoCounter;
  s3: S3Client;
  stop(): Promise<void>;
}

/**
 * One in-memory local stack provisioned from the engine's template, the engine runner limited to
 * `sendRate` SendEmail calls per second (as SES's MaxSendRate), and clients pointing at it.
 */
export async function startBenchStack(options: { sendRate: number }): Promise<BenchStack> {
  const dir = mkdtempSync(join(tmpdir(), 'mailengine-bench-'));
  const [dynamodb, s3, sesv2, eventbridge] = await findFreePorts(4);
  const env = { ...process.env, [RUNNER_ENV.sesMaxSendRate]: String(options.sendRate) };
  let stack: LocalStackHandle;
  try {
    stack = await startLocalStack({ dir, ports: { dynamodb, s3, sesv2, eventbridge }, inMemory: true, provision: { stackName: BENCH_STACK }, env });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const resources = localStackResources(dir, BENCH_STACK) ?? {};
  const common = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 8 };
  const ddb = new DynamoDBClient({ ...common, endpoint: stack.endpoints.dynamodb });
  const counter = countDynamoRequests(ddb);
  const s3Client = new S3Client({ ...common, endpoint: stack.endpoints.s3, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  return {
    stack,
    names: { trackingTable: resources.TrackingTable, suppressionTable: resources.SuppressionTable, templatesBucket: resources.TemplatesBucket },
    dynamodb: ddb,
    db: documentClient(ddb),
    counter,
    s3: s3Client,
    async stop() {
      ddb.destroy();
      s3Client.destroy();
      try {
        await stack.stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** An IO host that shows nothing and says yes: benchmarks time the work, not prompts. */
export const silentIo: IoHost = {
  interactive: false,
  notify() {},
  requestResponse: async (req) => answerWithoutAsking(req, true),
  progress: () => ({ update() {}, succeed() {}, fail() {}, stop() {} }),
  result() {},
};
