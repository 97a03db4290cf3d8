import type { Command } from 'commander';
import type { Runtime } from '../runtime.js';
import { registerDomainCheck } from './check.js';
import { registerDomainStatus } from './status.js';
import { registerDomainVerify } from './verify.js';

/** The `domain` command group: the SES identity the engine sends as, and its DNS records. */
export function registerDomain(program: Command, runtime: Runtime, subcommands = true): void {
  const domain = program.command('domain').description('verify a sending domain with SES (Easy DKIM, custom MAIL FROM) and check its DNS records');
  // Without its subcommands the group still lists itself in the parent's help (see createProgram).
  if (!subcommands) return;
  registerDomainVerify(domain, runtime);
  registerDomainStatus(domain, runtime);
  registerDomainCheck(domain, runtime);
}
