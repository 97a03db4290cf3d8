import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { AttachmentSource } from '../../../src/engine/attachments.js';
import { createSender } from '../../../src/engine/sender.js';
import { listReceivedEmails } from '../../../src/local/index.js';
import { documentClient } from '../../../src/engine/deps.js';
import { eraseAddress } from '../../../src/operations/erase.js';
import { RecordingIoHost } from '../../helpers/recording-io-host.js';
import { STACK, awsError, batch, plentyOfTime, requestMessage, senderFor, useEngineFixture } from '../../helpers/engine-fixture.js';
import { tinyPdf } from '../../helpers/pdf.js';

/**
 * Attachments through the real Sender on the emulators: s3rver holds the files, the SES emulator
 * stores what SendEmail carried. Every limit is checked before SES is called.
 */
const f = useEngineFixture('attachments', { clearInboxEachTest: true });

const inbox = () => listReceivedEmails(f.stack.endpoints.sesv2);
const tracking = () => senderFor(f).tracking;
const order = (emailId: string, attachments: unknown[], to = 'ada@customer.example') => ({ to, templateName: 'receipt', emailId, templateData: { name: 'Ada', orderId: emailId, total: '€12.00' }, attachments });

async function upload(key: string, body: Uint8Array | string): Promise<void> {
  const s3 = await f.aws.s3();
  await s3.send(new PutObjectCommand({ Bucket: f.settings.templatesBucket, Key: key, Body: body }));
}

async function exists(key: string): Promise<boolean> {
  const s3 = await f.aws.s3();
  try {
    await s3.send(new HeadObjectCommand({ Bucket: f.settings.templatesBucket, Key: key }));
    return true;
  } catch {
    return false;
  }
}

async function sendOne(detail: unknown, deps = senderFor(f)) {
  return createSender(deps)(batch(requestMessage(detail)), plentyOfTime);
}

