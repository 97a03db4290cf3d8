import { DescribeTableCommand, DescribeTimeToLiveCommand, ListTablesCommand, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsClientFactory } from '../../../src/aws/clients.js';
import { SUPPRESSION_TABLE, TRACKING_TABLE } from '../../../src/model/tables.js';
import { isMailengineError, type MailengineError } from '../../../src/errors.js';
import { RecordingIoHost } from '../../helpers/recording-io-host.js';
import { engineTemplatePath } from '../../../src/cfn/template.js';
import {
  listReceivedEmails,
  localStackResources,
  localStackStatus,
  startLocalStack,
  upLocalStack,
  waitForReceivedEmail,
  type LocalStackHandle,
} from '../../../src/local/index.js';
import { provisionLocalStack } from '../../../src/local/provision.js';
import { localStatePaths } from '../../../src/local/state.js';
import { httpRequest } from '../../../src/local/http.js';
import { formatListening, listeningSockets } from '../../../src/local/listening.js';
import { isLoopbackAddress } from '../../../src/util/loopback.js';
import { FIXTURE_TEMPLATE, freePorts, hasSs, isAlive, listeningPerSs, processesMentioning, processGroupsMembers, tempProject } from '../../helpers/local.js';

const STACK = 'shop';

async function failure(promise: Promise<unknown>): Promise<MailengineError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isMailengineError(err)) throw new Error(`expected a MailengineError, got ${String(err)}`);
  return err;
}

