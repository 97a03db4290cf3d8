import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkDomainDns, type DnsCheck } from '../../../src/domain/dns-checks.js';
import { FakeDns, RCODE } from '../../helpers/fake-dns.js';

/**
 * The live DNS checks against a real DNS server on loopback: node:dns sends real queries over UDP
 * to it, so record parsing, NXDOMAIN versus no-data, and server failures all take the real path.
 */
const dns = new FakeDns();
let server = '';
const DOMAIN = 'shop.example';
const TOKENS = ['tok1abc', 'tok2def', 'tok3ghi'];
const MAIL_FROM = `bounce.${DOMAIN}`;
const REGION = 'eu-west-1';

beforeAll(async () => {
  server = await dns.start();
});
afterAll(() => dns.stop());

/** Everything correct, as `domain verify` tells the user to publish it. */
function publishAll(): void {
  dns.zone.clear();
  for (const token of TOKENS) dns.set(`${token}._domainkey.${DOMAIN}`, { CNAME: `${token}.dkim.amazonses.com` });
  dns.set(MAIL_FROM, { MX: [{ exchange: 'feedback-smtp.eu-west-1.amazonses.com', priority: 10 }], TXT: [['v=spf1 include:amazonses.com ~all']] });
  dns.set(`_dmarc.${DOMAIN}`, { TXT: [['v=DMARC1; p=quarantine; rua=mailto:dmarc@shop.example']] });
  dns.set(DOMAIN, { TXT: [['google-site-verification=abc']] });
}
beforeEach(publishAll);

const run = (options: { mailFrom?: string | null; tokens?: string[]; domain?: string } = {}) =>
  checkDomainDns({
    domain: options.domain ?? DOMAIN,
    dkimTokens: options.tokens ?? TOKENS,
    mailFromDomain: options.mailFrom === null ? undefined : (options.mailFrom ?? MAIL_FROM),
    region: REGION,
    servers: [server],
    timeoutMs: 1_000,
  });
const byCheck = (checks: DnsCheck[], check: DnsCheck['check']) => checks.filter((c) => c.check === check);

