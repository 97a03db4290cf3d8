/** How many S3 requests a templates command keeps in flight: enough to hide latency, well under S3's limits. */
export const S3_CONCURRENCY = 8;
