import type { Command } from 'commander';
import type { Zod } from '../runtime.js';
import type { DownResult } from '../../src/local/down.js';
import { defineAction, type Runtime } from '../runtime.js';
import { shownPath } from './shared.js';

const downOptions = (z: Zod) =>
  z.object({
    purge: z.boolean().default(false),
  });

function render(result: DownResult, cwd: string): string {
  const stopped = result.parts.filter((p) => p.state === 'stopped');
  const lines =
    stopped.length === 0
      ? ['The local stack was not running.']
      : stopped.map((p) => `Stopped ${p.label} (pid ${p.pid}${p.signal === 'SIGKILL' ? ', killed after the grace period' : ''}).`);
  for (const dir of result.purged) lines.push(`Deleted ${shownPath(cwd, dir)}.`);
  return lines.join('\n');
}

export function registerLocalDown(local: Command, runtime: Runtime): void {
  local
    .command('down')
    .description('stop every part of the local stack and make sure none is left running')
    .option('--purge', 'also delete the local tables and buckets')
    .action(
      defineAction(runtime, 'local down', downOptions, async (options, ctx) => {
        const { downLocalStack } = await import('../../src/local/down.js');
        const result = await downLocalStack({ dir: ctx.runtime.cwd, purge: options.purge }, ctx.io);
        ctx.io.result(result, (r) => render(r, ctx.runtime.cwd));
      }),
    );
}