describe('domain check: live DNS lookups', () => {
  it('all records in place: every check passes, and the queries really reached the loopback server', async () => {
    dns.queries.length = 0;
    const report = await run();
    expect(report.ok).toBe(true);
    expect(report.servers).toEqual([server]);
    expect(report.checks.map((c) => [c.check, c.status])).toEqual([
      ['dkim', 'pass'],
      ['dkim', 'pass'],
      ['dkim', 'pass'],
      ['mail-from-mx', 'pass'],
      ['spf', 'pass'],
      ['dmarc', 'pass'],
    ]);
    expect(byCheck(report.checks, 'dkim')[0]).toMatchObject({ name: 'tok1abc._domainkey.shop.example', expected: 'tok1abc.dkim.amazonses.com', found: ['tok1abc.dkim.amazonses.com'] });
    expect(byCheck(report.checks, 'mail-from-mx')[0].found).toEqual(['10 feedback-smtp.eu-west-1.amazonses.com']);
    expect(byCheck(report.checks, 'dmarc')[0].detail).toBe('policy quarantine');
    expect(dns.queries.map((q) => q.name)).toEqual(expect.arrayContaining(['tok1abc._domainkey.shop.example', MAIL_FROM, `_dmarc.${DOMAIN}`]));
  });

  it('a missing DKIM CNAME fails with the record to add; a wrong target names what it points to', async () => {
    dns.zone.delete(`tok2def._domainkey.${DOMAIN}`);
    dns.set(`tok3ghi._domainkey.${DOMAIN}`, { CNAME: 'tok3ghi.dkim.other-provider.example' });
    const report = await run();
    expect(report.ok).toBe(false);
    const [one, two, three] = byCheck(report.checks, 'dkim');
    expect(one.status).toBe('pass');
    expect(two).toMatchObject({ status: 'fail', detail: 'no CNAME record at this name', fix: 'Add CNAME tok2def._domainkey.shop.example → tok2def.dkim.amazonses.com' });
    expect(three).toMatchObject({ status: 'fail', found: ['tok3ghi.dkim.other-provider.example'], fix: 'Change the CNAME tok3ghi._domainkey.shop.example to point to tok3ghi.dkim.amazonses.com' });
  });

  it('SPF on the MAIL FROM domain: missing, without include:amazonses.com, or two records each fail with the fix', async () => {
    dns.set(MAIL_FROM, { MX: [{ exchange: 'feedback-smtp.eu-west-1.amazonses.com', priority: 10 }] });
    expect(byCheck((await run()).checks, 'spf')[0]).toMatchObject({ status: 'fail', detail: 'no SPF record', fix: `Add TXT ${MAIL_FROM} "v=spf1 include:amazonses.com ~all"` });

    dns.set(MAIL_FROM, { MX: [{ exchange: 'feedback-smtp.eu-west-1.amazonses.com', priority: 10 }], TXT: [['v=spf1 include:_spf.google.com ~all']] });
    expect(byCheck((await run()).checks, 'spf')[0]).toMatchObject({ status: 'fail', detail: 'the SPF record does not include amazonses.com' });

    dns.set(MAIL_FROM, { MX: [{ exchange: 'feedback-smtp.eu-west-1.amazonses.com', priority: 10 }], TXT: [['v=spf1 include:amazonses.com ~all'], ['v=spf1 -all']] });
    expect(byCheck((await run()).checks, 'spf')[0]).toMatchObject({ status: 'fail', detail: '2 SPF records: receivers treat that as an error (RFC 7208)' });
  });

  it('an SPF record split into several strings is read as one', async () => {
    dns.set(MAIL_FROM, { MX: [{ exchange: 'feedback-smtp.eu-west-1.amazonses.com', priority: 10 }], TXT: [['v=spf1 include:', 'amazonses.com ~all']] });
    expect(byCheck((await run()).checks, 'spf')[0].status).toBe('pass');
  });

  it('MAIL FROM MX: missing, or pointing at a mail server of its own, fails with the SES feedback host for the region', async () => {
    dns.set(MAIL_FROM, { TXT: [['v=spf1 include:amazonses.com ~all']] });
    expect(byCheck((await run()).checks, 'mail-from-mx')[0]).toMatchObject({ status: 'fail', detail: 'no MX record', fix: `Add MX ${MAIL_FROM} 10 feedback-smtp.eu-west-1.amazonses.com` });

    dns.set(MAIL_FROM, { MX: [{ exchange: 'mx.mailhost.example', priority: 5 }], TXT: [['v=spf1 include:amazonses.com ~all']] });
    expect(byCheck((await run()).checks, 'mail-from-mx')[0]).toMatchObject({ status: 'fail', found: ['5 mx.mailhost.example'] });
  });

  it('without a custom MAIL FROM, SPF is skipped with the reason and MX is not looked up', async () => {
    dns.queries.length = 0;
    const report = await run({ mailFrom: null });
    expect(report.ok).toBe(true);
    expect(byCheck(report.checks, 'spf')[0]).toMatchObject({ status: 'skip' });
    expect(byCheck(report.checks, 'mail-from-mx')).toEqual([]);
    expect(dns.queries.some((q) => q.name === MAIL_FROM)).toBe(false);
  });

  it('DMARC: missing fails with a starting record; p=none passes with the advice to tighten; no p= fails', async () => {
    dns.zone.delete(`_dmarc.${DOMAIN}`);
    expect(byCheck((await run()).checks, 'dmarc')[0]).toMatchObject({ status: 'fail', detail: 'no DMARC record', fix: expect.stringContaining('TXT _dmarc.shop.example "v=DMARC1; p=none;') });

    dns.set(`_dmarc.${DOMAIN}`, { TXT: [['v=DMARC1; p=none; rua=mailto:d@shop.example']] });
    const none = byCheck((await run()).checks, 'dmarc')[0];
    expect(none).toMatchObject({ status: 'pass', detail: 'policy none: monitoring only' });
    expect(none.fix).toContain('p=quarantine');

    dns.set(`_dmarc.${DOMAIN}`, { TXT: [['v=DMARC1; rua=mailto:d@shop.example']] });
    expect(byCheck((await run()).checks, 'dmarc')[0]).toMatchObject({ status: 'fail', detail: 'the DMARC record has no valid p= policy' });
  });

  it('DMARC for a subdomain is inherited from its parent when it has none of its own', async () => {
    const sub = `mail.${DOMAIN}`;
    const report = await run({ domain: sub, tokens: [], mailFrom: null });
    expect(byCheck(report.checks, 'dmarc')[0]).toMatchObject({ status: 'pass', name: `_dmarc.${DOMAIN}`, detail: `policy quarantine (inherited from ${DOMAIN})` });
  });

  it('a server failure (SERVFAIL) is a failed check that says DNS did not answer, not "record missing"', async () => {
    dns.set(`tok1abc._domainkey.${DOMAIN}`, { rcode: RCODE.SERVFAIL });
    const [first] = byCheck((await run()).checks, 'dkim');
    expect(first.status).toBe('fail');
    expect(first.detail).toMatch(/^DNS did not answer \(ESERVFAIL\)/);
    expect(first.fix).toBeUndefined();
  });
});
