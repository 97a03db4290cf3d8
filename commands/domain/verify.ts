import type { Command } from 'commander';
import type { Zod } from '../runtime.js';
import { dataTable } from '../terminal/render.js';
import type { VerifyResult } from '../../src/domain/verify.js';
import { defineAction, type Runtime } from '../runtime.js';
import { sesForDomains } from './shared.js';

const verifyOptions = (z: Zod) =>
  z.object({
    domain: z.string(),
    mailFrom: z.string().min(1).optional(),
    bind: z.boolean().default(false),
  });

function render(r: VerifyResult): string {
  const head = r.created
    ? `Created the SES identity ${r.domain} in ${r.region}${r.dkimWarning ? '' : ' with Easy DKIM'}. Add these DNS records:`
    : `SES already has the identity ${r.domain} in ${r.region} (verification ${r.identity.verificationStatus ?? 'unknown'}). Its DNS records:`;
  const table = dataTable(
    ['type', 'name', 'value', 'needed'],
    r.records.map((rec) => [rec.type, rec.name, rec.type === 'MX' ? `${rec.priority ?? 10} ${rec.value}` : rec.type === 'TXT' ? `"${rec.value}"` : rec.value, rec.required ? 'required' : 'recommended']),
  );
  return [head, table, `Then run \`mailengine domain check ${r.domain} --wait\`: it looks the records up and waits until SES has verified them.`].join('\n');
}

export function registerDomainVerify(domain: Command, runtime: Runtime): void {
  domain
    .command('verify')
    .description('create the SES identity with Easy DKIM (and a custom MAIL FROM) and print the DNS records to add')
    .argument('<domain>', 'the domain to send from, e.g. example.com')
    .option('--mail-from <subdomain>', 'custom MAIL FROM domain, a subdomain that receives no mail (e.g. bounce.example.com)')
    .option('--bind', 'print the records as a BIND zone file snippet')
    .action(
      defineAction(
        runtime,
        'domain verify',
        verifyOptions,
        async (options, ctx) => {
          const { parseDomain, parseMailFrom } = await import('../../src/domain/domain-name.js');
          const { verifyDomain } = await import('../../src/domain/verify.js');
          const { bindZone } = await import('../../src/domain/records.js');
          const name = parseDomain(options.domain);
          if (options.mailFrom) parseMailFrom(options.mailFrom, name);
          const { ses, region } = await sesForDomains(ctx);
          const result = await verifyDomain(ses, region, name, { mailFrom: options.mailFrom });
          if (result.dkimWarning) ctx.io.notify({ code: 'domain.dkim-missing', level: 'warn', message: result.dkimWarning });
          ctx.io.result(result, (r) => (options.bind ? bindZone(r.records).trimEnd() : render(r)));
        },
        ['domain'],
      ),
    );
}
