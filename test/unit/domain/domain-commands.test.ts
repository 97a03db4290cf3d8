import {
  AlreadyExistsException,
  CreateEmailIdentityCommand,
  GetEmailIdentityCommand,
  NotFoundException,
  PutEmailIdentityMailFromAttributesCommand,
  SESv2Client,
  type GetEmailIdentityCommandOutput,
} from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkDomain } from '../../../src/domain/check.js';
import { runInProcess } from '../../helpers/in-process.js';
import { FakeDns } from '../../helpers/fake-dns.js';

/**
 * `domain verify | status | check`. SES identities have no local emulator, so SESv2 is mocked with
 * aws-sdk-client-mock; each response follows the SESv2 API reference for its operation. DNS is a
 * real server on loopback (FakeDns).
 */
const ses = mockClient(SESv2Client);
const cwd = mkdtempSync(join(tmpdir(), 'mailengine-domain-'));
const DOMAIN = 'shop.example';
const TOKENS = ['abcdefghijklmnopqrstuvwxyz234567', 'bcdefghijklmnopqrstuvwxyz2345678', 'cdefghijklmnopqrstuvwxyz23456789'];
const run = (...argv: string[]) => runInProcess([...argv, '--region', 'eu-west-1'], { cwd });

/** GetEmailIdentity's response (SESv2 API reference, GetEmailIdentity "Response Syntax"). */
function identity(overrides: Partial<GetEmailIdentityCommandOutput> = {}): Partial<GetEmailIdentityCommandOutput> {
  return {
    IdentityType: 'DOMAIN',
    FeedbackForwardingStatus: true,
    VerifiedForSendingStatus: false,
    VerificationStatus: 'PENDING',
    DkimAttributes: { SigningEnabled: true, Status: 'PENDING', Tokens: TOKENS, SigningAttributesOrigin: 'AWS_SES', CurrentSigningKeyLength: 'RSA_2048_BIT', NextSigningKeyLength: 'RSA_2048_BIT' },
    Policies: {},
    Tags: [],
    ...overrides,
  };
}
const verified = identity({
  VerifiedForSendingStatus: true,
  VerificationStatus: 'SUCCESS',
  DkimAttributes: { SigningEnabled: true, Status: 'SUCCESS', Tokens: TOKENS, SigningAttributesOrigin: 'AWS_SES' },
  MailFromAttributes: { MailFromDomain: `bounce.${DOMAIN}`, MailFromDomainStatus: 'SUCCESS', BehaviorOnMxFailure: 'USE_DEFAULT_VALUE' },
  VerificationInfo: { LastCheckedTimestamp: new Date('2026-11-22T10:00:00Z'), LastSuccessTimestamp: new Date('2026-11-22T10:00:00Z') },
});

beforeEach(() => ses.reset());