describe('the local stack', () => {
  let stack: LocalStackHandle;
  let aws: AwsClientFactory;
  let startupMs = 0;

  beforeAll(async () => {
    const began = Date.now();
    stack = await startLocalStack({ dir: tempProject('stack'), ports: await freePorts(), inMemory: true, provision: { stackName: STACK, template: FIXTURE_TEMPLATE } });
    startupMs = Date.now() - began;
    aws = new AwsClientFactory({ region: stack.region, local: stack.endpoints, maxAttempts: 1 });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  it('starts every emulator on loopback and reports how long it took', () => {
    expect(stack.up.parts.map((p) => [p.name, p.state])).toEqual([
      ['dynamodb', 'started'],
      ['s3', 'started'],
      ['sesv2', 'started'],
      ['eventbridge', 'started'],
    ]);
    for (const endpoint of Object.values(stack.endpoints)) expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/?$/);
    console.info(`local stack started in ${startupMs} ms`);
  });

  it('nothing it started listens on anything but loopback, as the kernel\'s socket table shows; up and status report the same', async () => {
    const groups = processGroupsMembers(stack.up.parts.map((p) => p.pid));
    const status = await localStackStatus({ dir: stack.dir });
    for (const part of stack.up.parts) {
      const members = groups.get(part.pid) ?? [];
      expect(members, part.label).toContain(part.pid);
      // Every socket any process of the part listens on, not just the port it was given.
      const sockets = hasSs
        ? listeningPerSs().filter((s) => s.pids.some((pid) => members.includes(pid)))
        : ((await listeningSockets(members)) ?? []).map((s) => ({ ...s, local: formatListening(s) }));
      expect(sockets.map((s) => s.port), part.label).toContain(part.port);
      expect(sockets.filter((s) => !isLoopbackAddress(s.address)).map((s) => s.local), `${part.label} listens beyond loopback`).toEqual([]);
      // status shows an IPv4-mapped IPv6 address (Java's way of binding 127.0.0.1) as IPv4.
      const addresses = [...new Set(sockets.map((s) => s.local.replace(/^\[::ffff:([\d.]+)\]/, '$1')))].sort();
      expect(part.listening, part.label).toEqual(addresses);
      expect(part.exposed, part.label).toEqual([]);
      expect(status.parts.find((p) => p.name === part.name), part.label).toMatchObject({ listening: addresses, exposed: [] });
    }
  });

  it('DynamoDB Local answers requests addressed to loopback names only (DNS rebinding)', async () => {
    const listTables = (host: string) =>
      httpRequest(stack.endpoints.dynamodb, {
        method: 'POST',
        headers: {
          host,
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': 'DynamoDB_20120810.ListTables',
          authorization: 'AWS4-HMAC-SHA256 Credential=S3RVER/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
        },
        body: '{}',
      });
    const port = new URL(stack.endpoints.dynamodb).port;
    for (const host of [`attacker.example:${port}`, '127.0.0.1.nip.io']) {
      const refused = await listTables(host);
      expect(refused.status, host).toBe(404);
      expect(refused.body).not.toContain('TableNames');
    }
    for (const host of [`localhost:${port}`, `[::1]:${port}`, `127.0.0.1:${port}`]) {
      const answered = await listTables(host);
      expect(answered.status, host).toBe(200);
      expect(answered.body).toContain(`${STACK}-tracking`);
    }
  });

  it('DynamoDB Local answers ListTables', async () => {
    const ddb = await aws.dynamodb();
    const { TableNames } = await ddb.send(new ListTablesCommand({}));
    expect(TableNames).toEqual(expect.arrayContaining([`${STACK}-tracking`, `${STACK}-suppression`]));
  });

  it('s3rver stores and lists objects (PutObject, ListObjectsV2)', async () => {
    const s3 = await aws.s3();
    const bucket = stack.provisioned!.buckets[0].name;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'templates/welcome/template.html', Body: '<p>Hi {{ name }}</p>' }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'templates/welcome/metadata.json', Body: '{}' }));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'templates/welcome/' }));
    expect(listed.Contents?.map((o) => o.Key).sort()).toEqual(['templates/welcome/metadata.json', 'templates/welcome/template.html']);
  });

  it('the SES emulator accepts SendEmail and the inbox helper reads it back', async () => {
    const ses = await aws.sesv2();
    const since = new Date(Date.now() - 1000);
    const sent = await ses.send(
      new SendEmailCommand({
        FromEmailAddress: 'Shop <orders@shop.example>',
        Destination: { ToAddresses: ['Ann <ann@example.com>'], CcAddresses: ['audit@shop.example'] },
        Content: { Simple: { Subject: { Data: 'Order 1234 confirmed' }, Body: { Text: { Data: 'Thanks!' }, Html: { Data: '<p>Thanks!</p>' } } } },
        ConfigurationSetName: STACK,
        EmailTags: [{ Name: 'emailId', Value: 'order-1234-confirmation' }],
      }),
    );
    expect(sent.MessageId).toBeTruthy();
    const email = await waitForReceivedEmail(stack.endpoints.sesv2, (e) => e.messageId === sent.MessageId);
    expect(email).toMatchObject({ from: 'Shop <orders@shop.example>', to: ['Ann <ann@example.com>'], cc: ['audit@shop.example'], subject: 'Order 1234 confirmed', text: 'Thanks!', html: '<p>Thanks!</p>' });
    expect(email.sentAt.getTime()).toBeGreaterThanOrEqual(Math.floor(since.getTime() / 1000) * 1000);
    expect((await listReceivedEmails(stack.endpoints.sesv2, { recipient: 'ANN@example.com', since })).map((e) => e.messageId)).toContain(sent.MessageId);
    expect(await listReceivedEmails(stack.endpoints.sesv2, { recipient: 'nobody@example.com' })).toEqual([]);
  });

  it('an app configured only by the printed environment variables reaches every emulator', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, stack.env);
    try {
      const [{ DynamoDBClient }, { S3Client, GetObjectCommand }, { SESv2Client }] = await Promise.all([
        import('@aws-sdk/client-dynamodb'),
        import('@aws-sdk/client-s3'),
        import('@aws-sdk/client-sesv2'),
      ]);
      const bucket = stack.provisioned!.buckets[0].name;
      // No endpoint, region, credentials or S3 options in code: the SDK reads them all from the environment.
      const s3 = new S3Client({});
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'env-check.txt', Body: 'ok' }));
      expect(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'env-check.txt' }))).Body?.transformToString()).toBe('ok');
      expect((await new DynamoDBClient({}).send(new ListTablesCommand({}))).TableNames).toContain(`${STACK}-tracking`);
      const sent = await new SESv2Client({}).send(
        new SendEmailCommand({ FromEmailAddress: 'a@shop.example', Destination: { ToAddresses: ['env@example.com'] }, Content: { Simple: { Subject: { Data: 's' }, Body: { Text: { Data: 'b' } } } } }),
      );
      await waitForReceivedEmail(stack.endpoints.sesv2, (e) => e.messageId === sent.MessageId);
    } finally {
      for (const key of Object.keys(stack.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  });

  describe('provisioning from the template', () => {
    it('creates both tables with their keys, indexes and TTL, and the templates bucket', async () => {
      expect(stack.provisioned?.tables.map((t) => [t.name, t.status])).toEqual([
        [`${STACK}-tracking`, 'created'],
        [`${STACK}-suppression`, 'created'],
      ]);
      expect(stack.provisioned?.buckets.map((b) => b.status)).toEqual(['created']);
      const ddb = await aws.dynamodb();
      for (const [name, shape] of [
        [`${STACK}-tracking`, TRACKING_TABLE],
        [`${STACK}-suppression`, SUPPRESSION_TABLE],
      ] as const) {
        const { Table } = await ddb.send(new DescribeTableCommand({ TableName: name }));
        expect(Table?.KeySchema).toEqual([
          { AttributeName: shape.partitionKey, KeyType: 'HASH' },
          ...('sortKey' in shape ? [{ AttributeName: shape.sortKey, KeyType: 'RANGE' }] : []),
        ]);
        expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
        const indexes = Object.fromEntries((Table?.GlobalSecondaryIndexes ?? []).map((i) => [i.IndexName, i.KeySchema?.map((k) => `${k.AttributeName}:${k.KeyType}`)]));
        expect(indexes).toEqual(
          Object.fromEntries(
            Object.values(shape.indexes).map((i) => [i.name, [`${i.partitionKey}:HASH`, ...('sortKey' in i ? [`${i.sortKey}:RANGE`] : [])]]),
          ),
        );
        const { TimeToLiveDescription } = await ddb.send(new DescribeTimeToLiveCommand({ TableName: name }));
        expect(TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: shape.ttlAttribute });
      }
    });

    it('is idempotent, and puts back an index that went missing', async () => {
      const again = await provisionLocalStack({ aws, stackName: STACK, template: FIXTURE_TEMPLATE });
      expect([...again.tables, ...again.buckets].map((r) => r.status)).toEqual(['existing', 'existing', 'existing']);

      const ddb = await aws.dynamodb();
      await ddb.send(new UpdateTableCommand({ TableName: `${STACK}-suppression`, GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: 'by-reason' } }] }));
      // DynamoDB Local shows the index as DELETING for a moment, as DynamoDB does for longer.
      await expect
        .poll(async () => (await ddb.send(new DescribeTableCommand({ TableName: `${STACK}-suppression` }))).Table?.GlobalSecondaryIndexes ?? [], { timeout: 10_000 })
        .toEqual([]);
      const repaired = await provisionLocalStack({ aws, stackName: STACK, template: FIXTURE_TEMPLATE });
      expect(repaired.tables[1]).toMatchObject({ status: 'updated', changes: ['added index by-reason'] });
      const { Table } = await ddb.send(new DescribeTableCommand({ TableName: `${STACK}-suppression` }));
      expect(Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName)).toEqual(['by-reason']);
    });

    it('records the physical names per stack, for --local commands to find', () => {
      expect(localStackResources(stack.dir, STACK)).toEqual({
        TrackingTable: `${STACK}-tracking`,
        SuppressionTable: `${STACK}-suppression`,
        TemplatesBucket: stack.provisioned!.buckets[0].name,
      });
    });

    // The engine's own template is being written alongside; the fixture above pins the shapes.
    it('provisions from cfn/mailengine.yaml itself', async () => {
      const real = await provisionLocalStack({ aws, stackName: 'real', template: engineTemplatePath() });
      expect(real.tables.map((t) => [t.logicalId, t.name, t.status, t.indexes, t.ttlAttribute])).toEqual([
        ['TrackingTable', 'real-tracking', 'created', ['by-recipient', 'by-message-id', 'by-day', 'by-send-at'], 'expiresAt'],
        ['SuppressionTable', 'real-suppression', 'created', ['by-reason'], 'expiresAt'],
      ]);
      expect(real.buckets.map((b) => b.status)).toEqual(['created']);
    });

    it('provisions a second stack name side by side', async () => {
      const other = await provisionLocalStack({ aws, stackName: 'shop-staging', template: FIXTURE_TEMPLATE });
      expect(other.tables.map((t) => [t.name, t.status])).toEqual([
        ['shop-staging-tracking', 'created'],
        ['shop-staging-suppression', 'created'],
      ]);
    });
  });

  describe('lifecycle', () => {
    it('up again is idempotent: nothing restarts, same pids and ports', async () => {
      const io = new RecordingIoHost();
      const again = await upLocalStack({ dir: stack.dir, provision: { stackName: STACK, template: FIXTURE_TEMPLATE } }, io);
      expect(again.parts.map((p) => [p.name, p.state, p.pid])).toEqual(stack.up.parts.map((p) => [p.name, 'already-running', p.pid]));
      expect(again.endpoints).toEqual(stack.endpoints);
      expect(again.provisioned?.tables.map((t) => t.status)).toEqual(['existing', 'existing']);
      expect(io.progressLog[0]).toMatchObject({ code: 'local.up', outcome: 'succeed' });
    });

    it('asking a running part to move to another port is a usage error', async () => {
      const err = await failure(upLocalStack({ dir: stack.dir, ports: { s3: stack.up.parts[1].port + 1 } }));
      expect({ code: err.code, exitCode: err.exitCode }).toEqual({ code: 'LOCAL_PORT_MISMATCH', exitCode: 2 });
    });

    it('status reflects reality: a killed part shows as stopped, and up brings back only that part', async () => {
      const before = await localStackStatus({ dir: stack.dir });
      expect(before.running).toBe(true);
      expect(before.parts.map((p) => [p.name, p.state, p.healthy, p.pid])).toEqual(stack.up.parts.map((p) => [p.name, 'running', true, p.pid]));

      const s3Pid = stack.up.parts.find((p) => p.name === 's3')!.pid;
      process.kill(-s3Pid, 'SIGKILL');
      await expect.poll(() => isAlive(s3Pid), { timeout: 5000 }).toBe(false);

      const after = await localStackStatus({ dir: stack.dir });
      expect(after.running).toBe(false);
      expect(after.parts.map((p) => [p.name, p.state, p.healthy])).toEqual([
        ['dynamodb', 'running', true],
        ['s3', 'stopped', false],
        ['sesv2', 'running', true],
        ['eventbridge', 'running', true],
      ]);

      const repaired = await upLocalStack({ dir: stack.dir });
      expect(repaired.parts.map((p) => [p.name, p.state])).toEqual([
        ['dynamodb', 'already-running'],
        ['s3', 'started'],
        ['sesv2', 'already-running'],
        ['eventbridge', 'already-running'],
      ]);
      // The bucket and its objects live on disk, so they survive the restart.
      const listed = await (await aws.s3()).send(new ListObjectsV2Command({ Bucket: stack.provisioned!.buckets[0].name, Prefix: 'templates/' }));
      expect(listed.KeyCount).toBe(2);
      stack.up.parts[1] = repaired.parts[1];
    });
  });

  it('down stops every process it started and leaves none behind (no orphan java)', async () => {
    const pids = (await localStackStatus({ dir: stack.dir })).parts.map((p) => p.pid!);
    expect(pids.every(isAlive)).toBe(true);
    expect(processesMentioning(stack.stateDir).some((line) => line.includes('java'))).toBe(true);

    const down = await stack.stop();
    expect(down.parts.map((p) => [p.name, p.state])).toEqual([
      ['dynamodb', 'stopped'],
      ['s3', 'stopped'],
      ['sesv2', 'stopped'],
      ['eventbridge', 'stopped'],
    ]);
    expect(pids.filter(isAlive)).toEqual([]);
    expect(processesMentioning(stack.stateDir)).toEqual([]);
    expect(existsSync(localStatePaths(stack.dir).runFile('dynamodb'))).toBe(false);

    const status = await localStackStatus({ dir: stack.dir });
    expect(status.parts.map((p) => p.state)).toEqual(['stopped', 'stopped', 'stopped', 'stopped']);
    expect((await stack.stop()).parts.map((p) => p.state)).toEqual(['not-running', 'not-running', 'not-running', 'not-running']);
  }, 30_000);
});

