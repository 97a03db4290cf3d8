import { ExitCode, MailengineError } from '../../src/errors.js';
import type { CommandContext } from '../runtime.js';

/** The SES client and its region; the local SES emulator has no identity API at all. */
export async function sesForDomains(ctx: CommandContext) {
  if (ctx.settings.local) {
    throw new MailengineError('LOCAL_UNSUPPORTED', "The local stack's SES emulator has no identities: domain commands work against AWS only.", {
      exitCode: ExitCode.Usage,
      suggestion: 'Run it without --local, with --region set to where the engine sends from.',
    });
  }
  const { sesRegion } = await import('../../src/domain/region.js');
  const ses = await ctx.aws.sesv2();
  return { ses, region: await sesRegion(ses) };
}

export const statusMark = (status: string) => (status === 'SUCCESS' || status === 'pass' ? '✔' : status === 'skip' ? '–' : status === 'PENDING' || status === 'NOT_STARTED' ? '…' : '✖');
