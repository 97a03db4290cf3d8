import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { AwsClientFactory } from '../../src/aws/clients.js';
import { documentClient } from '../../src/engine/deps.js';
import { TrackingStore } from '../../src/tracking/tracking-store.js';
import { localStackResources, startLocalStack, type LocalStackHandle } from '../../src/local/index.js';
import { DEFAULT_FEEDBACK_QUEUE, DEFAULT_SEND_QUEUE, type RunnerConfig } from '../../src/local/runner/config.js';
import { findStarterDir } from '../../src/templates/init.js';
import { DirectoryStore } from '../../src/templates/store.js';
import { loadTemplate, standaloneFiles } from '../../src/templates/template.js';
import { freePorts, processesMentioning } from './local.js';
import { STACK_FRAME, type CliRun } from './cli.js';

/**
 * The fixtures every test on the local stack shares: a stack started in this process, a runner
 * with a faked engine, and the built CLI's `local up` / `local down`.
 */

export interface TestStack {
  handle: LocalStackHandle;
  /** The physical name of each provisioned table and bucket, by logical id (`TemplatesBucket`, …). */
  names: Record<string, string>;
  /** The templates bucket (`names.TemplatesBucket`). */
  bucket: string;
  /** Clients for the stack's emulators, as the CLI builds them for `--local`. */
  aws: AwsClientFactory;
}

/**
 * A provisioned local stack (DynamoDB Local, s3rver, the SES emulator, the engine runner) on free
 * loopback ports, in a new temporary project directory, tables in memory.
 * `sesEventDelayMs` shortens the wait before the runner synthesises SES's events.
 */
export async function startTestStack(label: string, stackName: string, options: { sesEventDelayMs?: number } = {}): Promise<TestStack> {
  const dir = mkdtempSync(join(tmpdir(), `mailengine-${label}-`));
  const handle = await startLocalStack({
    dir,
    ports: await freePorts(),
    inMemory: true,
    provision: { stackName },
    ...(options.sesEventDelayMs === undefined ? {} : { env: { ...process.env, MAILENGINE_LOCAL_SES_EVENT_DELAY_MS: String(options.sesEventDelayMs) } }),
  });
  const names = localStackResources(dir, stackName) ?? {};
  const aws = new AwsClientFactory({ region: handle.region, local: handle.endpoints, maxAttempts: 1 });
  return { handle, names, bucket: names.TemplatesBucket, aws };
}

/**
 * One stack for the whole test file: started before its first test, stopped after its last (with
 * no process left). The returned object is filled in once the stack has started.
 * `emptyBucketEachTest` starts every test from an empty templates bucket.
 */
export function useTestStack(label: string, stackName: string, options: { sesEventDelayMs?: number; emptyBucketEachTest?: boolean } = {}): TestStack {
  const stack = {} as TestStack;
  let started: TestStack | undefined;
  beforeAll(async () => {
    started = await startTestStack(label, stackName, options);
    Object.assign(stack, started);
  }, 120_000);
  afterAll(async () => {
    await stopTestStack(started);
  }, 60_000);
  if (options.emptyBucketEachTest) beforeEach(() => emptyTemplatesBucket(stack));
  return stack;
}

/** Stops a stack started by `startTestStack` (if it started) and checks that none of its processes is left. */
export async function stopTestStack(stack: TestStack | undefined): Promise<Awaited<ReturnType<LocalStackHandle['stop']>> | undefined> {
  if (!stack) return undefined;
  const down = await stack.handle.stop();
  expect(processesMentioning(stack.handle.stateDir)).toEqual([]);
  return down;
}

/** Deletes every object in the stack's templates bucket, so each test starts from an empty one. */
export async function emptyTemplatesBucket(stack: TestStack): Promise<void> {
  const s3 = await stack.aws.s3();
  const bucket = stack.bucket;
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  for (const o of listed.Contents ?? []) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.Key }));
}

/** Uploads a starter template as `templates push` does: the flattened stand-alone files, sampleData included. */
export async function putStarterTemplate(stack: TestStack, name: string): Promise<void> {
  const s3 = await stack.aws.s3();
  const files = standaloneFiles(loadTemplate(new DirectoryStore(findStarterDir()), name));
  for (const [file, body] of Object.entries(files)) await s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: `templates/${name}/${file}`, Body: body }));
}