describe('domain verify', () => {
  it('creates the identity with Easy DKIM and prints the three CNAMEs and the DMARC record as a table', async () => {
    // CreateEmailIdentity's response: IdentityType, VerifiedForSendingStatus, DkimAttributes with the tokens.
    ses.on(CreateEmailIdentityCommand).resolves({ IdentityType: 'DOMAIN', VerifiedForSendingStatus: false, DkimAttributes: { SigningEnabled: true, Status: 'PENDING', Tokens: TOKENS } });
    ses.on(GetEmailIdentityCommand).resolves(identity());
    const out = await run('domain', 'verify', DOMAIN);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(ses.commandCalls(CreateEmailIdentityCommand)[0].args[0].input).toEqual({ EmailIdentity: DOMAIN });
    expect(ses.commandCalls(PutEmailIdentityMailFromAttributesCommand)).toHaveLength(0);
    expect(out.stdout).toContain('Created the SES identity shop.example in eu-west-1 with Easy DKIM.');
    expect(out.stdout).toContain(`${TOKENS[0]}._domainkey.shop.example`);
    expect(out.stdout).toContain(`${TOKENS[0]}.dkim.amazonses.com`);
    expect(out.stdout).toContain('_dmarc.shop.example');
    expect(out.stdout).toContain('mailengine domain check shop.example --wait');
  });

  it('SES has issued no DKIM tokens yet: no "with Easy DKIM", a warning saying so, and no DKIM rows invented', async () => {
    ses.on(CreateEmailIdentityCommand).resolves({ IdentityType: 'DOMAIN', VerifiedForSendingStatus: false, DkimAttributes: { SigningEnabled: true, Status: 'NOT_STARTED' } });
    ses.on(GetEmailIdentityCommand).resolves(identity({ DkimAttributes: { SigningEnabled: true, Status: 'NOT_STARTED', SigningAttributesOrigin: 'AWS_SES' } }));
    const out = await run('domain', 'verify', DOMAIN);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('Created the SES identity shop.example in eu-west-1. Add these DNS records:');
    expect(out.stdout).not.toContain('Easy DKIM');
    expect(out.stdout).not.toContain('_domainkey');
    expect(out.stderr).toContain('SES has not issued DKIM tokens for shop.example yet (DKIM status NOT_STARTED)');
    const json = (await run('domain', 'verify', DOMAIN, '--json')).json<{ dkimWarning?: string }>();
    expect(json.dkimWarning).toContain('mail will not be DKIM-signed');
  });

  it('--mail-from sets the custom MAIL FROM (PutEmailIdentityMailFromAttributes) and adds its MX and SPF; --bind prints a zone snippet', async () => {
    ses.on(CreateEmailIdentityCommand).resolves({ IdentityType: 'DOMAIN', VerifiedForSendingStatus: false, DkimAttributes: { Status: 'PENDING', Tokens: TOKENS } });
    ses.on(PutEmailIdentityMailFromAttributesCommand).resolves({});
    ses.on(GetEmailIdentityCommand).resolves(identity({ MailFromAttributes: { MailFromDomain: `bounce.${DOMAIN}`, MailFromDomainStatus: 'PENDING', BehaviorOnMxFailure: 'USE_DEFAULT_VALUE' } }));
    const out = await run('domain', 'verify', DOMAIN, '--mail-from', `bounce.${DOMAIN}`, '--bind');
    expect(out.code).toBe(0);
    expect(ses.commandCalls(PutEmailIdentityMailFromAttributesCommand)[0].args[0].input).toEqual({ EmailIdentity: DOMAIN, MailFromDomain: `bounce.${DOMAIN}`, BehaviorOnMxFailure: 'USE_DEFAULT_VALUE' });
    expect(out.stdout).toBe(
      [
        `${TOKENS[0]}._domainkey.shop.example.\t1800\tIN\tCNAME\t${TOKENS[0]}.dkim.amazonses.com.`,
        `${TOKENS[1]}._domainkey.shop.example.\t1800\tIN\tCNAME\t${TOKENS[1]}.dkim.amazonses.com.`,
        `${TOKENS[2]}._domainkey.shop.example.\t1800\tIN\tCNAME\t${TOKENS[2]}.dkim.amazonses.com.`,
        'bounce.shop.example.\t1800\tIN\tMX\t10 feedback-smtp.eu-west-1.amazonses.com.',
        'bounce.shop.example.\t1800\tIN\tTXT\t"v=spf1 include:amazonses.com ~all"',
        '_dmarc.shop.example.\t1800\tIN\tTXT\t"v=DMARC1; p=none;"\t; recommended',
        '',
      ].join('\n'),
    );
  });

  it('--json gives the records with type, name, value and whether SES needs them', async () => {
    ses.on(CreateEmailIdentityCommand).resolves({ IdentityType: 'DOMAIN', DkimAttributes: { Status: 'PENDING', Tokens: TOKENS } });
    ses.on(GetEmailIdentityCommand).resolves(identity());
    const out = await run('domain', 'verify', DOMAIN, '--json');
    expect(out.code).toBe(0);
    const result = out.json<{ created: boolean; region: string; records: unknown[] }>();
    expect(result.created).toBe(true);
    expect(result.region).toBe('eu-west-1');
    expect(result.records[0]).toEqual({ purpose: 'dkim', type: 'CNAME', name: `${TOKENS[0]}._domainkey.shop.example`, value: `${TOKENS[0]}.dkim.amazonses.com`, required: true });
    expect(result.records.at(-1)).toEqual({ purpose: 'dmarc', type: 'TXT', name: '_dmarc.shop.example', value: 'v=DMARC1; p=none;', required: false });
  });

  it('an identity that exists already (AlreadyExistsException) is not an error: its records are printed again', async () => {
    ses.on(CreateEmailIdentityCommand).rejects(new AlreadyExistsException({ message: 'Email identity shop.example already exist.', $metadata: { httpStatusCode: 400 } }));
    ses.on(GetEmailIdentityCommand).resolves(identity());
    const out = await run('domain', 'verify', DOMAIN);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('SES already has the identity shop.example in eu-west-1 (verification PENDING)');
  });

  it.each([
    [['domain', 'verify', 'not a domain'], 'INVALID_DOMAIN'],
    [['domain', 'verify', 'shop.example', '--mail-from', 'bounce.other.example'], 'MAIL_FROM_NOT_SUBDOMAIN'],
    [['domain', 'status', 'localhost'], 'INVALID_DOMAIN'],
    [['domain', 'check', 'shop.example', '--resolver', 'dns.google'], 'INVALID_OPTION'],
    [['domain', 'check', 'shop.example', '--timeout', 'soon'], 'INVALID_OPTION'],
  ])('bad input %j: exit 2 before any SES call', async (argv, code) => {
    const out = await run(...argv, '--json');
    expect(out.code).toBe(2);
    expect(JSON.parse(out.stderr).error.code).toBe(code);
    expect(ses.calls()).toHaveLength(0);
  });

  it('--local: exit 2, the SES emulator has no identities', async () => {
    const out = await runInProcess(['domain', 'status', DOMAIN, '--local'], { cwd });
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('domain commands work against AWS only');
  });
});

