import type { Command } from 'commander';
import type { Zod } from './runtime.js';
import { keyValueTable } from './terminal/render.js';
import { alarmStates } from '../src/stack/alarms.js';
import type { SendingControlResult } from '../src/operations/sending-control.js';
import { defineAction, type CommandContext, type Runtime } from './runtime.js';

const noOptions = (z: Zod) =>
  z.object({});

  const STATE_TEXT = { running: 'running', paused: 'paused', 'partly-paused': 'partly paused (one switch off)', unknown: 'unknown (neither switch could be read)' } as const;

/** The headline and both switches: what `pause` and `resume` print. */
export function renderSendingControl(r: SendingControlResult): string {
  const name = r.title.charAt(0).toUpperCase() + r.title.slice(1);
  const verb = r.action === 'pause' ? 'paused' : 'resumed';
  const head = r.changed ? `${name} is ${verb}.` : `${name} is already ${STATE_TEXT[r.state]}; nothing was changed.`;
  const rows: Array<[string, string | undefined]> = [
    ['state', STATE_TEXT[r.state]],
    [`configuration set ${r.configurationSet}`, r.configurationSetSending ? 'sending on' : 'sending off'],
    ['Sender queue mapping', r.senderMapping ? `${r.senderMapping.state} (${r.senderMapping.id})` : r.state === 'paused' ? 'not consuming' : 'consuming'],
  ];
  const requests = (n: number) => `${n} request${n === 1 ? '' : 's'}`;
  if (r.action === 'resume' && r.changed && r.waitingBefore !== undefined) rows.push(['had waited in the send queue', `${requests(r.waitingBefore)} (now being sent)`]);
  else if (r.waiting !== undefined) rows.push(['waiting in the send queue', requests(r.waiting)]);
  if (r.alarms) rows.push(['auto-pause alarms', r.alarms.length > 0 ? alarmStates(r.alarms) : 'none found']);
  const lines = [head, keyValueTable(rows)];
  if (r.action === 'pause' && r.state === 'paused') lines.push('Requests wait in the send queue (kept 14 days). `mailengine resume` sends them.');
  return [...lines, ...r.notes.map((n) => `Note: ${n}`)].join('\n');
}

/** Opens the engine's two switches (stack outputs, or the local runner). */
export async function openSendingTarget(ctx: CommandContext) {
  const engine = await ctx.target();
  const switches = await engine.sendingSwitches();
  return { resources: await engine.resources(), target: switches };
}

export function registerPause(program: Command, runtime: Runtime): void {
  program
    .command('pause')
    .description("stop sending: the configuration set's sending and the Sender's queue mapping, together; requests wait in the queue")
    .addHelpText('after', '\nAsks first on a terminal (default No); elsewhere pass --yes. Pausing a paused engine changes nothing. `mailengine resume` undoes it.')
    .action(
      defineAction(runtime, 'pause', noOptions, async (_options, ctx) => {
        const { pauseEngine } = await import('../src/operations/sending-control.js');
        const { resources, target } = await openSendingTarget(ctx);
        const result = await pauseEngine(target, resources.configurationSet, ctx.io);
        ctx.io.result(result, renderSendingControl);
      }),
    );
}
