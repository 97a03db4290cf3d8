import type { Command } from 'commander';
import type { Zod } from '../runtime.js';
import { exposureSentence } from '../../src/local/listening.js';
import type { StatusResult } from '../../src/local/status.js';
import { defineAction, type Runtime } from '../runtime.js';
import { shownPath } from './shared.js';
import { columns } from '../terminal/render.js';

const statusOptions = (z: Zod) =>
  z.object({});

  /** Where the part listens according to the socket table; `?` where that cannot be read. */
  function listeningCell(part: StatusResult['parts'][number]): string {
    if (part.state !== 'running') return '-';
    if (!part.listening) return '?';
    return part.listening.map((address) => (part.exposed?.includes(address) ? `${address} (EXPOSED)` : address)).join(', ') || 'nothing';
  }

  function render(result: StatusResult, cwd: string): string {
    const anyRunning = result.parts.some((p) => p.state === 'running');
    const lines = [
      columns(
        ['PART', 'STATE', 'HEALTHY', 'PID', 'ENDPOINT', 'LISTENING'],
        result.parts.map((p) => [p.label, p.state, p.state === 'running' ? (p.healthy ? 'yes' : 'NO') : '-', p.pid, p.endpoint, listeningCell(p)]),
      ),
    ];
    if (anyRunning) lines.push(`Inbox: ${result.inbox}`);
    for (const p of result.parts) {
      if (p.exposed?.length) lines.push(exposureSentence(p.label, p.exposed));
    }
    const unhealthy = result.parts.filter((p) => p.state === 'running' && !p.healthy);
    for (const p of unhealthy) lines.push(`${p.label} is running but not answering; its log: ${shownPath(cwd, p.log)}`);
    lines.push(anyRunning ? 'Stop it with `mailengine local down`.' : 'Start it with `mailengine local up`.');
    return lines.join('\n');
  }

  export function registerLocalStatus(local: Command, runtime: Runtime): void {
    local
      .command('status')
      .description('show which parts of the local stack run, where they listen, and whether they answer')
      .action(
        defineAction(runtime, 'local status', statusOptions, async (_options, ctx) => {
          const { localStackStatus } = await import('../../src/local/status.js');
          const result = await localStackStatus({ dir: ctx.runtime.cwd });
          ctx.io.result(result, (r) => render(r, ctx.runtime.cwd));
        }),
      );
  }
