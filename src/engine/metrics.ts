/**
 * Counters the handlers publish so alarms see what AWS/Lambda Errors cannot: a handler that hands
 * one message back, drops one, or is throttled on one still ends its invocation without an error.
 */

/** The CloudWatch namespace of the engine's own metrics (the template's alarms and dashboard read it). */
export const METRIC_NAMESPACE = 'Mailengine';

/** Extra dimensions for one data point; every key becomes part of the metric's identity. */
export type MetricDimensions = Record<string, string>;

/** Where the handlers count things: CloudWatch in Lambda, a list in tests, nothing by default. */
export interface EngineMetrics {
  count(name: string, value?: number, dimensions?: MetricDimensions): void;
}

/**
 * The names both handlers count under (namespace Mailengine, dimensions Stack and Function). The
 * template's alarms read them, so a rename here is a rename there.
 */
export const ENGINE_METRIC = {
  /**
   * A message that ended without its effect and will not be tried again. Sender: a request that
   * ended `failed`. Feedback: a message that is not an SES event (dropped with a log line).
   */
  failed: 'Failed',
  /** A message handed back to its queue for another delivery (a partial batch failure). */
  retried: 'Retried',
  /** An AWS call refused for its rate (SES SendEmail in the Sender, DynamoDB in Feedback). */
  throttled: 'Throttled',
  /**
   * A message the engine gives up on while it still matters. Sender: a request whose retries or
   * requeues ran out. Feedback: a message handed back on its last allowed receive, which SQS
   * moves to the DLQ next.
   */
  deadLettered: 'DeadLettered',
  /**
   * Feedback: an SES event whose tracking record was not found (erased, expired, never known)
   * once the index could no longer be lagging. Its suppression was applied; only the record
   * update was dropped.
   */
  unmatched: 'Unmatched',
} as const;

export type EngineMetricName = (typeof ENGINE_METRIC)[keyof typeof ENGINE_METRIC];

export const noMetrics: EngineMetrics = { count() {} };

/** Adds `dimensions` to every data point `inner` counts (the handler's own name, for one). */
export function withDimensions(inner: EngineMetrics, dimensions: MetricDimensions): EngineMetrics {
  return { count: (name, value = 1, extra = {}) => inner.count(name, value, { ...dimensions, ...extra }) };
}

export interface RecordedMetric {
  name: string;
  value: number;
  dimensions: MetricDimensions;
}

/** Keeps every data point in memory: for tests and the local runner. */
export class RecordingMetrics implements EngineMetrics {
  readonly points: RecordedMetric[] = [];

  count(name: string, value = 1, dimensions: MetricDimensions = {}): void {
    this.points.push({ name, value, dimensions });
  }

  /** The sum counted under `name`, limited to points carrying every dimension in `where`. */
  total(name: string, where: MetricDimensions = {}): number {
    return this.points
      .filter((p) => p.name === name && Object.entries(where).every(([k, v]) => p.dimensions[k] === v))
      .reduce((sum, p) => sum + p.value, 0);
  }
}

/**
 * CloudWatch embedded metric format: one JSON line per data point on stdout, which Lambda's log
 * group turns into a metric at no API cost. The dimension set is every dimension of the point,
 * so an alarm on {Stack, Function} sees exactly the points counted with those two.
 */
export function embeddedMetrics(options: { namespace: string; dimensions: MetricDimensions; write: (line: string) => void; now?: () => number }): EngineMetrics {
  const now = options.now ?? Date.now;
  return {
    count(name, value = 1, extra = {}) {
      const dimensions = { ...options.dimensions, ...extra };
      options.write(
        `${JSON.stringify({
          _aws: { Timestamp: now(), CloudWatchMetrics: [{ Namespace: options.namespace, Dimensions: [Object.keys(dimensions)], Metrics: [{ Name: name, Unit: 'Count' }] }] },
          ...dimensions,
          [name]: value,
        })}\n`,
      );
    },
  };
}
