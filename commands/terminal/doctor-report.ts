import { DOCTOR_GROUPS, GROUP_TITLES, type DoctorReport, type DoctorStatus } from '../../src/operations/doctor/index.js';

const MARK: Record<DoctorStatus, string> = { pass: '✔', warn: '!', fail: '✖', skip: '–' };

const indent = (text: string, by: string) => text.split('\n').map((line) => `${by}${line}`).join('\n');

/**
 * `doctor`'s checks by group, one line each with its mark (✔ pass, ! warn, ✖ fail, – not
 * checked), what stands behind a warning or failure beneath it, and the fix. Groups that could
 * not be checked for one reason (no credentials, no stack) are named together in one line.
 */
export function renderDoctorReport(report: DoctorReport): string {
  const where = report.target === 'local' ? `the local engine ${report.stackName}` : `stack ${report.stackName}${report.region ? ` in ${report.region}` : ''}`;
  const lines = [`Checked ${where}.`];
  /** Groups none of whose checks ran for one reason ("Not checked: it needs working AWS access"), by that reason. */
  const notChecked = new Map<string, string[]>();
  for (const group of DOCTOR_GROUPS) {
    const checks = report.checks.filter((c) => c.group === group);
    if (checks.length === 0) continue;
    if (checks.every((c) => c.status === 'skip') && new Set(checks.map((c) => c.summary)).size === 1) {
      notChecked.set(checks[0].summary, [...(notChecked.get(checks[0].summary) ?? []), GROUP_TITLES[group]]);
      continue;
    }
    lines.push('', GROUP_TITLES[group]);
    for (const c of checks) {
      lines.push(`  ${MARK[c.status]} ${c.summary}${c.status === 'skip' && c.detail ? ` (${c.detail})` : ''}`);
      if (c.detail && (c.status === 'warn' || c.status === 'fail')) lines.push(indent(c.detail, '      '));
      if (c.fix && c.status !== 'pass' && c.status !== 'skip') lines.push(indent(`fix: ${c.fix}`, '      '));
    }
  }
  for (const [summary, groups] of notChecked) {
    const line = summary.startsWith('Not checked: ') ? `Not checked (${summary.slice('Not checked: '.length)})` : summary;
    lines.push('', `${MARK.skip} ${line}: ${groups.join(', ')}`);
  }
  const { pass, warn, fail, skip } = report.counts;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  lines.push('', `${pass} passed, ${plural(warn, 'warning')}, ${fail} failed${skip ? `, ${skip} not checked` : ''}.`);
  return lines.join('\n');
}
