import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsClientFactory } from '../../src/aws/clients.js';
import { buildFeedbackDeps, buildSenderDeps, type EngineSettings } from '../../src/engine/deps.js';
import { createFeedback } from '../../src/engine/feedback.js';
import { createSender } from '../../src/engine/sender.js';
import { downLocalStack, findFreePorts, localStackResources, type LocalStackEndpoints } from '../../src/local/index.js';
import { runCli, STACK_FRAME } from '../helpers/cli.js';
import { RECEIPT, batch, plentyOfTime, putTemplate, requestMessage } from '../helpers/engine-fixture.js';
import { processesMentioning } from '../helpers/local.js';

/**
 * The built CLI, as a user runs it in CI (CI=true, no TTY), against a local stack it started
 * itself with `local up`: an email that bounced is found by `status lookup`, `suppression check`
 * shows the address suppressed, `erase` removes it, after which lookup finds nothing (exit 4) and
 * the suppression still holds through the keyed hash.
 */
const cwd = mkdtempSync(join(tmpdir(), 'mailengine-ops-e2e-'));
const cli = (...args: string[]) => runCli([...args, '--local'], { cwd });
const TO = 'ann@customer.example';
let endpoints: LocalStackEndpoints;

beforeAll(async () => {
  const [dynamodb, s3, sesv2, eventbridge] = await findFreePorts(4);
  const up = await runCli(['local', 'up', '--json', '--in-memory', '--dynamodb-port', String(dynamodb), '--s3-port', String(s3), '--ses-port', String(sesv2), '--eventbridge-port', String(eventbridge)], { cwd });
  if (up.code !== 0) throw new Error(`local up failed (${up.code}): ${up.stderr}`);
  endpoints = JSON.parse(up.stdout).endpoints;

  // An app's request goes through the real Sender; SES's Delivery and Bounce events through the real Feedback.
  const names = localStackResources(cwd, 'mailengine') ?? {};
  const aws = new AwsClientFactory({ region: 'us-east-1', local: endpoints, maxAttempts: 1 });
  const settings: EngineSettings = {
    clients: { dynamodb: await aws.dynamodb(), s3: await aws.s3(), sesv2: await aws.sesv2() },
    trackingTable: names.TrackingTable,
    suppressionTable: names.SuppressionTable,
    templatesBucket: names.TemplatesBucket,
    configurationSet: 'mailengine',
    defaultFrom: { email: 'orders@shop.example' },
    softBounceThreshold: 3,
    retentionDays: 90,
  };
  await putTemplate({ aws, settings } as never, 'receipt', RECEIPT);
  await createSender(buildSenderDeps(settings))(batch(requestMessage({ to: TO, templateName: 'receipt', emailId: 'order-77', templateData: { name: 'Ann', orderId: '77', total: '5' } })), plentyOfTime);
  const messageId = (await buildSenderDeps(settings).tracking.get('order-77'))?.sesMessageId;
  const mail = { messageId, destination: [TO], tags: { 'ses:configuration-set': ['mailengine'], emailId: ['order-77'] } };
  const events = [
    { 'detail-type': 'Email Delivered', detail: { eventType: 'Delivery', mail, delivery: { recipients: [TO], smtpResponse: '250 ok' } } },
    { 'detail-type': 'Email Bounced', detail: { eventType: 'Bounce', mail, bounce: { bounceType: 'Permanent', bounceSubType: 'General', bouncedRecipients: [{ emailAddress: TO, diagnosticCode: 'smtp; 550 5.1.1 unknown user' }] } } },
  ];
  for (const [i, e] of events.entries()) {
    const body = JSON.stringify({ version: '0', id: `e2e-ses-${i}`, source: 'aws.ses', time: new Date(Date.now() + i).toISOString(), region: 'us-east-1', resources: [], ...e });
    await createFeedback(buildFeedbackDeps(settings))({ Records: [{ messageId: `m-${i}`, body }] });
  }
}, 180_000);

afterAll(async () => {
  const down = await runCli(['local', 'down'], { cwd });
  // Whatever happened to the CLI, leave no emulator running.
  if (down.code !== 0) await downLocalStack({ dir: cwd });
  expect(processesMentioning(cwd)).toEqual([]);
  expect(down.code).toBe(0);
}, 60_000);

describe('status lookup → suppression check → erase → lookup → check, with the built CLI', () => {
  it('status lookup --recipient --json: the bounced email and its timeline', async () => {
    const run = await cli('status', 'lookup', '--recipient', TO, '--json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.emails).toHaveLength(1);
    expect(result.emails[0]).toMatchObject({ emailId: 'order-77', status: 'bounced', recipient: TO });
    expect(result.emails[0].history.map((h: { event: string }) => h.event)).toEqual(['sent', 'delivery', 'hard_bounce']);
  });

  it('status lookup --email-id (table output) shows the timeline; an unknown id is exit 4', async () => {
    const run = await cli('status', 'lookup', '--email-id', 'order-77');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('order-77  bounced · ann@customer.example');
    expect(run.stdout).toMatch(/hard_bounce +│ bounced/);
    const missing = await cli('status', 'lookup', '--email-id', 'order-78');
    expect(missing.code).toBe(4);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toContain('No email with emailId "order-78" on the local stack (mailengine).');
    expect(missing.stderr).not.toMatch(STACK_FRAME);
  });

  it('suppression check: suppressed for the bounce', async () => {
    const run = await cli('suppression', 'check', TO, '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ address: TO, suppressed: true, engine: { reason: 'bounce', hashed: false } });
  });

  it('erase --yes --json: the receipt; then lookup finds nothing (exit 4) and the check still blocks through the hash', async () => {
    const run = await cli('erase', TO, '--yes', '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      address: TO,
      deleted: { emails: 1, trackingRecords: 1, historyEntries: 3, suppressionEntries: 1 },
      suppression: { suppressed: true, reason: 'bounce', kept: 'keyed-hash' },
    });
    const lookup = await cli('status', 'lookup', '--recipient', TO);
    expect(lookup.code).toBe(4);
    expect(lookup.stderr).toContain(`No emails to ${TO} on the local stack (mailengine).`);
    const check = await cli('suppression', 'check', TO, '--json');
    expect(check.code).toBe(0);
    expect(JSON.parse(check.stdout)).toMatchObject({ suppressed: true, engine: { reason: 'bounce', hashed: true } });
  });

  it('erase again: nothing found, exit 0', async () => {
    const run = await cli('erase', TO, '--yes');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('nothing to erase');
  });

  it('bad input is exit 2: a malformed address for each command', async () => {
    for (const args of [['status', 'lookup', '--recipient', 'ann.customer.example'], ['suppression', 'check', 'ann@'], ['erase', '@customer.example', '--yes']]) {
      const run = await cli(...args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toContain('is not an email address');
    }
  });
});
