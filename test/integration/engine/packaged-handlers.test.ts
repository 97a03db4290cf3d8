import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unzipHandler } from '../../helpers/lambda-zip.js';
import { packageHandler } from '../../../scripts/package-lambdas.mjs';
import type { SqsEvent } from '../../../src/engine/sqs.js';
import { clearReceivedEmails, listReceivedEmails } from '../../../src/local/index.js';
import { STACK, batch, requestMessage, senderFor, useEngineFixture } from '../../helpers/engine-fixture.js';

/**
 * The Lambda zips as deploy uploads them, run against the local stack's emulators: the bundled AWS
 * SDK (tree-shaken, its schemas rewritten at packaging) must still speak DynamoDB, S3 and SES v2.
 * Each invocation is a fresh Node process that imports index.mjs with the environment the
 * CloudFormation template gives the function and calls `handler` once, as a cold start does.
 */
const root = resolve(import.meta.dirname, '../../..');
const run = promisify(execFile);
const f = useEngineFixture('packaged');
const unpacked: Record<string, string> = {};
const scratch: string[] = [];

beforeAll(async () => {
  for (const name of ['sender', 'feedback']) {
    const { zip } = await packageHandler(name, `src/engine/handlers/${name}.ts`, root);
    const dir = mkdtempSync(join(tmpdir(), `mailengine-packaged-${name}-`));
    scratch.push(dir);
    unpacked[name] = unzipHandler(zip, dir);
  }
}, 120_000);
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** Invokes a packaged handler once in a new process; returns its result and the log lines it wrote. */
async function invoke(name: 'sender' | 'feedback', event: SqsEvent): Promise<{ result: { batchItemFailures: unknown[] }; logs: Array<Record<string, unknown>> }> {
  const script = [
    `const { handler } = await import(${JSON.stringify(pathToFileURL(unpacked[name]).href)});`,
    'const result = await handler(JSON.parse(process.env.TEST_EVENT), { getRemainingTimeInMillis: () => 30000 });',
    "process.stdout.write('RESULT ' + JSON.stringify(result) + '\\n');",
  ].join('\n');
  const env = {
    PATH: process.env.PATH ?? '',
    ...f.stack.env,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_LAMBDA_FUNCTION_NAME: `${STACK}-${name}`,
    TRACKING_TABLE: f.settings.trackingTable,
    SUPPRESSION_TABLE: f.settings.suppressionTable,
    TEMPLATES_BUCKET: f.settings.templatesBucket,
    CONFIGURATION_SET: STACK,
    EVENT_BUS_NAME: `${STACK}-bus`,
    DEFAULT_FROM_EMAIL: 'orders@shop.example',
    TEST_EVENT: JSON.stringify(event),
  };
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' });
  const lines = stdout.split('\n').filter(Boolean);
  const resultLine = lines.find((line) => line.startsWith('RESULT '));
  expect(resultLine, stdout).toBeDefined();
  const logs = lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
  return { result: JSON.parse(resultLine!.slice('RESULT '.length)), logs };
}

describe('the packaged handlers', () => {
  it('the Sender zip reads the template from S3, sends through SES and records `sent` in DynamoDB; the Feedback zip records the delivery', async () => {
    await clearReceivedEmails(f.stack.endpoints.sesv2);
    const emailId = `packaged-${Date.now()}`;
    const sent = await invoke('sender', batch(requestMessage({ to: 'ada@customer.example', templateName: 'receipt', emailId, templateData: { name: 'Ada', orderId: emailId, total: '€12.00' } })));
    expect(sent.result.batchItemFailures).toEqual([]);
    expect(sent.logs.filter((line) => line.level === 'ERROR')).toEqual([]);

    const [mail, ...more] = await listReceivedEmails(f.stack.endpoints.sesv2);
    expect(more).toEqual([]);
    expect(mail.subject).toBe(`Your order ${emailId}`);
    expect(mail.to).toContain('ada@customer.example');
    expect(mail.html).toContain(`Order ${emailId} total €12.00`);

    const tracking = senderFor(f).tracking;
    const record = (await tracking.get(emailId))!;
    expect(record).toMatchObject({ status: 'sent', recipient: 'ada@customer.example', templateName: 'receipt', attempts: 1 });
    expect(record.sesMessageId).toBeTruthy();

    const time = new Date().toISOString();
    const detail = {
      eventType: 'Delivery',
      mail: { timestamp: time, messageId: record.sesMessageId, source: 'orders@shop.example', destination: ['ada@customer.example'], tags: { 'ses:configuration-set': [STACK], template: ['receipt'], emailId: [emailId] } },
      delivery: { recipients: ['ada@customer.example'], timestamp: time, smtpResponse: '250 ok' },
    };
    const delivered = await invoke('feedback', { Records: [{ messageId: `fb-${emailId}`, body: JSON.stringify({ version: '0', id: `ses-${emailId}`, 'detail-type': 'Email Delivered', source: 'aws.ses', time, region: 'us-east-1', resources: [], detail }) }] });
    expect(delivered.result.batchItemFailures).toEqual([]);
    expect((await tracking.get(emailId))?.status).toBe('delivered');
  }, 60_000);

  it('the Sender zip records a request for a template the bucket lacks as `failed`, after a real S3 NoSuchKey', async () => {
    const emailId = `packaged-missing-${Date.now()}`;
    const out = await invoke('sender', batch(requestMessage({ to: 'bo@customer.example', templateName: 'no-such-template', emailId, templateData: {} })));
    expect(out.result.batchItemFailures).toEqual([]);
    expect(await senderFor(f).tracking.get(emailId)).toMatchObject({ status: 'failed', errorType: 'template_not_found' });
  }, 60_000);
});
