import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { buildFeedbackDeps, buildSenderDeps, type EngineSettings } from '../../src/engine/deps.js';
import { embeddedMetrics, ENGINE_METRIC, METRIC_NAMESPACE, RecordingMetrics, withDimensions } from '../../src/engine/metrics.js';

describe('engine metrics', () => {
  it('writes one embedded-metric-format line per data point, every dimension in the set', () => {
    const lines: string[] = [];
    const metrics = embeddedMetrics({ namespace: METRIC_NAMESPACE, dimensions: { Stack: 'shop-prod' }, write: (line) => lines.push(line), now: () => 1_700_000_000_000 });
    withDimensions(metrics, { Function: 'feedback' }).count(ENGINE_METRIC.retried);
    metrics.count('Emails', 2, { Status: 'sent' });
    expect(lines.every((line) => line.endsWith('\n') && !line.slice(0, -1).includes('\n'))).toBe(true);
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      {
        _aws: { Timestamp: 1_700_000_000_000, CloudWatchMetrics: [{ Namespace: 'Mailengine', Dimensions: [['Stack', 'Function']], Metrics: [{ Name: 'Retried', Unit: 'Count' }] }] },
        Stack: 'shop-prod',
        Function: 'feedback',
        Retried: 1,
      },
      {
        _aws: { Timestamp: 1_700_000_000_000, CloudWatchMetrics: [{ Namespace: 'Mailengine', Dimensions: [['Stack', 'Status']], Metrics: [{ Name: 'Emails', Unit: 'Count' }] }] },
        Stack: 'shop-prod',
        Status: 'sent',
        Emails: 2,
      },
    ]);
  });

  it('records points and sums them by name and dimensions', () => {
    const metrics = new RecordingMetrics();
    metrics.count('Retried');
    metrics.count('Retried', 2, { Function: 'sender' });
    metrics.count('Failed', 1, { Function: 'sender' });
    expect(metrics.total('Retried')).toBe(3);
    expect(metrics.total('Retried', { Function: 'sender' })).toBe(2);
    expect(metrics.total('Throttled')).toBe(0);
  });

  it('gives each handler its own Function dimension, and a no-op when none is configured', () => {
    const recorded = new RecordingMetrics();
    const settings = {
      clients: { dynamodb: new DynamoDBClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }), s3: { send: async () => ({}) }, sesv2: { send: async () => ({}) } },
      trackingTable: 't',
      suppressionTable: 's',
      templatesBucket: 'b',
      configurationSet: 'c',
      defaultFrom: { email: 'a@example.com' },
      softBounceThreshold: 3,
      retentionDays: 90,
    } as unknown as EngineSettings;
    buildSenderDeps({ ...settings, metrics: recorded }).metrics?.count(ENGINE_METRIC.throttled);
    buildFeedbackDeps({ ...settings, metrics: recorded }).metrics?.count(ENGINE_METRIC.failed);
    expect(recorded.points).toEqual([
      { name: 'Throttled', value: 1, dimensions: { Function: 'sender' } },
      { name: 'Failed', value: 1, dimensions: { Function: 'feedback' } },
    ]);
    expect(() => buildSenderDeps(settings).metrics?.count(ENGINE_METRIC.retried)).not.toThrow();
  });
});
