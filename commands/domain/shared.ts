import type { CommandContext } from '../runtime.js';

/** The SES client and its region; the local SES emulator has no identity API at all. */
export async function sesForDomains(ctx: CommandContext) {
  return (await ctx.target()).sesIdentities();
}

export const statusMark = (status: string) => (status === 'SUCCESS' || status === 'pass' ? '✔' : status === 'skip' ? '–' : status === 'PENDING' || status === 'NOT_STARTED' ? '…' : '✖');
