/**
 * What retained data costs per month while nobody uses it. US East (N. Virginia) list prices when
 * this was written, like the README's cost table; other regions differ a little. The point is the
 * order of magnitude: cents for tables and logs, a fixed $0.40 for the secret, nothing for queues.
 */
export const RETAINED_PRICES_USD = {
  /** DynamoDB standard table class storage, per GB-month. */
  dynamodbStorageGbMonth: 0.25,
  /** Point-in-time recovery stays on for a retained table, per GB-month. */
  dynamodbPitrGbMonth: 0.2,
  s3StandardGbMonth: 0.023,
  secretMonth: 0.4,
  /** CloudWatch Logs archived storage, per GB-month. Queues cost nothing while idle. */
  logsStorageGbMonth: 0.03,
} as const;

const GB = 1024 ** 3;

export function monthlyCostUsd(type: string, sizeBytes: number | undefined): number {
  const gb = (sizeBytes ?? 0) / GB;
  switch (type) {
    case 'AWS::DynamoDB::Table':
      return gb * (RETAINED_PRICES_USD.dynamodbStorageGbMonth + RETAINED_PRICES_USD.dynamodbPitrGbMonth);
    case 'AWS::S3::Bucket':
      return gb * RETAINED_PRICES_USD.s3StandardGbMonth;
    case 'AWS::SecretsManager::Secret':
      return RETAINED_PRICES_USD.secretMonth;
    case 'AWS::Logs::LogGroup':
      return gb * RETAINED_PRICES_USD.logsStorageGbMonth;
    default:
      return 0;
  }
}

export function formatUsd(amount: number): string {
  if (amount > 0 && amount < 0.01) return 'under $0.01';
  return `$${amount.toFixed(2)}`;
}

export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return 'size unknown';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
