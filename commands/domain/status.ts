import type { Command } from 'commander';
import type { Zod } from '../runtime.js';
import { dataTable } from '../terminal/render.js';
import type { DomainStatus } from '../../src/domain/status.js';
import { defineAction, type Runtime } from '../runtime.js';
import { sesForDomains, statusMark } from './shared.js';

const statusOptions = (z: Zod) =>
  z.object({ domain: z.string() });

  export function renderDomainStatus(s: DomainStatus): string {
    const table = dataTable(
      ['', 'record', 'name', 'SES status', 'error type'],
      s.records.map((r) => [statusMark(r.status), r.type ? `${r.record} (${r.type})` : r.record, r.name, r.status, r.errorType]),
    );
    const meanings = [...new Set(s.records.map((r) => r.meaning).filter((m): m is string => m !== undefined))];
    return [`${s.domain}: ${s.verified ? 'verified; SES will send from it.' : 'not verified yet.'}`, table, ...meanings.map((m) => `  ${m}`)].join('\n');
  }

  export function registerDomainStatus(domain: Command, runtime: Runtime): void {
    domain
      .command('status')
      .description("SES's state of each record (verification, DKIM, MAIL FROM), with its error type when one failed")
      .argument('<domain>', 'the domain')
      .action(
        defineAction(
          runtime,
          'domain status',
          statusOptions,
          async (options, ctx) => {
            const { parseDomain } = await import('../../src/domain/domain-name.js');
            const { readDomainIdentity } = await import('../../src/domain/identity.js');
            const { domainStatus } = await import('../../src/domain/status.js');
            const name = parseDomain(options.domain);
            const { ses, region } = await sesForDomains(ctx);
            const result = domainStatus(await readDomainIdentity(ses, name, region), region);
            ctx.io.result(result, renderDomainStatus);
          },
          ['domain'],
        ),
      );
  }
