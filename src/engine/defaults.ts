/**
 * The engine's defaults, each written once. The Lambda handlers fall back on them when a variable
 * is missing from their environment, the local runner when its template does not say, and the CLI
 * quotes them. Where `cfn/mailengine.yaml` has a parameter for one, its `Default` must be the same
 * number (a test compares them).
 */
export const ENGINE_DEFAULTS = {
  /** Consecutive soft bounces, with no delivery between them, after which an address is suppressed (SoftBounceThreshold). */
  softBounceThreshold: 3,
  /** Days a tracking record and its history are kept before DynamoDB TTL removes them (DataRetentionDays). */
  dataRetentionDays: 90,
  /** The longest DataRetentionDays the template allows: no record is older. */
  maxDataRetentionDays: 365,
  /** Reputation.BounceRate (0-1) at which the admin is warned (BounceRateWarnThreshold). */
  bounceRateWarnThreshold: 0.02,
  /** Reputation.BounceRate at which the engine pauses itself (BounceRatePauseThreshold). */
  bounceRatePauseThreshold: 0.04,
  /** Reputation.ComplaintRate (0-1) at which the admin is warned (ComplaintRateWarnThreshold). */
  complaintRateWarnThreshold: 0.0005,
  /** Reputation.ComplaintRate at which the engine pauses itself (ComplaintRatePauseThreshold). */
  complaintRatePauseThreshold: 0.0008,
  /** Records of one SQS batch the Sender works on at once. */
  senderParallelism: 10,
} as const;
