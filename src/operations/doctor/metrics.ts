import type { AwsClientFactory } from '../../aws/clients.js';

/** One CloudWatch metric to read the latest value of. */
export interface MetricQuery {
  /** GetMetricData query id: lower case first, letters, digits and underscores. */
  id: string;
  namespace: string;
  metric: string;
  dimensions: Record<string, string>;
  /** Seconds per datapoint. */
  period: number;
  stat: 'Maximum' | 'Average';
}

/**
 * The newest datapoint of each metric over the last `windowSeconds` (CloudWatch GetMetricData,
 * newest first), by query id; a metric with no datapoint in the window is absent. SQS reports
 * ApproximateAgeOfOldestMessage only to CloudWatch (GetQueueAttributes has no such attribute), and
 * SES its reputation rates, so both are read here in one call.
 */
export async function latestValues(aws: AwsClientFactory, queries: MetricQuery[], windowSeconds: number, now: number): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  if (queries.length === 0) return found;
  const { GetMetricDataCommand } = await import('@aws-sdk/client-cloudwatch');
  const cloudwatch = await aws.cloudwatch();
  let next: string | undefined;
  do {
    const out = await cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(now - windowSeconds * 1000),
        EndTime: new Date(now),
        ScanBy: 'TimestampDescending',
        NextToken: next,
        MetricDataQueries: queries.map((q) => ({
          Id: q.id,
          ReturnData: true,
          MetricStat: {
            Metric: { Namespace: q.namespace, MetricName: q.metric, Dimensions: Object.entries(q.dimensions).map(([Name, Value]) => ({ Name, Value })) },
            Period: q.period,
            Stat: q.stat,
          },
        })),
      }),
    );
    for (const result of out.MetricDataResults ?? []) {
      if (!result.Id || found.has(result.Id)) continue;
      // Newest first (ScanBy TimestampDescending): the first value is the latest.
      const value = result.Values?.[0];
      if (value !== undefined && Number.isFinite(value)) found.set(result.Id, value);
    }
    next = out.NextToken;
  } while (next);
  return found;
}