describe('attachments', () => {
  it('sends the file with the email (bytes, name, type) and deletes it afterwards', async () => {
    const pdf = tinyPdf('Invoice INV-1');
    await upload('attachments/a-1/invoice.pdf', pdf);
    const out = await sendOne(order('att-1', [{ key: 'attachments/a-1/invoice.pdf', filename: 'invoice.pdf', contentType: 'application/pdf' }]));
    expect(out.batchItemFailures).toEqual([]);

    const [mail] = await inbox();
    expect(mail.attachments).toHaveLength(1);
    expect(mail.attachments[0]).toMatchObject({ filename: 'invoice.pdf', contentType: 'application/pdf', size: pdf.length, disposition: 'ATTACHMENT' });
    expect(mail.attachments[0].content?.equals(Buffer.from(pdf))).toBe(true);
    expect((await tracking().get('att-1'))).toMatchObject({ status: 'sent', attachmentKeys: ['attachments/a-1/invoice.pdf'] });
    expect(await exists('attachments/a-1/invoice.pdf')).toBe(false);
  });

  it('an inline image carries its content id, and `keep` leaves the object in place', async () => {
    await upload('attachments/shared/logo.png', 'PNG-BYTES');
    await upload('attachments/a-2/invoice.pdf', tinyPdf('x'));
    const out = await sendOne(
      order('att-2', [
        { key: 'attachments/shared/logo.png', filename: 'logo.png', contentType: 'image/png', disposition: 'inline', contentId: 'logo', keep: true },
        { key: 'attachments/a-2/invoice.pdf', filename: 'invoice.pdf' },
      ]),
    );
    expect(out.batchItemFailures).toEqual([]);
    const [mail] = await inbox();
    expect(mail.attachments.map((a) => [a.filename, a.disposition, a.contentId])).toEqual([
      ['logo.png', 'INLINE', 'logo'],
      ['invoice.pdf', 'ATTACHMENT', undefined],
    ]);
    expect(await exists('attachments/shared/logo.png')).toBe(true);
    expect(await exists('attachments/a-2/invoice.pdf')).toBe(false);
    // Only what the engine is to delete is on the record (erase goes by it).
    expect((await tracking().get('att-2'))?.attachmentKeys).toEqual(['attachments/a-2/invoice.pdf']);
  });

  it('a file type SES refuses fails the email as attachment_type_unsupported; SES is not called and the file stays', async () => {
    await upload('attachments/a-3/setup.exe', 'MZ');
    const out = await sendOne(order('att-3', [{ key: 'attachments/a-3/setup.exe', filename: 'Setup.EXE' }]));
    expect(out.batchItemFailures).toEqual([]);
    expect(await tracking().get('att-3')).toMatchObject({ status: 'failed', errorType: 'attachment_type_unsupported' });
    expect((await tracking().get('att-3'))?.errorMessage).toContain('.exe');
    expect(await inbox()).toEqual([]);
    expect(await exists('attachments/a-3/setup.exe')).toBe(true);
  });

  it('a missing object fails the email as attachment_not_found, naming the key', async () => {
    const out = await sendOne(order('att-4', [{ key: 'attachments/a-4/nothing.pdf', filename: 'nothing.pdf' }]));
    expect(out.batchItemFailures).toEqual([]);
    const record = await tracking().get('att-4');
    expect(record).toMatchObject({ status: 'failed', errorType: 'attachment_not_found' });
    expect(record?.errorMessage).toContain('attachments/a-4/nothing.pdf');
    expect(await inbox()).toEqual([]);
  });

  it('over 40 MB once base64-encoded fails as attachment_too_large before the file is read or SES is called', async () => {
    // 31 MB is 41.3 MB as base64: over SES's limit although the file itself is under it.
    await upload('attachments/a-5/big.pdf', new Uint8Array(31 * 1024 * 1024));
    const reads: string[] = [];
    const deps = senderFor(f);
    const s3 = await f.aws.s3();
    const counting = { send: (command: { constructor: { name: string } }, options?: unknown) => (reads.push(command.constructor.name), (s3.send as (c: unknown, o?: unknown) => Promise<unknown>)(command, options)) };
    const out = await sendOne(order('att-5', [{ key: 'attachments/a-5/big.pdf', filename: 'big.pdf' }]), { ...deps, attachments: new AttachmentSource(counting as unknown as S3Client, { bucket: f.settings.templatesBucket }) });
    expect(out.batchItemFailures).toEqual([]);
    const record = await tracking().get('att-5');
    expect(record).toMatchObject({ status: 'failed', errorType: 'attachment_too_large' });
    expect(record?.errorMessage).toMatch(/41\.\d MB .*40\.0 MB/);
    expect(reads).toEqual(['HeadObjectCommand']);
    expect(await inbox()).toEqual([]);
  });

  it('the limit counts the body too, and is exact at the boundary', async () => {
    await upload('attachments/a-6/f.bin.pdf', new Uint8Array(300));
    const deps = senderFor(f);
    const withLimit = (max: number) => ({ ...deps, attachments: new AttachmentSource(f.settings.clients.s3, { bucket: f.settings.templatesBucket, maxMessageBytes: max }) });
    // Measure this email's body: send once with a generous limit, then recompute.
    let seen = 0;
    const measuring = new AttachmentSource(f.settings.clients.s3, { bucket: f.settings.templatesBucket });
    const load = measuring.load.bind(measuring);
    measuring.load = async (list, bodyBytes) => ((seen = bodyBytes), load(list, bodyBytes));
    await sendOne(order('att-6a', [{ key: 'attachments/a-6/f.bin.pdf', filename: 'f.pdf', keep: true }]), { ...deps, attachments: measuring });
    expect(seen).toBeGreaterThan(100);
    const exact = seen + 400; // 300 bytes are 400 in base64
    await sendOne(order('att-6b', [{ key: 'attachments/a-6/f.bin.pdf', filename: 'f.pdf', keep: true }]), withLimit(exact));
    await sendOne(order('att-6c', [{ key: 'attachments/a-6/f.bin.pdf', filename: 'f.pdf', keep: true }]), withLimit(exact - 1));
    expect((await tracking().get('att-6b'))?.status).toBe('sent');
    expect(await tracking().get('att-6c')).toMatchObject({ status: 'failed', errorType: 'attachment_too_large' });
  });

  it('another bucket is refused (invalid_request): the Sender reads only the engine\'s attachments', async () => {
    const out = await sendOne(order('att-7', [{ bucket: 'someone-elses-bucket', key: 'attachments/x.pdf', filename: 'x.pdf' }]));
    expect(out.batchItemFailures).toEqual([]);
    expect(await tracking().get('att-7')).toMatchObject({ status: 'failed', errorType: 'invalid_request' });
    // Naming the engine's own bucket is fine.
    await upload('attachments/a-7/ok.pdf', tinyPdf('ok'));
    await sendOne(order('att-7b', [{ bucket: f.settings.templatesBucket, key: 'attachments/a-7/ok.pdf', filename: 'ok.pdf' }]));
    expect((await tracking().get('att-7b'))?.status).toBe('sent');
  });

  it('a key outside the attachments prefix is an invalid request, recorded without reading S3', async () => {
    await sendOne(order('att-8', [{ key: 'templates/receipt/metadata.json', filename: 'm.json' }]));
    const record = await tracking().get('att-8');
    expect(record).toMatchObject({ status: 'failed', errorType: 'invalid_request' });
    expect(record?.errorMessage).toContain('attachments.0.key');
  });

  it('a transient S3 error hands the request back (queued, with the error); the redelivery sends it', async () => {
    await upload('attachments/a-9/invoice.pdf', tinyPdf('retry'));
    let fail = true;
    const s3 = f.settings.clients.s3;
    const flaky = { send: async (command: unknown, options?: unknown) => {
      if (fail && (command as { constructor: { name: string } }).constructor.name === 'GetObjectCommand') throw awsError('InternalError', 500);
      return (s3.send as (c: unknown, o?: unknown) => Promise<unknown>)(command, options);
    } };
    const deps = { ...senderFor(f), attachments: new AttachmentSource(flaky as unknown as S3Client, { bucket: f.settings.templatesBucket }) };
    const message = requestMessage(order('att-9', [{ key: 'attachments/a-9/invoice.pdf', filename: 'invoice.pdf' }]));
    const first = await createSender(deps)(batch(message), plentyOfTime);
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: message.messageId }]);
    expect(await tracking().get('att-9')).toMatchObject({ status: 'queued' });
    expect((await tracking().get('att-9'))?.lastError).toContain('InternalError');
    expect(await inbox()).toEqual([]);
    fail = false;
    expect((await createSender(deps)(batch(message), plentyOfTime)).batchItemFailures).toEqual([]);
    expect((await tracking().get('att-9'))?.status).toBe('sent');
    expect((await inbox())[0].attachments[0].filename).toBe('invoice.pdf');
  });

  it('sends whose files would go over the memory budget wait for each other; all go out and nothing stays held', async () => {
    for (const i of [1, 2, 3]) await upload(`attachments/b-${i}/file.pdf`, new Uint8Array(600));
    const deps = senderFor(f);
    const attachments = new AttachmentSource(f.settings.clients.s3, { bucket: f.settings.templatesBucket, memoryBudgetBytes: 1000 });
    let inFlight = 0;
    let most = 0;
    const ses = { send: async (command: unknown, options?: unknown) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 50));
      try {
        return await (deps.ses.send as (c: unknown, o?: unknown) => Promise<unknown>)(command, options);
      } finally {
        inFlight -= 1;
      }
    } };
    const messages = [1, 2, 3].map((i) => requestMessage(order(`budget-${i}`, [{ key: `attachments/b-${i}/file.pdf`, filename: 'file.pdf' }])));
    const out = await createSender({ ...deps, attachments, ses: ses as typeof deps.ses })(batch(...messages), plentyOfTime);
    expect(out.batchItemFailures).toEqual([]);
    expect(most).toBe(1);
    expect(await inbox()).toHaveLength(3);
    expect(attachments.heldBytes).toBe(0);
    // A failure after the files were reserved gives them back too.
    await sendOne(order('budget-4', [{ key: 'attachments/b-1/gone.pdf', filename: 'gone.pdf' }]), { ...deps, attachments });
    expect(attachments.heldBytes).toBe(0);
  });

  it('a send that cannot get room before the invocation runs out goes back to the queue, visibly', async () => {
    for (const i of [5, 6]) await upload(`attachments/b-${i}/file.pdf`, new Uint8Array(600));
    const deps = senderFor(f);
    const attachments = new AttachmentSource(f.settings.clients.s3, { bucket: f.settings.templatesBucket, memoryBudgetBytes: 1000 });
    const slowSes = { send: async (command: unknown, options?: unknown) => {
      await new Promise((r) => setTimeout(r, 800));
      return (deps.ses.send as (c: unknown, o?: unknown) => Promise<unknown>)(command, options);
    } };
    const messages = [5, 6].map((i) => requestMessage(order(`budget-${i}`, [{ key: `attachments/b-${i}/file.pdf`, filename: 'file.pdf' }])));
    // 6.3 s left: the Sender keeps 6 s back, so a send may wait 300 ms for room.
    const out = await createSender({ ...deps, attachments, ses: slowSes as typeof deps.ses })(batch(...messages), { getRemainingTimeInMillis: () => 6_300 });
    const records = await Promise.all(['budget-5', 'budget-6'].map((id) => tracking().get(id)));
    expect(records.map((r) => r?.status).sort()).toEqual(['queued', 'sent']);
    const waited = records.find((r) => r?.status === 'queued');
    expect(waited?.lastError).toContain('AttachmentMemoryBusy');
    expect(out.batchItemFailures).toHaveLength(1);
    expect(attachments.heldBytes).toBe(0);
  });

  it('erase deletes the attachments still there for the address (found through its records) but not those the app kept, and says so', async () => {
    const to = 'leftovers@customer.example';
    await upload('attachments/a-10/failed.exe', 'MZ');
    await upload('attachments/a-11/missing-peer.pdf', tinyPdf('left'));
    await upload('attachments/shared/kept-logo.png', 'PNG');
    await upload('attachments/other/unrelated.pdf', tinyPdf('other'));
    await sendOne(order('att-10', [{ key: 'attachments/a-10/failed.exe', filename: 'failed.exe' }], to));
    // Fails on its second file (missing): the first stays behind.
    await sendOne(order('att-11', [{ key: 'attachments/a-11/missing-peer.pdf', filename: 'a.pdf' }, { key: 'attachments/a-11/nope.pdf', filename: 'b.pdf' }, { key: 'attachments/shared/kept-logo.png', filename: 'logo.png', keep: true }], to));
    expect(await tracking().get('att-11')).toMatchObject({ status: 'failed', errorType: 'attachment_not_found' });

    const io = new RecordingIoHost({ 'erase.confirm': true });
    const erase = (dryRun: boolean) =>
      eraseAddress(
        {
          tracking: tracking(),
          db: documentClient(f.settings.clients.dynamodb),
          trackingTable: f.settings.trackingTable,
          suppressionTable: f.settings.suppressionTable,
          hashKey: async () => Buffer.from('attachments-erase-key'),
          account: { skipped: 'local', note: 'none' },
          attachments: { s3: f.settings.clients.s3, bucket: f.settings.templatesBucket },
          engine: { stackName: STACK, facts: () => ({ target: 'local', backups: { pointInTimeRecovery: false, windowDays: 0, note: 'none' }, notes: [] }) },
          io,
        },
        { address: to, dryRun, forgetSuppression: false },
      );
    const dry = await erase(true);
    expect(dry.found.attachments).toBe(2);
    expect(await exists('attachments/a-10/failed.exe')).toBe(true);

    const receipt = await erase(false);
    expect(receipt.found).toMatchObject({ emails: 2, attachments: 2 });
    expect(receipt.deleted.attachments).toBe(2);
    expect(receipt.notes.join(' ')).toContain('old object versions');
    expect(await exists('attachments/a-10/failed.exe')).toBe(false);
    expect(await exists('attachments/a-11/missing-peer.pdf')).toBe(false);
    expect(await exists('attachments/shared/kept-logo.png')).toBe(true);
    expect(await exists('attachments/other/unrelated.pdf')).toBe(true);
    expect((await erase(false)).nothingFound).toBe(true);
  });
});
