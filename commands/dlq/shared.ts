import type { Zod } from '../runtime.js';
import type { DlqQueue } from '../../src/operations/dlq.js';
import type { CommandContext } from '../runtime.js';

/** `--queue send|feedback`; both when absent. */
export const queueOption = (z: Zod) =>
  z.enum(['send', 'feedback']).optional();

  export function queuesFor(queue: DlqQueue | undefined): DlqQueue[] {
    return queue ? [queue] : ['send', 'feedback'];
  }

  /** The engine's DLQs (stack outputs, or the local runner) and its tracking records for the reasons. */
  export async function openDeadLetters(ctx: CommandContext) {
    const { openEngine } = await import('../../src/operations/engine-context.js');
    const target = await ctx.target();
    const engine = await openEngine(ctx.aws, target);
    const source = await target.deadLetters();
    return { engine, source };
  }
