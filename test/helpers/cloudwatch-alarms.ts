import type { MetricAlarm } from '@aws-sdk/client-cloudwatch';

/**
 * An alarm as DescribeAlarms returns it (MetricAlarms[], CloudWatch API reference). StateReasonData
 * is the JSON CloudWatch writes when it evaluates a threshold alarm.
 */
export function autoPauseAlarm(stack: string, kind: 'bounce' | 'complaint', state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA', value: number, threshold: number, region = 'eu-west-1'): MetricAlarm {
  const name = `${stack}-${kind}-rate-auto-pause`;
  const verb = state === 'ALARM' ? 'was greater than or equal to' : 'was not greater than or equal to';
  return {
    AlarmName: name,
    AlarmArn: `arn:aws:cloudwatch:${region}:123456789012:alarm:${name}`,
    AlarmDescription: `mailengine prod: ${kind} rate reached ${threshold}; sending is paused.`,
    ActionsEnabled: true,
    AlarmActions: [`arn:aws:sns:${region}:123456789012:${stack}-auto-pause`, `arn:aws:sns:${region}:123456789012:${stack}-alarms`],
    OKActions: [`arn:aws:sns:${region}:123456789012:${stack}-alarms`],
    StateValue: state,
    StateReason: `Threshold Crossed: 1 datapoint [${value} (02/12/26 15:45:00)] ${verb} the threshold (${threshold}).`,
    StateReasonData: JSON.stringify({
      version: '1.0',
      queryDate: '2026-12-02T16:00:31.000+0000',
      startDate: '2026-12-02T15:45:00.000+0000',
      statistic: 'Maximum',
      period: 900,
      recentDatapoints: [value],
      threshold,
      evaluatedDatapoints: [{ timestamp: '2026-12-02T15:45:00.000+0000', sampleCount: 1, value }],
    }),
    StateUpdatedTimestamp: new Date('2026-12-02T16:00:31Z'),
    MetricName: kind === 'bounce' ? 'Reputation.BounceRate' : 'Reputation.ComplaintRate',
    Namespace: 'AWS/SES',
    Statistic: 'Maximum',
    Dimensions: [{ Name: 'ses:configuration-set', Value: stack }],
    Period: 900,
    EvaluationPeriods: 1,
    Threshold: threshold,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    TreatMissingData: 'notBreaching',
  };
}
