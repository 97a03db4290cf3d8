/**
 * How big each benchmark runs. `full` is what `npm run bench` measures and the targets are set
 * for; `quick` only proves that the harness still works (the smoke test inside `npm test`).
 */
export interface BenchSizes {
  startupRuns: number;
  throughputRequests: number;
  /** Requests of the run with faults (throttling above R, a DynamoDB outage, a runner kill). */
  faultRequests: number;
  /** How long DynamoDB is away in that run. */
  faultOutageMs: number;
  /** The Sender's timeout in that run; the queues' visibility timeout is three times it. */
  faultFunctionTimeoutMs: number;
  /** The SES emulator's MaxSendRate, messages per second. */
  sendRate: number;
  renderSeconds: number;
  lookupSizes: [number, number];
  lookupRecipientEmails: number;
  lookupRuns: number;
  eraseSizes: [number, number];
  /** Runs of each erase size; the figure is their median. */
  eraseRuns: [number, number];
  pushTemplates: number;
  lambdaRuns: number;
  /** Latency at ordinary load: requests a second, and for how long. */
  latencyRate: number;
  latencySeconds: number;
}

export const FULL: BenchSizes = {
  startupRuns: 20,
  throughputRequests: 10_000,
  faultRequests: 3_000,
  faultOutageMs: 30_000,
  faultFunctionTimeoutMs: 10_000,
  // 10,000 at 50/s is about 3.5 minutes, which keeps the whole run inside 15 minutes on 2 cores.
  sendRate: 50,
  renderSeconds: 2,
  lookupSizes: [10_000, 100_000],
  lookupRecipientEmails: 20,
  lookupRuns: 30,
  eraseSizes: [1_000, 10_000],
  // One erase of 10,000 emails takes about 50 s and is itself an average over 10,000 emails: one
  // run is as steady as three of the small one, and two more would cost the run its 15 minutes.
  eraseRuns: [3, 1],
  pushTemplates: 200,
  lambdaRuns: 20,
  latencyRate: 20,
  latencySeconds: 60,
};

export const QUICK: BenchSizes = {
  startupRuns: 2,
  throughputRequests: 40,
  faultRequests: 40,
  faultOutageMs: 1_500,
  faultFunctionTimeoutMs: 10_000,
  sendRate: 20,
  renderSeconds: 0.1,
  lookupSizes: [200, 400],
  lookupRecipientEmails: 5,
  lookupRuns: 3,
  eraseSizes: [10, 20],
  eraseRuns: [2, 2],
  pushTemplates: 6,
  lambdaRuns: 2,
  latencyRate: 5,
  latencySeconds: 2,
};
