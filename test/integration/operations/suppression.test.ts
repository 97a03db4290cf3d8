import { DeleteSuppressedDestinationCommand, GetSuppressedDestinationCommand, ListSuppressedDestinationsCommand, PutSuppressedDestinationCommand, SESv2Client, TooManyRequestsException } from '@aws-sdk/client-sesv2';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsClientFactory } from '../../../src/aws/clients.js';
import { documentClient } from '../../../src/engine/deps.js';
import { MailengineError } from '../../../src/errors.js';
import { addSuppression, checkSuppression, listSuppressions, removeSuppression, type SuppressionLists } from '../../../src/operations/suppression.js';
import { parseSuppressionFile } from '../../../src/operations/suppression-files.js';
import { AccountSuppressionList, sesAccountList } from '../../../src/operations/suppression-sync.js';
import { hashedAddress, SuppressionStore } from '../../../src/suppression/suppression-store.js';
import { STACK, useEngineFixture } from '../../helpers/engine-fixture.js';
import { cfn, mockDeployedStack, secrets } from '../../helpers/deployed-stack.js';
import { fakeAccountList } from '../../helpers/fake-account-list.js';
import { awsWithLocalDynamoDb, runInProcess } from '../../helpers/in-process.js';

/**
 * Suppression across the engine's table (DynamoDB Local, through the same SuppressionStore the
 * Sender and Feedback use) and the SES account-level list (aws-sdk-client-mock, fake-account-list.ts).
 */
const f = useEngineFixture('suppression', { receipt: false, timeoutMs: 90_000 });
const KEY = Buffer.from('suppression-test-key');
const account = fakeAccountList();
const cwd = mkdtempSync(join(tmpdir(), 'mailengine-suppression-'));

let store: SuppressionStore;
let table = '';
let tables = 0;
/** A fresh suppression table name per test: DynamoDB Local creates it from the template's definition. */
async function freshTable(): Promise<void> {
  const { CreateTableCommand, DescribeTableCommand } = await import('@aws-sdk/client-dynamodb');
  const db = f.settings.clients.dynamodb;
  const source = await db.send(new DescribeTableCommand({ TableName: f.settings.suppressionTable }));
  tables += 1;
  table = `${f.settings.suppressionTable}-${tables}`;
  const t = source.Table!;
  await db.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: t.AttributeDefinitions,
      KeySchema: t.KeySchema,
      GlobalSecondaryIndexes: t.GlobalSecondaryIndexes?.map((g) => ({ IndexName: g.IndexName, KeySchema: g.KeySchema, Projection: g.Projection })),
    }),
  );
  store = new SuppressionStore(documentClient(db), { tableName: table, hashKey: KEY });
}

beforeEach(async () => {
  account.reset();
  cfn.reset();
  secrets.reset();
  await freshTable();
});

const trailingBlanks = (text: string) => text.split('\n').filter((line) => /\s$/.test(line));
const lists = (): SuppressionLists => ({ store, account: { list: new AccountSuppressionList(new SESv2Client({ region: 'eu-west-1' })) } });
const localOnly = (): SuppressionLists => ({ store, account: { skipped: 'local', note: 'local' } });
const aws = (...argv: string[]) => {
  mockDeployedStack('shop-prod', 'eu-west-1', { trackingTable: f.settings.trackingTable, suppressionTable: table }, KEY.toString('utf8'));
  return runInProcess([...argv, '--stack', 'shop-prod', '--region', 'eu-west-1'], { cwd, awsFactory: awsWithLocalDynamoDb(f.stack.endpoints) });
};