describe('domain status', () => {
  it("shows each record's state, and SES's VerificationInfo.ErrorType with its meaning when verification failed", async () => {
    ses.on(GetEmailIdentityCommand).resolves(
      identity({
        VerificationStatus: 'FAILED',
        DkimAttributes: { SigningEnabled: true, Status: 'FAILED', Tokens: TOKENS },
        MailFromAttributes: { MailFromDomain: `bounce.${DOMAIN}`, MailFromDomainStatus: 'PENDING', BehaviorOnMxFailure: 'USE_DEFAULT_VALUE' },
        VerificationInfo: { ErrorType: 'HOST_NOT_FOUND', LastCheckedTimestamp: new Date('2026-11-22T10:00:00Z') },
      }),
    );
    const human = await run('domain', 'status', DOMAIN);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('shop.example: not verified yet.');
    expect(human.stdout).toContain('HOST_NOT_FOUND');
    expect(human.stdout).toContain('SES found no record at that name');
    expect(human.stdout).toContain('feedback-smtp.eu-west-1.amazonses.com');

    const json = (await run('domain', 'status', DOMAIN, '--json')).json<{ verified: boolean; records: Array<Record<string, unknown>> }>();
    expect(json.verified).toBe(false);
    expect(json.records.map((r) => [r.record, r.status, r.errorType])).toEqual([
      ['domain verification', 'FAILED', 'HOST_NOT_FOUND'],
      ['DKIM', 'FAILED', 'HOST_NOT_FOUND'],
      ['DKIM', 'FAILED', 'HOST_NOT_FOUND'],
      ['DKIM', 'FAILED', 'HOST_NOT_FOUND'],
      ['MAIL FROM', 'PENDING', undefined],
    ]);
  });

  it('without DKIM tokens there is still a DKIM row, saying why', async () => {
    ses.on(GetEmailIdentityCommand).resolves(identity({ DkimAttributes: { SigningEnabled: true, Status: 'PENDING', SigningAttributesOrigin: 'AWS_SES' } }));
    const json = (await run('domain', 'status', DOMAIN, '--json')).json<{ records: Array<{ record: string; status: string; meaning?: string }> }>();
    const dkim = json.records.filter((r) => r.record === 'DKIM');
    expect(dkim).toHaveLength(1);
    expect(dkim[0]).toMatchObject({ status: 'PENDING' });
    expect(dkim[0].meaning).toContain('SES has not issued DKIM tokens for shop.example yet');
    const human = await run('domain', 'status', DOMAIN);
    expect(human.stdout).toContain('DKIM');
  });

  it('an unknown domain (NotFoundException) is exit 4, naming the region and the command that creates it', async () => {
    ses.on(GetEmailIdentityCommand).rejects(new NotFoundException({ message: 'Email identity shop.example does not exist.', $metadata: { httpStatusCode: 404 } }));
    const out = await run('domain', 'status', DOMAIN);
    expect(out.code).toBe(4);
    expect(out.stderr).toContain('SES has no identity for shop.example in eu-west-1.');
    expect(out.stderr).toContain('mailengine domain verify shop.example');
  });
});