/**
 * A runner configuration for a runner started in this process with a faked engine: any free
 * port, a fresh data directory, emulator endpoints that answer nothing (the engine never calls
 * them), the default queues and no SES event delay unless overridden.
 */
export function testRunnerConfig(label: string, overrides: Partial<RunnerConfig> & { stackName?: string } = {}): RunnerConfig {
  const { stackName = 'shop', ...rest } = overrides;
  return {
    host: '127.0.0.1',
    port: 0,
    region: 'us-east-1',
    accountId: '000000000000',
    dataDir: mkdtempSync(join(tmpdir(), `mailengine-${label}-`)),
    endpoints: { dynamodb: 'http://127.0.0.1:9', s3: 'http://127.0.0.1:9', sesv2: 'http://127.0.0.1:9' },
    engineBus: `${stackName}-bus`,
    engine: {
      stackName,
      trackingTable: `${stackName}-tracking`,
      suppressionTable: `${stackName}-suppression`,
      templatesBucket: `${stackName}-templates`,
      configurationSet: stackName,
      defaultFrom: { email: 'noreply@example.com' },
      softBounceThreshold: 3,
      retentionDays: 30,
    },
    send: DEFAULT_SEND_QUEUE,
    feedback: DEFAULT_FEEDBACK_QUEUE,
    sesEventDelayMs: 0,
    ...rest,
  };
}

/** An SES client that never leaves the process: every send answers with the next message id. */
export function fakeSesEmulator(nextMessageId: () => string): SESv2Client {
  const emulator = new SESv2Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  emulator.send = (async () => ({ MessageId: nextMessageId(), $metadata: {} })) as unknown as SESv2Client['send'];
  return emulator;
}

type RunCli = (...args: string[]) => Promise<CliRun>;

/** `local up --json --in-memory` on free ports through the built CLI; returns the stack's state directory. */
export async function cliLocalUp(run: RunCli): Promise<string> {
  const ports = await freePorts();
  const up = await run('local', 'up', '--json', '--in-memory', '--dynamodb-port', String(ports.dynamodb), '--s3-port', String(ports.s3), '--ses-port', String(ports.sesv2), '--eventbridge-port', String(ports.eventbridge));
  expect(up.stderr).not.toMatch(STACK_FRAME);
  expect(up.code).toBe(0);
  return (JSON.parse(up.stdout) as { stateDir: string }).stateDir;
}

/** `local down` through the built CLI, and no process of the stack left behind. */
export async function cliLocalDown(run: RunCli, stateDir: string): Promise<void> {
  const down = await run('local', 'down');
  expect(down.code).toBe(0);
  if (stateDir) expect(processesMentioning(stateDir)).toEqual([]);
}

/** What an app talks to on the test stack: its bus and table, and the tracking store on that table. */
export interface AppClients {
  events: EventBridgeClient;
  dynamodb: DynamoDBClient;
  tracking: TrackingStore;
}

/**
 * The EventBridge and DynamoDB clients an app would hold, pointed at the test stack, made before the
 * file's first test (with the `welcome` starter pushed) and destroyed after its last. The returned
 * object is filled in once they exist.
 */
export function useAppClients(stack: TestStack): AppClients {
  const clients = {} as AppClients;
  beforeAll(async () => {
    const common = { region: stack.handle.region, credentials: stack.handle.credentials };
    clients.events = new EventBridgeClient({ ...common, endpoint: stack.handle.endpoints.eventbridge });
    clients.dynamodb = new DynamoDBClient({ ...common, endpoint: stack.handle.endpoints.dynamodb });
    clients.tracking = new TrackingStore(documentClient(clients.dynamodb), { tableName: stack.names.TrackingTable, retentionDays: 30 });
    await putStarterTemplate(stack, 'welcome');
  }, 60_000);
  afterAll(() => {
    clients.events?.destroy();
    clients.dynamodb?.destroy();
  });
  return clients;
}
