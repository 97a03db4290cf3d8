import type { MetricAlarm } from '@aws-sdk/client-cloudwatch';
import type { AwsClientFactory } from '../aws/clients.js';

/** One of the alarms that pause the engine (their actions include the stack's auto-pause topic). */
export interface AutoPauseAlarm {
  name: string;
  /** OK, ALARM or INSUFFICIENT_DATA. */
  state: string;
  namespace?: string;
  metric?: string;
  threshold?: number;
  /** The latest value the alarm evaluated, when CloudWatch says. */
  value?: number;
  comparison?: string;
  since?: string;
  reason?: string;
}

/** One of the stack's alarms: those that notify its alarm topic, the auto-pause ones among them. */
export interface StackAlarm extends AutoPauseAlarm {
  /** Its actions include the stack's auto-pause topic: in ALARM it pauses the engine. */
  pauses: boolean;
}

/** The template names the topics `<stack>-auto-pause` and `<stack>-alarms`. */
function notifies(alarm: MetricAlarm, stackName: string, topic: 'auto-pause' | 'alarms'): boolean {
  return (alarm.AlarmActions ?? []).some((arn) => arn.startsWith('arn:') && arn.endsWith(`:${stackName}-${topic}`));
}

/**
 * The value the alarm last evaluated: StateReasonData (JSON) carries `recentDatapoints`; older
 * alarms only say it in StateReason ("1 datapoint [0.062 (02/12/26 16:00:00)] was greater than…").
 */
function latestValue(alarm: MetricAlarm): number | undefined {
  try {
    const data = JSON.parse(alarm.StateReasonData ?? '{}') as { recentDatapoints?: unknown[]; evaluatedDatapoints?: Array<{ value?: unknown }> };
    const recent = data.recentDatapoints?.at(-1) ?? data.evaluatedDatapoints?.[0]?.value;
    if (typeof recent === 'number') return recent;
  } catch {
    // Not JSON: fall back to the text.
  }
  const match = /\[([-+0-9.eE]+) \(/.exec(alarm.StateReason ?? '');
  return match ? Number(match[1]) : undefined;
}

/** The stack's auto-pause alarms and their states (CloudWatch DescribeAlarms). */
export async function readAutoPauseAlarms(aws: AwsClientFactory, stackName: string): Promise<AutoPauseAlarm[]> {
  return (await readStackAlarms(aws, stackName)).filter((a) => a.pauses).map(({ pauses: _pauses, ...alarm }) => alarm);
}

/** Every alarm of the stack (named `<stack>-…`, acting on its alarm or auto-pause topic) and its state. */
export async function readStackAlarms(aws: AwsClientFactory, stackName: string): Promise<StackAlarm[]> {
  const { DescribeAlarmsCommand } = await import('@aws-sdk/client-cloudwatch');
  const cloudwatch = await aws.cloudwatch();
  const found: StackAlarm[] = [];
  let next: string | undefined;
  do {
    const page = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: `${stackName}-`, AlarmTypes: ['MetricAlarm'], NextToken: next }));
    for (const alarm of page.MetricAlarms ?? []) {
      const pauses = notifies(alarm, stackName, 'auto-pause');
      if (!pauses && !notifies(alarm, stackName, 'alarms')) continue;
      const value = latestValue(alarm);
      found.push({
        name: alarm.AlarmName ?? '',
        state: alarm.StateValue ?? 'INSUFFICIENT_DATA',
        ...(alarm.Namespace ? { namespace: alarm.Namespace } : {}),
        ...(alarm.MetricName ? { metric: alarm.MetricName } : {}),
        ...(alarm.Threshold !== undefined ? { threshold: alarm.Threshold } : {}),
        ...(value !== undefined && Number.isFinite(value) ? { value } : {}),
        ...(alarm.ComparisonOperator ? { comparison: alarm.ComparisonOperator } : {}),
        ...(alarm.StateUpdatedTimestamp ? { since: alarm.StateUpdatedTimestamp.toISOString() } : {}),
        ...(alarm.StateReason ? { reason: alarm.StateReason } : {}),
        pauses,
      });
    }
    next = page.NextToken;
  } while (next);
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

/** SES reputation rates are fractions (0.05 = 5 %); say them as percentages. */
function amount(metric: string | undefined, n: number): string {
  if (metric?.startsWith('Reputation.')) return `${Number((n * 100).toPrecision(3))} %`;
  return String(Number(n.toPrecision(4)));
}

/** "Reputation.BounceRate is 6.2 %, 1.2 percentage points over the auto-pause threshold of 5 %". */
export function describeAlarm(alarm: AutoPauseAlarm): string {
  const metric = alarm.metric ?? alarm.name;
  const rate = alarm.metric?.startsWith('Reputation.');
  if (alarm.value === undefined || alarm.threshold === undefined) {
    return `${metric} is at or over the auto-pause threshold${alarm.threshold === undefined ? '' : ` of ${amount(alarm.metric, alarm.threshold)}`} (alarm ${alarm.name}${alarm.reason ? `: ${alarm.reason}` : ''})`;
  }
  const over = alarm.value - alarm.threshold;
  const by = rate ? `${Number((over * 100).toPrecision(3))} percentage points` : amount(alarm.metric, over);
  return `${metric} is ${amount(alarm.metric, alarm.value)}, ${by} over the auto-pause threshold of ${amount(alarm.metric, alarm.threshold)} (alarm ${alarm.name}, in ALARM since ${alarm.since ?? 'unknown'})`;
}

/** One line per alarm, for `info`, `pause` and `resume`. */
export function alarmStates(alarms: AutoPauseAlarm[]): string {
  return alarms.map((a) => `${a.name} ${a.state}${a.state === 'ALARM' && a.value !== undefined ? ` (${amount(a.metric, a.value)})` : ''}`).join('\n');
}