describe('starting the local stack when something is wrong', () => {
  let blocker: Server;
  let busyPort: number;

  beforeAll(async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    busyPort = (blocker.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

  it('a port taken by another program is a clear environment error, and nothing is started', async () => {
    const dir = tempProject('busy');
    const err = await failure(upLocalStack({ dir, ports: { ...(await freePorts()), s3: busyPort }, inMemory: true }));
    expect({ code: err.code, exitCode: err.exitCode }).toEqual({ code: 'LOCAL_PORT_BUSY', exitCode: 3 });
    expect(err.message).toContain(`Port ${busyPort} is already in use`);
    expect(err.message).toContain('S3');
    expect(err.suggestion).toContain('--s3-port');
    expect(processesMentioning(localStatePaths(dir).root)).toEqual([]);
    expect((await localStackStatus({ dir })).parts.every((p) => p.state === 'stopped')).toBe(true);
  });

  it('a part that does not answer in time names itself and its log, and everything started is stopped again', async () => {
    const dir = tempProject('slow');
    const err = await failure(upLocalStack({ dir, ports: await freePorts(), inMemory: true, readyTimeoutMs: 1 }));
    const paths = localStatePaths(dir);
    expect({ code: err.code, exitCode: err.exitCode }).toEqual({ code: 'LOCAL_START_TIMEOUT', exitCode: 3 });
    expect(err.message).toMatch(/^DynamoDB Local did not answer on http:\/\/127\.0\.0\.1:\d+ within/);
    expect(err.suggestion).toContain(paths.logFile('dynamodb'));
    expect(processesMentioning(paths.root)).toEqual([]);
    expect((await localStackStatus({ dir })).parts.every((p) => p.state === 'stopped')).toBe(true);
  }, 30_000);
});
