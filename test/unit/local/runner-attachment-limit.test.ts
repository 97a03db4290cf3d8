import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { describe, expect, it } from 'vitest';
import { EMULATOR_MAX_REQUEST_BYTES, withSesSimulation, type SesSendHooks } from '../../../src/local/runner/ses-client.js';

const hooks: SesSendHooks = { isSendingPaused: () => false, onSent() {} };

function fakeSes() {
  const calls: unknown[] = [];
  return { calls, client: { send: async (command: unknown) => (calls.push(command), { MessageId: `m-${calls.length}`, $metadata: {} }) } };
}

const withFile = (bytes: number) =>
  new SendEmailCommand({
    FromEmailAddress: 'a@example.com',
    Destination: { ToAddresses: ['b@example.com'] },
    Content: { Simple: { Subject: { Data: 's' }, Body: { Text: { Data: 't' } }, Attachments: [{ FileName: 'f.pdf', RawContent: new Uint8Array(bytes) }] } },
  });

describe('the SES emulator request limit (local runner)', () => {
  it('passes a message with attachments under 25 MB through, and refuses a bigger one as SES refuses a message, without calling the emulator', async () => {
    const ses = fakeSes();
    const client = withSesSimulation(ses.client, hooks);
    await client.send(withFile(1024 * 1024));
    expect(ses.calls).toHaveLength(1);
    // Base64 makes 19 MB about 25.3 MB: over what the emulator parses.
    const refused = await client.send(withFile(19 * 1024 * 1024)).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).toMatchObject({ name: 'MessageRejected', $metadata: { httpStatusCode: 400 } });
    expect((refused as Error).message).toMatch(/local SES emulator takes requests up to 25 MB and this one is 25\.\d MB/);
    expect(ses.calls).toHaveLength(1);
    expect(EMULATOR_MAX_REQUEST_BYTES).toBe(25 * 1024 * 1024);
  });
});
