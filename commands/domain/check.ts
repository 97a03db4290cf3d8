import type { Command } from 'commander';
import { isIP } from 'node:net';
import type { Zod } from '../runtime.js';
import { ExitCode, MailengineError } from '../../src/errors.js';
import { dataTable } from '../terminal/render.js';
import type { CheckResult } from '../../src/domain/check.js';
import { defineAction, type Runtime } from '../runtime.js';
import { sesForDomains, statusMark } from './shared.js';

/** `1.1.1.1`, `127.0.0.1:5353`, `2606:4700::1111` or `[::1]:5353`, comma-separated. */
export const resolverOption = (z: Zod) =>
  z
    .string()
    .transform((value) => value.split(',').map((s) => s.trim()).filter(Boolean))
    .refine((servers) => servers.length > 0 && servers.every(isServer), { message: 'must be IP addresses, optionally with :port (e.g. 1.1.1.1 or 127.0.0.1:5353)' })
    .optional();

function isServer(server: string): boolean {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(server);
  if (bracketed) return isIP(bracketed[1]) === 6 && (bracketed[2] === undefined || Number(bracketed[2]) <= 65535);
  if (isIP(server)) return true;
  const withPort = /^([\d.]+):(\d{1,5})$/.exec(server);
  return withPort !== null && isIP(withPort[1]) === 4 && Number(withPort[2]) <= 65535;
}

/** `90`, `90s`, `15m` or `2h`, in milliseconds. */
const durationOption = (z: Zod) =>
  z
    .string()
    .regex(/^\d+(s|m|h)?$/, { message: 'must be a duration such as 90s, 15m or 2h' })
    .transform((v) => Number.parseInt(v, 10) * ({ s: 1_000, m: 60_000, h: 3_600_000 }[v.replace(/^\d+/, '') as 's' | 'm' | 'h'] ?? 1_000));

const checkOptions = (z: Zod) =>
  z.object({
    domain: z.string(),
    resolver: resolverOption(z),
    wait: z.boolean().default(false),
    timeout: durationOption(z).default(15 * 60_000),
  });

function render(r: CheckResult): string {
  // The expected value is in each fix line (and in --json); the table stays narrow enough to read.
  const table = dataTable(
    ['', 'check', 'name', 'found', 'result'],
    r.dns.checks.map((c) => [statusMark(c.status), `${c.check} (${c.type})`, c.name, c.found.join('\n') || undefined, c.detail]),
  );
  const fixes = r.dns.checks.filter((c) => c.fix && c.status !== 'skip').map((c) => `  ${c.status === 'fail' ? 'fix' : 'tip'}: ${c.fix}`);
  const sesLine = `SES: domain ${r.ses.identity.verificationStatus ?? 'NOT_STARTED'}, DKIM ${r.ses.identity.dkim.status ?? 'NOT_STARTED'}${r.ses.identity.mailFrom ? `, MAIL FROM ${r.ses.identity.mailFrom.status ?? 'PENDING'}` : ''}${r.ses.identity.errorType ? ` (last error ${r.ses.identity.errorType})` : ''}.`;
  const verdict = r.verified ? `${r.domain} is ready: every record is in place and SES has verified it.` : `${r.domain} is not ready yet.`;
  return [`DNS answers from ${r.dns.servers.join(', ')}:`, table, ...fixes, sesLine, verdict].join('\n');
}

export function registerDomainCheck(domain: Command, runtime: Runtime): void {
  domain
    .command('check')
    .description('look the DKIM, SPF, DMARC and MAIL FROM records up live, each with pass/fail and the fix (exit 1 while any fails)')
    .argument('<domain>', 'the domain')
    .option('--resolver <servers>', 'ask these DNS servers (comma-separated, e.g. your provider\'s name servers, to skip caches)')
    .option('--wait', 'repeat, with growing pauses, until every check passes and SES has verified the domain')
    .option('--timeout <duration>', 'with --wait: give up after this long (e.g. 90s, 15m, 2h)', '15m')
    .action(
      defineAction(
        runtime,
        'domain check',
        checkOptions,
        async (options, ctx) => {
          const { parseDomain } = await import('../../src/domain/domain-name.js');
          const { checkDomain } = await import('../../src/domain/check.js');
          const name = parseDomain(options.domain);
          const { ses, region } = await sesForDomains(ctx);
          const progress = options.wait ? ctx.io.progress('domain.wait', `Checking ${name} until it is verified (at most ${Math.round(options.timeout / 60_000)} min)`) : undefined;
          const result = await checkDomain(ses, region, name, {
            servers: options.resolver,
            wait: options.wait
              ? { timeoutMs: options.timeout, signal: ctx.runtime.signal, onWait: (ms, n) => progress?.update(`Not verified yet (try ${n}); next look in ${Math.round(ms / 1000)} s`) }
              : undefined,
          });
          if (result.verified) progress?.succeed(`${name} is verified`);
          else progress?.fail(`${name} is still not verified`);
          ctx.io.result(result, render);
          if (!result.verified && (options.wait || !result.dns.ok)) {
            throw new MailengineError(
              options.wait ? 'DOMAIN_NOT_VERIFIED' : 'DNS_CHECKS_FAILED',
              options.wait ? `${name} was not verified within ${Math.round(options.timeout / 1000)} s.` : `${result.dns.checks.filter((c) => c.status === 'fail').length} DNS check(s) for ${name} failed.`,
              { exitCode: ExitCode.Failed, suggestion: 'Add or fix the records named above; DNS changes can take a while to be seen. `mailengine domain status` shows what SES sees.' },
            );
          }
        },
        ['domain'],
      ),
    );
}
