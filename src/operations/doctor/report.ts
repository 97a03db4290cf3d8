import { isMailengineError } from '../../errors.js';

/** A check's verdict: `skip` when it does not apply (the local stack has no SES account) or cannot run (no credentials). */
export type DoctorStatus = 'pass' | 'warn' | 'fail' | 'skip';

/** The groups checks are shown in, in this order. */
export const DOCTOR_GROUPS = ['local', 'access', 'stack', 'ses', 'domain', 'alerts', 'sending', 'queues', 'reputation', 'templates'] as const;
export type DoctorGroup = (typeof DOCTOR_GROUPS)[number];

export const GROUP_TITLES: Record<DoctorGroup, string> = {
  local: 'Local stack',
  access: 'AWS access',
  stack: 'Stack',
  ses: 'SES account',
  domain: 'Sending identity',
  alerts: 'Alerts',
  sending: 'Sending',
  queues: 'Queues',
  reputation: 'Reputation',
  templates: 'Templates',
};

/** One check: what was found and, unless it passed, what to do about it. */
export interface DoctorCheck {
  /** Stable, for scripts: `credentials`, `dkim`, `send-dlq`, `dns-dkim-1`, … */
  id: string;
  group: DoctorGroup;
  status: DoctorStatus;
  /** One line. */
  summary: string;
  /** What stands behind the verdict: values, limits, the reason SES gives. */
  detail?: string;
  /** A command to run or the console action that fixes it. */
  fix?: string;
}

export interface DoctorReport {
  target: 'aws' | 'local';
  stackName: string;
  region?: string;
  /** No check failed (warnings allowed). */
  ok: boolean;
  counts: Record<DoctorStatus, number>;
  checks: DoctorCheck[];
}

export function check(id: string, group: DoctorGroup, status: DoctorStatus, summary: string, extra: { detail?: string; fix?: string } = {}): DoctorCheck {
  return { id, group, status, summary, ...(extra.detail ? { detail: extra.detail } : {}), ...(extra.fix ? { fix: extra.fix } : {}) };
}

/** A check by id and group, and optionally what it checks, named when it is listed as not checked among checks that ran. */
export type CheckRef = readonly [id: string, group: DoctorGroup, label?: string];

/** Checks that cannot run because something before them failed or does not exist here. */
export function skipped(ids: ReadonlyArray<CheckRef>, why: string, detail?: string): DoctorCheck[] {
  return ids.map(([id, group, label]) => check(id, group, 'skip', why, { detail: detail ?? label }));
}

/**
 * Runs one part of the checks; a part that could not be read (denied, not found, the service did
 * not answer) is a failed check saying so, and the rest still run. The checks that come from the
 * same read (`dependents`) are then listed as not checked, so every id still appears. Anything
 * that is not a MailengineError is a bug and propagates.
 */
export async function attempt(
  id: string,
  group: DoctorGroup,
  what: string,
  run: () => Promise<DoctorCheck | DoctorCheck[]>,
  dependents: ReadonlyArray<CheckRef> = [],
): Promise<DoctorCheck[]> {
  try {
    const out = await run();
    return Array.isArray(out) ? out : [out];
  } catch (err) {
    if (!isMailengineError(err)) throw err;
    return [check(id, group, 'fail', `Could not read ${what}: ${err.message}`, { fix: err.suggestion }), ...skipped(dependents, `Not checked: ${what} could not be read`)];
  }
}

/** The checks in group order (stable within a group), counted. */
export function doctorReport(head: Pick<DoctorReport, 'target' | 'stackName' | 'region'>, checks: DoctorCheck[]): DoctorReport {
  const rank = (c: DoctorCheck) => DOCTOR_GROUPS.indexOf(c.group);
  const sorted = checks.map((c, i) => [c, i] as const).sort(([a, i], [b, j]) => rank(a) - rank(b) || i - j).map(([c]) => c);
  const counts: Record<DoctorStatus, number> = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const c of sorted) counts[c.status] += 1;
  return { target: head.target, stackName: head.stackName, ...(head.region ? { region: head.region } : {}), ok: counts.fail === 0, counts, checks: sorted };
}

/** "3 s", "4 min", "2.5 h", "3 days". */
export function age(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 2 * 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 2 * 86_400) return `${Number((seconds / 3600).toFixed(1))} h`;
  return `${Math.round(seconds / 86_400)} days`;
}

/** SES reputation rates are fractions: 0.0312 is "3.12 %". */
export function percent(rate: number): string {
  return `${Number((rate * 100).toPrecision(3))} %`;
}
