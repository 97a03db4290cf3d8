import type { Command } from 'commander';
import type { Zod } from './runtime.js';
import { dataTable, formatRate } from './terminal/render.js';
import type { DayStats, LatencyStats, StatsReport } from '../src/operations/stats.js';
import { defineAction, type Runtime } from './runtime.js';

const daysOption = (z: Zod) =>
  z
    .string()
    .regex(/^\d+$/, { message: 'is not a whole number' })
    .transform(Number)
    .pipe(z.number().int().min(1, { message: 'must be 1 to 365' }).max(365, { message: 'must be 1 to 365' }));

const statsOptions = (z: Zod) =>
  z.object({ days: daysOption(z).default(7) });

  const BAR_WIDTH = 40;

/** Cents, or four decimals for amounts under a cent, so a small test volume does not show as $0.00. */
const dollars = (amount: number) => `$${amount.toFixed(amount > 0 && amount < 0.01 ? 4 : 2)}`;
const n = (value: number) => value.toLocaleString('en-US');

function duration(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/** One bar per day, scaled to the busiest day; a day with any email gets at least a sliver. */
export function dayChart(days: readonly DayStats[]): string {
  const max = Math.max(0, ...days.map((d) => d.requests));
  const width = String(n(max)).length;
  return days
    .map((d) => {
      const length = max === 0 ? 0 : Math.max(d.requests > 0 ? 1 : 0, Math.round((d.requests / max) * BAR_WIDTH));
      const trouble = [d.bounced ? `${n(d.bounced)} bounced` : '', d.complained ? `${n(d.complained)} complained` : '', d.failed ? `${n(d.failed)} failed` : ''].filter(Boolean).join(', ');
      return `${d.day}  ${'█'.repeat(length).padEnd(BAR_WIDTH)}  ${n(d.requests).padStart(width)}${trouble ? `  (${trouble})` : ''}`.trimEnd();
    })
    .join('\n');
}

function latencyRow(label: string, l: LatencyStats): [string, string, string, string] {
  return [label, duration(l.p50Ms), duration(l.p95Ms), n(l.count)];
}

export function renderStats(r: StatsReport): string {
  const where = r.title;
  const head = `Last ${r.days} day${r.days === 1 ? '' : 's'} for ${where}: ${r.since.slice(0, 10)} – ${r.until.slice(0, 16).replace('T', ' ')} UTC`;
  if (r.counts.requests === 0) return `${head}\nNo emails in this period.`;
  const c = r.counts;
  const counts = dataTable(
    ['', 'emails', 'rate', 'of'],
    [
      ['requests', n(c.requests), '', ''],
      ['sent', n(c.sent), '', ''],
      ['delivered', n(c.delivered), formatRate(r.rates.delivered), 'sent'],
      ['bounced', n(c.bounced), formatRate(r.rates.bounced), 'sent'],
      ['complained', n(c.complained), formatRate(r.rates.complained), 'sent'],
      ['opened', n(c.opened), formatRate(r.rates.opened), 'delivered'],
      ['clicked', n(c.clicked), formatRate(r.rates.clicked), 'delivered'],
      ['failed', n(c.failed), formatRate(r.rates.failed), 'requests'],
      ['suppressed', n(c.suppressed), formatRate(r.rates.suppressed), 'requests'],
      ...(c.rejected ? [['rejected by SES', n(c.rejected), '', '']] : []),
      ...(c.pending ? [['still on the way', n(c.pending), '', '']] : []),
      ...(c.scheduled ? [['scheduled for later', n(c.scheduled), '', '']] : []),
      ...(c.cancelled ? [['cancelled before sending', n(c.cancelled), '', '']] : []),
    ],
    { align: ['left', 'right', 'right', 'left'] },
  );
  const latency = dataTable(
    ['latency', 'p50', 'p95', 'emails'],
    [latencyRow('request → sent', r.latency.requestToSent), latencyRow('sent → delivered', r.latency.sentToDelivered), latencyRow('request → delivered', r.latency.requestToDelivered)],
    { align: ['left', 'right', 'right', 'right'] },
  );
  const cost = [`Estimated cost: ${dollars(r.cost.totalUsd)}`, ...r.cost.lines.map((l) => `  ${l.item}: ${l.arithmetic}`), `  (${r.cost.note})`].join('\n');
  return [head, counts, latency, cost, `Requests per day:\n${dayChart(r.perDay)}`].join('\n\n');
}

export function registerStats(program: Command, runtime: Runtime): void {
  program
    .command('stats')
    .description('sent, delivered, bounced, complained, opened, clicked, failed and suppressed, with rates, latency, estimated cost and a per-day chart')
    .option('--days <n>', 'the last N UTC days, today included (1-365)', '7')
    .addHelpText(
      'after',
      "\nRead from the tracking table's by-day index (Queries, never a Scan). Rates of delivery, bounces and complaints are of emails sent;\nopens and clicks of emails delivered. The cost uses the us-east-1 prices in docs/reference.md.",
    )
    .action(
      defineAction(runtime, 'stats', statsOptions, async (options, ctx) => {
        const { openEngine } = await import('../src/operations/engine-context.js');
        const { collectStats } = await import('../src/operations/stats.js');
        const engine = await openEngine(ctx.aws, await ctx.target());
        const progress = ctx.io.progress('stats.read', `Reading ${options.days} day${options.days === 1 ? '' : 's'} of tracking records ${engine.where}`);
        let report: StatsReport;
        try {
          report = await collectStats(engine.stores.tracking, { stackName: engine.resources.stackName, local: engine.target.local, title: engine.target.title, days: options.days });
        } catch (err) {
          progress.fail();
          throw err;
        }
        progress.succeed(`Read ${report.counts.requests.toLocaleString('en-US')} tracking records.`);
        ctx.io.result(report, renderStats);
      }),
    );
}