describe('suppression core: both lists together', () => {
  it('check: the reason and date from each list; an address on neither is not suppressed', async () => {
    await store.suppress('ann@customer.example', 'bounce', 'ses', { diagnosticCode: '550' });
    account.entries.set('ann@customer.example', { Reason: 'BOUNCE', LastUpdateTime: new Date('2026-05-01T12:00:00Z') });
    const both = await checkSuppression(lists(), 'Ann@Customer.example');
    expect(both).toMatchObject({ address: 'ann@customer.example', suppressed: true, engine: { reason: 'bounce', source: 'ses', hashed: false }, account: { reason: 'BOUNCE', lastUpdate: '2026-05-01T12:00:00.000Z' } });
    expect(await checkSuppression(lists(), 'bob@customer.example')).toEqual({ address: 'bob@customer.example', suppressed: false, engine: null, account: null });
  });

  it('check finds an erased address through its keyed hash', async () => {
    await store.suppressHashed('gone@customer.example', 'complaint', '2026-02-01T00:00:00.000Z');
    const result = await checkSuppression(localOnly(), 'gone@customer.example');
    expect(result).toMatchObject({ suppressed: true, engine: { reason: 'complaint', hashed: true }, accountListNote: 'local' });
  });

  it('add: the engine gets the reason, SES gets BOUNCE or COMPLAINT (it knows no other reasons)', async () => {
    expect(await addSuppression(lists(), 'm@customer.example', { reason: 'manual', dryRun: false })).toMatchObject({ engine: 'added', account: 'added' });
    expect(await addSuppression(lists(), 'c@customer.example', { reason: 'complaint', dryRun: false })).toMatchObject({ engine: 'added', account: 'added' });
    expect(account.calls(PutSuppressedDestinationCommand).map((c) => c.args[0].input)).toEqual([
      { EmailAddress: 'm@customer.example', Reason: 'BOUNCE' },
      { EmailAddress: 'c@customer.example', Reason: 'COMPLAINT' },
    ]);
    expect((await store.get('m@customer.example'))?.reason).toBe('manual');
  });

  it('add never weakens: a complaint stays a complaint; SES BOUNCE is upgraded to COMPLAINT', async () => {
    await store.suppress('x@customer.example', 'complaint', 'ses');
    expect(await addSuppression(lists(), 'x@customer.example', { reason: 'manual', dryRun: false })).toMatchObject({ engine: 'already', existingReason: 'complaint' });
    expect((await store.get('x@customer.example'))?.reason).toBe('complaint');
    account.entries.set('y@customer.example', { Reason: 'BOUNCE', LastUpdateTime: new Date() });
    expect(await addSuppression(lists(), 'y@customer.example', { reason: 'complaint', dryRun: false })).toMatchObject({ account: 'added' });
    expect(account.entries.get('y@customer.example')?.Reason).toBe('COMPLAINT');
  });

  it('add --dry-run writes nothing anywhere', async () => {
    expect(await addSuppression(lists(), 'dry@customer.example', { reason: 'manual', dryRun: true })).toMatchObject({ engine: 'would-add', account: 'would-add' });
    expect(await store.get('dry@customer.example')).toBeUndefined();
    expect(account.calls(PutSuppressedDestinationCommand)).toHaveLength(0);
  });

  it('remove: off both lists (and the erasure hash too)', async () => {
    await store.suppress('r@customer.example', 'bounce', 'ses');
    await store.suppressHashed('r@customer.example', 'bounce', '2026-01-01T00:00:00.000Z');
    account.entries.set('r@customer.example', { Reason: 'BOUNCE', LastUpdateTime: new Date() });
    expect(await removeSuppression(lists(), 'r@customer.example', { force: false, dryRun: false })).toEqual({ address: 'r@customer.example', engine: 'removed', hash: 'removed', account: 'removed', reasons: ['bounce'] });
    expect(await checkSuppression(lists(), 'r@customer.example')).toMatchObject({ suppressed: false });
    expect(account.calls(DeleteSuppressedDestinationCommand)[0].args[0].input).toEqual({ EmailAddress: 'r@customer.example' });
  });

  it('remove of a complaint without --force: exit 2, says the recipient marked the email as spam, changes nothing', async () => {
    await store.suppress('spam@customer.example', 'complaint', 'ses');
    const err = await removeSuppression(lists(), 'spam@customer.example', { force: false, dryRun: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MailengineError);
    expect(err).toMatchObject({ code: 'COMPLAINT_NEEDS_FORCE', exitCode: 2 });
    expect((err as MailengineError).message).toContain('the recipient marked your email as spam');
    expect((err as MailengineError).suggestion).toContain('--force');
    expect((await store.get('spam@customer.example'))?.reason).toBe('complaint');
    expect(await removeSuppression(lists(), 'spam@customer.example', { force: true, dryRun: false })).toMatchObject({ engine: 'removed' });
  });

  it('a complaint known only to SES also needs --force', async () => {
    account.entries.set('sesonly@customer.example', { Reason: 'COMPLAINT', LastUpdateTime: new Date() });
    await expect(removeSuppression(lists(), 'sesonly@customer.example', { force: false, dryRun: false })).rejects.toMatchObject({ code: 'COMPLAINT_NEEDS_FORCE' });
  });

  it('list: both lists merged by address, newest first, with --reason and a limit', async () => {
    await store.suppress('old@customer.example', 'bounce', 'ses');
    await new Promise((r) => setTimeout(r, 5));
    await store.suppress('new@customer.example', 'complaint', 'ses');
    await store.suppressHashed('erased@customer.example', 'bounce', '2020-01-01T00:00:00.000Z');
    account.entries.set('new@customer.example', { Reason: 'COMPLAINT', LastUpdateTime: new Date('2026-05-01T00:00:00Z') });
    account.entries.set('sesonly@customer.example', { Reason: 'BOUNCE', LastUpdateTime: new Date('2019-01-01T00:00:00Z') });
    const all = await listSuppressions(lists(), { limit: 100 });
    expect(all.entries.map((e) => [e.address.startsWith('hmac:') ? 'hmac' : e.address, e.engine?.reason ?? null, e.account?.reason ?? null])).toEqual([
      ['new@customer.example', 'complaint', 'COMPLAINT'],
      ['old@customer.example', 'bounce', null],
      ['hmac', 'bounce', null],
      ['sesonly@customer.example', null, 'BOUNCE'],
    ]);
    expect(all.entries[2].hashed).toBe(true);
    expect(all.truncated).toBe(false);
    const complaints = await listSuppressions(lists(), { reason: 'complaint', limit: 100 });
    expect(complaints.entries.map((e) => e.address)).toEqual(['new@customer.example']);
    expect(account.ses.commandCalls(ListSuppressedDestinationsCommand).at(-1)?.args[0].input.Reasons).toEqual(['COMPLAINT']);
    expect(await listSuppressions(lists(), { limit: 2 })).toMatchObject({ truncated: true });
  });

  it('in the SES sandbox the account list is left alone, with the reason', async () => {
    account.reset(false);
    const access = await sesAccountList(new AwsClientFactory({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }));
    expect(access.list).toBeUndefined();
    expect(access).toMatchObject({ skipped: 'sandbox' });
    expect((access as { note: string }).note).toContain('sandbox in eu-west-1');
  });
});

describe('suppression files', () => {
  it('CSV: header in any spelling, quoted fields, SES-style reasons, a default reason, and a report line per bad row', () => {
    const text = '\uFEFF"Email Address",Reason,Note\nann@customer.example,BOUNCE,x\n"Bob@Customer.example","complaint","said ""stop"", twice"\nnot-an-address,bounce,\ncat@customer.example,,\ndan@customer.example,angry,\n';
    expect(parseSuppressionFile(text, 'csv', 'import')).toEqual([
      { line: 2, address: 'ann@customer.example', reason: 'bounce' },
      { line: 3, address: 'bob@customer.example', reason: 'complaint' },
      { line: 4, address: 'not-an-address', error: 'not an email address' },
      { line: 5, address: 'cat@customer.example', reason: 'import' },
      { line: 6, address: 'dan@customer.example', error: 'unknown reason "angry" (use bounce, complaint, manual, import or soft_bounce)' },
    ]);
  });

  it('CSV without a header: address, then reason; an erased address hash is accepted as it is', () => {
    const hash = hashedAddress('x@customer.example', KEY);
    expect(parseSuppressionFile(`ann@customer.example\n${hash},complaint\n`, 'csv', 'manual')).toEqual([
      { line: 1, address: 'ann@customer.example', reason: 'manual' },
      { line: 2, address: hash, reason: 'complaint' },
    ]);
  });

  it('NDJSON: objects (address or EmailAddress, reason) or bare strings; bad JSON is a bad row', () => {
    const text = '{"address":"a@customer.example","reason":"bounce"}\n\n{"EmailAddress":"b@customer.example","Reason":"COMPLAINT"}\n"c@customer.example"\n{oops\n[1]\n';
    expect(parseSuppressionFile(text, 'ndjson', 'import')).toEqual([
      { line: 1, address: 'a@customer.example', reason: 'bounce' },
      { line: 3, address: 'b@customer.example', reason: 'complaint' },
      { line: 4, address: 'c@customer.example', reason: 'import' },
      { line: 5, error: 'not valid JSON' },
      { line: 6, error: 'not a JSON object' },
    ]);
  });
});

describe('mailengine suppression (in process)', () => {
  it('add, check and remove on AWS keep both lists together', async () => {
    const add = await aws('suppression', 'add', 'ann@customer.example', 'bob@customer.example', '--reason', 'complaint');
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(add.stdout).toMatch(/ann@customer\.example +│ complaint +│ added +│ added/);
    expect([...account.entries.keys()]).toEqual(['ann@customer.example', 'bob@customer.example']);

    const check = await aws('suppression', 'check', 'ann@customer.example', '--json');
    expect(check.json()).toMatchObject({ suppressed: true, engine: { reason: 'complaint' }, account: { reason: 'COMPLAINT' } });
    const shown = await aws('suppression', 'check', 'ann@customer.example');
    expect(shown.stdout).toMatch(/^SES account list {2}COMPLAINT since \S+$/m);
    expect(trailingBlanks(shown.stdout)).toEqual([]);

    const refused = await aws('suppression', 'remove', 'ann@customer.example');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('marked your email as spam');
    const removed = await aws('suppression', 'remove', 'ann@customer.example', '--force', '--json');
    expect(removed.code).toBe(0);
    expect(removed.json()).toMatchObject({ engine: 'removed', account: 'removed' });
    expect(account.entries.has('ann@customer.example')).toBe(false);
    const shownRemove = await aws('suppression', 'remove', 'bob@customer.example', '--force');
    expect(shownRemove.stdout).toContain('bob@customer.example can be mailed again.');
    expect(trailingBlanks(shownRemove.stdout)).toEqual([]);
  });

  it('in the SES sandbox: the engine table is still changed, and the output says the account list could not be', async () => {
    account.reset(false);
    const out = await aws('suppression', 'add', 'ann@customer.example', '--json');
    expect(out.code).toBe(0);
    expect(out.json()).toMatchObject({ rows: [{ engine: 'added', account: 'skipped' }], accountListNote: expect.stringContaining('sandbox') });
    expect(account.calls(PutSuppressedDestinationCommand)).toHaveLength(0);
    expect(account.calls(GetSuppressedDestinationCommand)).toHaveLength(0);
    expect((await store.get('ann@customer.example'))?.reason).toBe('manual');
  });

  it('import: a per-row report; invalid rows are exit 2 while the valid ones are imported; --dry-run changes nothing', async () => {
    const file = join(cwd, 'list.csv');
    writeFileSync(file, 'address,reason\nann@customer.example,bounce\nnot-an-address,bounce\nann@customer.example,bounce\nbob@customer.example,\n');
    const dry = await aws('suppression', 'import', file, '--dry-run', '--json');
    expect(dry.code).toBe(2);
    expect(dry.json<{ counts: Record<string, number> }>().counts).toMatchObject({ 'would-add': 2, invalid: 1, duplicate: 1 });
    expect(await store.get('ann@customer.example')).toBeUndefined();

    const real = await aws('suppression', 'import', file);
    expect(real.code).toBe(2);
    expect(real.stdout).toMatch(/│ 3 +│ not-an-address +│ - +│ invalid +│ not an email address/);
    expect(real.stdout).toMatch(/│ 4 +│ ann@customer\.example +│ bounce +│ duplicate +│ already earlier in the file/);
    expect(real.stdout).toContain('4 rows: 2 added, 1 invalid, 1 duplicate.');
    expect(real.stderr).toContain('1 of 4 rows in');
    expect((await store.get('bob@customer.example'))?.reason).toBe('import');
    expect(account.entries.get('bob@customer.example')?.Reason).toBe('BOUNCE');

    const again = await aws('suppression', 'import', join(cwd, 'list.csv'), '--json');
    expect(again.json<{ counts: Record<string, number> }>().counts).toMatchObject({ already: 2 });
  });

  it('import: a row SES refuses is reported as failed and the run exits 1; the others are imported', async () => {
    account.ses.on(PutSuppressedDestinationCommand, { EmailAddress: 'busy@customer.example' }).rejects(new TooManyRequestsException({ message: 'Too many requests.', $metadata: { httpStatusCode: 429 } }));
    const file = join(cwd, 'list.ndjson');
    writeFileSync(file, '{"address":"ok@customer.example"}\n{"address":"busy@customer.example"}\n');
    const out = await aws('suppression', 'import', file, '--json');
    expect(out.code).toBe(1);
    const report = out.json<{ rows: Array<{ address: string; outcome: string; engine: string }> }>();
    expect(report.rows.map((r) => [r.address, r.outcome, r.engine])).toEqual([
      ['ok@customer.example', 'added', 'added'],
      ['busy@customer.example', 'failed', 'added'],
    ]);
  });

  it('export: both lists as CSV or NDJSON, which import reads back', async () => {
    await store.suppress('ann@customer.example', 'bounce', 'ses');
    await store.suppressHashed('gone@customer.example', 'complaint', '2026-01-01T00:00:00.000Z');
    account.entries.set('ann@customer.example', { Reason: 'BOUNCE', LastUpdateTime: new Date() });
    account.entries.set('ses@customer.example', { Reason: 'COMPLAINT', LastUpdateTime: new Date('2020-01-01T00:00:00Z') });
    const csv = await aws('suppression', 'export');
    expect(csv.code).toBe(0);
    const lines = csv.stdout.trim().split('\n');
    expect(lines[0]).toBe('address,reason,suppressedAt,lists');
    expect(lines.slice(1).map((l) => l.split(',')).map(([a, r, , l]) => [a.startsWith('hmac:') ? 'hmac' : a, r, l])).toEqual([
      ['ann@customer.example', 'bounce', 'engine+ses'],
      ['hmac', 'complaint', 'engine'],
      ['ses@customer.example', 'complaint', 'ses'],
    ]);
    expect(parseSuppressionFile(csv.stdout, 'csv', 'import').every((r) => !r.error)).toBe(true);

    const out = await aws('suppression', 'export', '--format', 'ndjson', '--out', 'all.ndjson');
    expect(out.stdout).toBe('Wrote 3 suppressed addresses to all.ndjson (ndjson).\n');
    const rows = readFileSync(join(cwd, 'all.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows[0]).toMatchObject({ address: 'ann@customer.example', reason: 'bounce', lists: 'engine+ses' });
  });

  it('export --out never replaces an existing file without --force (exit 2, before reading anything)', async () => {
    const file = join(cwd, 'kept.csv');
    writeFileSync(file, 'my own notes\n');
    await store.suppress('ann@customer.example', 'bounce', 'ses');
    const refused = await aws('suppression', 'export', '--out', 'kept.csv', '--json');
    expect(refused.code).toBe(2);
    expect(JSON.parse(refused.stderr).error).toMatchObject({ code: 'FILE_EXISTS', message: 'kept.csv already exists; it is not overwritten without --force.' });
    expect(readFileSync(file, 'utf8')).toBe('my own notes\n');
    expect(cfn.calls()).toHaveLength(0);
    const forced = await aws('suppression', 'export', '--out', 'kept.csv', '--force');
    expect(forced.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('ann@customer.example,bounce');
  });

  it('--local: only the engine table, and it says so', async () => {
    const out = await runInProcess(['suppression', 'add', 'local@customer.example', '--local', '--stack', STACK], { cwd: f.stack.dir });
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('The local stack has no SES account-level suppression list');
    const check = await runInProcess(['suppression', 'check', 'local@customer.example', '--local', '--stack', STACK, '--json'], { cwd: f.stack.dir });
    expect(check.json()).toMatchObject({ suppressed: true, engine: { reason: 'manual', source: 'cli' } });
    expect(account.ses.calls()).toHaveLength(0);
  });

  it.each([
    [['suppression', 'check', 'nope']],
    [['suppression', 'add', 'ok@customer.example', 'nope']],
    [['suppression', 'remove', 'nope@']],
  ])('a malformed address (%j): exit 2 before any AWS call', async (argv) => {
    const out = await aws(...argv, '--json');
    expect(out.code).toBe(2);
    expect(JSON.parse(out.stderr).error.code).toBe('INVALID_ADDRESS');
    expect(cfn.calls()).toHaveLength(0);
    expect(account.ses.calls()).toHaveLength(0);
  });
});
