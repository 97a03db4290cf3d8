import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listReceivedEmails } from '../../../src/local/index.js';
import type { SendTestResult } from '../../../src/operations/send-test.js';
import { putStarterTemplate, startTestStack, stopTestStack, type TestStack } from '../../helpers/local-stack.js';
import { runInProcess } from '../../helpers/in-process.js';
import { tinyPdf } from '../../helpers/pdf.js';

/**
 * `send --test --attach` on the local stack, end to end: the CLI uploads the file to the
 * attachments prefix and publishes the request; the runner's real Sender reads it from s3rver and
 * sends it to the SES emulator, then deletes it. The invoice starter goes out with its PDF.
 */
const STACK = 'attachsend';
let local: TestStack | undefined;

beforeAll(async () => {
  local = await startTestStack('send-attach', STACK, { sesEventDelayMs: 50 });
  await putStarterTemplate(local, 'invoice');
}, 120_000);

afterAll(async () => {
  await stopTestStack(local);
}, 60_000);

const run = (...argv: string[]) => runInProcess([...argv, '--local', '--stack', STACK], { cwd: local!.handle.dir });
const attachmentsLeft = async () => ((await (await local!.aws.s3()).send(new ListObjectsV2Command({ Bucket: local!.bucket, Prefix: 'attachments/' }))).Contents ?? []).map((o) => o.Key);

describe('send --test --attach on the local stack', () => {
  it('the invoice starter goes out with its PDF: the emulator holds the very bytes, and the upload is gone afterwards', async () => {
    const pdf = tinyPdf('Invoice INV-2026-0311');
    writeFileSync(join(local!.handle.dir, 'INV-2026-0311.pdf'), pdf);
    const out = await run('send', '--test', '--template', 'invoice', '--to', 'maya@customer.example', '--attach', 'INV-2026-0311.pdf', '--email-id', 'invoice-0311');
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('template invoice with its sampleData · a real address · attached INV-2026-0311.pdf · expected delivered');
    expect(out.stdout).toMatch(/✔ delivered, as expected/);
    expect(out.stderr).toContain(`Uploaded INV-2026-0311.pdf (${pdf.length} bytes) to s3://${local!.bucket}/attachments/invoice-0311/1-INV-2026-0311.pdf`);

    const [mail] = await listReceivedEmails(local!.handle.endpoints.sesv2, { recipient: 'maya@customer.example' });
    expect(mail.subject).toBe('Invoice INV-2026-0311 from Acme');
    expect(mail.attachments).toHaveLength(1);
    expect(mail.attachments[0]).toMatchObject({ filename: 'INV-2026-0311.pdf', contentType: 'application/pdf', disposition: 'ATTACHMENT' });
    expect(mail.attachments[0].content?.equals(Buffer.from(pdf))).toBe(true);
    expect(mail.attachments[0].content?.subarray(0, 8).toString('latin1')).toBe('%PDF-1.4');
    expect(await attachmentsLeft()).toEqual([]);
  }, 60_000);

  it('cid=file sends an inline image; --json lists the attachments', async () => {
    writeFileSync(join(local!.handle.dir, 'logo.png'), Buffer.from('89504e470d0a1a0a', 'hex'));
    const out = await run('send', '--test', '--template', 'invoice', '--simulate', 'success', '--attach', 'logo=logo.png', '--json');
    expect(out.code).toBe(0);
    const result = out.json<SendTestResult>();
    expect(result).toMatchObject({ outcome: 'delivered', attachments: ['logo.png'] });
    const mail = (await listReceivedEmails(local!.handle.endpoints.sesv2)).find((m) => m.to.includes(result.to));
    expect(mail?.attachments).toEqual([expect.objectContaining({ filename: 'logo.png', contentType: 'image/png', disposition: 'INLINE', contentId: 'logo' })]);
  }, 60_000);

  it.each([
    [['--attach', 'setup.exe'], 'ATTACH_TYPE_UNSUPPORTED', 'SES does not send .exe files'],
    [['--attach', 'missing.pdf'], 'ATTACH_FILE_UNREADABLE', '--attach missing.pdf cannot be read: ENOENT'],
  ])('%j is a usage error (exit 2) and uploads nothing', async (argv, code, message) => {
    writeFileSync(join(local!.handle.dir, 'setup.exe'), 'MZ');
    const out = await run('send', '--test', '--template', 'invoice', '--simulate', 'success', ...argv, '--json');
    expect(out.code).toBe(2);
    expect(out.stderr).toContain(code);
    expect(out.stderr).toContain(message);
    expect(await attachmentsLeft()).toEqual([]);
  }, 30_000);
});