describe('domain check', () => {
  const dns = new FakeDns();
  let server = '';
  beforeAll(async () => {
    server = await dns.start();
  });
  afterAll(() => dns.stop());

  function publish(options: { dkim: boolean }) {
    dns.zone.clear();
    if (options.dkim) for (const t of TOKENS) dns.set(`${t}._domainkey.${DOMAIN}`, { CNAME: `${t}.dkim.amazonses.com` });
    dns.set(`bounce.${DOMAIN}`, { MX: [{ exchange: 'feedback-smtp.eu-west-1.amazonses.com', priority: 10 }], TXT: [['v=spf1 include:amazonses.com ~all']] });
    dns.set(`_dmarc.${DOMAIN}`, { TXT: [['v=DMARC1; p=reject']] });
  }

  it('everything in place and verified: exit 0, every check passes', async () => {
    publish({ dkim: true });
    ses.on(GetEmailIdentityCommand).resolves(verified);
    const out = await run('domain', 'check', DOMAIN, '--resolver', server);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(`DNS answers from ${server}:`);
    expect(out.stdout).toContain('shop.example is ready');
  });

  it('a domain AWS manages (MANAGED_DOMAIN) is checked like the user\'s own; an email-address identity is refused (exit 2)', async () => {
    publish({ dkim: true });
    ses.on(GetEmailIdentityCommand).resolves({ ...verified, IdentityType: 'MANAGED_DOMAIN' });
    const managed = await run('domain', 'check', DOMAIN, '--resolver', server);
    expect(managed.code).toBe(0);
    expect(managed.stdout).toContain('shop.example is ready');
    ses.on(GetEmailIdentityCommand).resolves({ ...verified, IdentityType: 'EMAIL_ADDRESS' });
    const address = await run('domain', 'check', DOMAIN, '--resolver', server);
    expect(address.code).toBe(2);
    expect(address.stderr).toContain('shop.example is an SES EMAIL_ADDRESS identity, not a domain.');
  });

  it('a failing check: exit 1, with the fix on stdout', async () => {
    publish({ dkim: false });
    ses.on(GetEmailIdentityCommand).resolves(identity({ MailFromAttributes: { MailFromDomain: `bounce.${DOMAIN}`, MailFromDomainStatus: 'PENDING', BehaviorOnMxFailure: 'USE_DEFAULT_VALUE' } }));
    const out = await run('domain', 'check', DOMAIN, '--resolver', server);
    expect(out.code).toBe(1);
    expect(out.stdout).toContain(`fix: Add CNAME ${TOKENS[0]}._domainkey.shop.example → ${TOKENS[0]}.dkim.amazonses.com`);
    expect(out.stderr).toContain('3 DNS check(s) for shop.example failed.');
  });

  it('--wait polls with growing pauses until the records appear and SES verifies', async () => {
    publish({ dkim: false });
    ses.on(GetEmailIdentityCommand).resolvesOnce(identity()).resolvesOnce(identity()).resolves(verified);
    let clock = 0;
    const pauses: number[] = [];
    const result = await checkDomain(new SESv2Client({ region: 'eu-west-1' }), 'eu-west-1', DOMAIN, {
      servers: [server],
      wait: {
        timeoutMs: 600_000,
        now: () => clock,
        sleep: async (ms) => {
          pauses.push(ms);
          clock += ms;
          // The DNS change lands while the first pause runs.
          publish({ dkim: true });
        },
      },
    });
    expect(result.verified).toBe(true);
    expect(result.waited).toEqual({ done: true, attempts: 3 });
    expect(pauses).toEqual([5_000, 10_000]);
  });

  it('--wait that runs out of time: not verified, the last report is returned', async () => {
    publish({ dkim: true });
    ses.on(GetEmailIdentityCommand).resolves(identity());
    let clock = 0;
    const result = await checkDomain(new SESv2Client({ region: 'eu-west-1' }), 'eu-west-1', DOMAIN, {
      servers: [server],
      wait: { timeoutMs: 30_000, now: () => clock, sleep: async (ms) => void (clock += ms) },
    });
    expect(result.verified).toBe(false);
    expect(result.waited).toEqual({ done: false, attempts: 4 });
    expect(result.ses.identity.verificationStatus).toBe('PENDING');
  });
});
