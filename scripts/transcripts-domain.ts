/**
 * `domain verify | status | check` for shop.example: the CLI's own entry in this process, SES
 * answered by aws-sdk-client-mock in the shapes the SESv2 API reference gives (SES identities
 * have no local emulator), and DNS by a real DNS server on loopback (test/helpers/fake-dns.ts)
 * holding the records a half-finished setup has: two of the three DKIM CNAMEs, the MAIL FROM MX,
 * an SPF record that does not include amazonses.com, and a DMARC policy.
 */
import { rmSync } from 'node:fs';
import { inProcessRunner } from './transcripts-deploy.js';
import { Session, pathSubstitutions, scratchDir, type Log } from './transcripts-session.js';

const DOMAIN = 'shop.example';
const MAIL_FROM = `bounce.${DOMAIN}`;
const TOKENS = ['4qkvh2nmz7tpbxw3gk5yfd6rjc2lsu7e', 'x7w3kqpzd2m5vfhn6tbrc4ljgy3ea2so', 'hb6tn3ckz5qmw2jd7xvgf4pry6ls3aue'];

export async function domainScene(out: Map<string, string>, log: Log): Promise<void> {
  const ses = await import('@aws-sdk/client-sesv2');
  const { mockClient } = await import('aws-sdk-client-mock');
  const { FakeDns } = await import('../test/helpers/fake-dns.js');
  const { AwsClientFactory } = await import('../src/aws/clients.js');

  const mock = mockClient(ses.SESv2Client);
  const pending = {
    IdentityType: 'DOMAIN' as const,
    FeedbackForwardingStatus: true,
    VerifiedForSendingStatus: false,
    VerificationStatus: 'FAILED' as const,
    VerificationInfo: { ErrorType: 'HOST_NOT_FOUND' as const, LastCheckedTimestamp: new Date('2026-11-22T10:00:00Z') },
    DkimAttributes: { SigningEnabled: true, Status: 'FAILED' as const, Tokens: TOKENS, SigningAttributesOrigin: 'AWS_SES' as const },
    MailFromAttributes: { MailFromDomain: MAIL_FROM, MailFromDomainStatus: 'PENDING' as const, BehaviorOnMxFailure: 'USE_DEFAULT_VALUE' as const },
    Policies: {},
    Tags: [],
  };
  let created = false;
  mock.on(ses.CreateEmailIdentityCommand).callsFake(() => {
    if (created) throw new ses.AlreadyExistsException({ message: `Email identity ${DOMAIN} already exist.`, $metadata: { httpStatusCode: 400 } });
    created = true;
    return { IdentityType: 'DOMAIN', VerifiedForSendingStatus: false, DkimAttributes: { SigningEnabled: true, Status: 'PENDING', Tokens: TOKENS } };
  });
  mock.on(ses.PutEmailIdentityMailFromAttributesCommand).resolves({});
  mock.on(ses.GetEmailIdentityCommand).callsFake(() => (created ? pending : Promise.reject(new ses.NotFoundException({ message: `Email identity ${DOMAIN} does not exist.`, $metadata: { httpStatusCode: 404 } }))));

  const dns = new FakeDns();
  dns.zone.set(`${TOKENS[0]}._domainkey.${DOMAIN}`, { CNAME: `${TOKENS[0]}.dkim.amazonses.com` });
  dns.zone.set(`${TOKENS[1]}._domainkey.${DOMAIN}`, { CNAME: `${TOKENS[1]}.dkim.amazonses.com` });
  dns.zone.set(MAIL_FROM, { MX: [{ exchange: 'feedback-smtp.eu-west-1.amazonses.com', priority: 10 }], TXT: [['v=spf1 include:_spf.example.net ~all']] });
  dns.zone.set(`_dmarc.${DOMAIN}`, { TXT: [[`v=DMARC1; p=none; rua=mailto:dmarc@${DOMAIN}`]] });
  const resolver = await dns.start();

  const cwd = scratchDir('domain');
  try {
    const runner = await inProcessRunner(cwd, (settings) => new AwsClientFactory({ ...settings, credentials: { accessKeyId: 'AKIDTESTONLY', secretAccessKey: 'transcripts' }, maxAttempts: 1 }));
    const s = new Session(cwd, runner, out, [...pathSubstitutions(cwd), [resolver, '127.0.0.1:5353']], log);
    s.begin('domain');
    await s.run(`mailengine domain verify ${DOMAIN} --mail-from ${MAIL_FROM} --region eu-west-1`);
    s.gap();
    await s.run(`mailengine domain verify ${DOMAIN} --mail-from ${MAIL_FROM} --bind --region eu-west-1`);
    s.gap();
    await s.run(`mailengine domain status ${DOMAIN} --region eu-west-1`);
    s.gap();
    await s.run(`mailengine domain check ${DOMAIN} --resolver ${resolver} --region eu-west-1`, { expect: 1, exit: true });
    s.end();
  } finally {
    mock.restore();
    await dns.stop();
    rmSync(cwd, { recursive: true, force: true });
  }
}
