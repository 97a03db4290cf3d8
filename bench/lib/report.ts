import type { BenchResult, Figure } from './figures.js';

export interface BenchReport {
  version: 1;
  mode: 'full' | 'quick';
  startedAt: string;
  tookMs: number;
  /** `loadAverage`: the 1-minute load average when the run began and when it ended; above the CPU count, other work competed for the cores. */
  machine: { cpus: number; cpuModel: string; node: string; platform: string; loadAverage?: { atStart: number; atEnd: number } };
  /** The benchmarks run, when not all of them (`--only`). */
  only?: string[];
  results: BenchResult[];
  /** Benchmarks that threw: their figures are missing, which is itself a miss. */
  errors: Array<{ bench: string; message: string }>;
  /** Ids of the figures that missed their target. */
  misses: string[];
}

const fmt = (n: number) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: 3 }) : String(n));

function target(f: Figure): string {
  if (!f.target) return '';
  return `${f.target.kind === 'max' ? '≤' : '≥'} ${fmt(f.target.value)}`;
}

function verdict(f: Figure): string {
  if (f.pass === undefined) return '';
  return f.pass ? 'pass' : '**MISS**';
}

/** The markdown summary: misses first, then one table per benchmark. */
export function renderMarkdown(report: BenchReport): string {
  const lines: string[] = [];
  lines.push(`# mailengine benchmarks (${report.mode})`, '');
  const load = report.machine.loadAverage ? ` Load average ${fmt(report.machine.loadAverage.atStart)} at the start, ${fmt(report.machine.loadAverage.atEnd)} at the end.` : '';
  const only = report.only ? ` Only ${report.only.join(', ')} (\`--only=${report.only.join(',')}\`).` : '';
  lines.push(`Run ${report.startedAt}, ${fmt(Math.round(report.tookMs / 1000))} s in all, on ${report.machine.cpus} × ${report.machine.cpuModel}, Node ${report.machine.node}.${load}${only} Reproduce with \`npm run bench\`.`, '');
  const byId = new Map(report.results.flatMap((r) => r.figures.map((f) => [f.id, f] as const)));
  if (report.misses.length === 0 && report.errors.length === 0) {
    lines.push('**Every figure meets its target.**', '');
  } else {
    lines.push('## Missed targets', '');
    for (const id of report.misses) {
      const f = byId.get(id)!;
      lines.push(`- \`${id}\`: ${f.label} = ${fmt(f.value)} ${f.unit}, target ${target(f)}`);
    }
    for (const e of report.errors) lines.push(`- \`${e.bench}\` did not finish: ${e.message}`);
    lines.push('');
  }
  for (const r of report.results) {
    lines.push(`## ${r.title}`, '', '| figure | value | target | result |', '|---|---:|---|---|');
    for (const f of r.figures) lines.push(`| ${f.label} | ${fmt(f.value)} ${f.unit} | ${target(f)} | ${verdict(f)} |`);
    lines.push('');
    for (const note of r.notes) lines.push(`- ${note}`);
    lines.push(`- Settings: ${Object.entries(r.params).map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(', ')}; took ${fmt(Math.round(r.tookMs / 1000))} s.`, '');
  }
  return lines.join('\n');
}
