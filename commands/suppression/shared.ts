import type { Zod } from '../runtime.js';
import type { CheckResult, EngineSide, AccountSide } from '../../src/operations/suppression.js';
import type { CommandContext } from '../runtime.js';

/** Opens both lists for a command: the engine's table (with the hash key) and the SES account list. */
export async function openSuppressionLists(ctx: CommandContext, options: { engineOnly?: boolean }) {
  const { openEngine } = await import('../../src/operations/engine-context.js');
  const { ENGINE_ONLY } = await import('../../src/operations/suppression-sync.js');
  const target = await ctx.target();
  const engine = await openEngine(ctx.aws, target, { hashKey: 'read' });
  const account = options.engineOnly ? ENGINE_ONLY : await target.accountSuppressionList();
  return { engine, lists: { store: engine.stores.suppression, account } };
}

export const engineOnlyOption = (z: Zod) =>
  z.boolean().default(false);

  export function engineText(engine: EngineSide | null): string {
    if (!engine) return 'not suppressed';
    const date = engine.suppressedAt ? ` since ${engine.suppressedAt}` : '';
    return `${engine.reason}${date}${engine.hashed ? ' (kept as a keyed hash after an erasure)' : ''}${engine.source ? ` · ${engine.source}` : ''}`;
  }

  export function accountText(account: AccountSide | null | undefined, note?: string): string {
    if (account === undefined) return note ?? 'not consulted';
    if (account === null) return 'not listed';
    return `${account.reason} since ${account.lastUpdate}`;
  }

  export function checkLine(r: CheckResult): string {
    return r.suppressed ? `${r.address} is suppressed: mail to it is not sent.` : `${r.address} is not suppressed.`;
  }
