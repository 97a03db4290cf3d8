import { runnerSends, runnerState } from '../src/local/runner/client.js';
import { benchRequests, publishRequests, PUBLISHERS, seedStarters, waitForOutcomes } from './lib/engine-run.js';
import { atLeast, atMost, figure, type BenchResult } from './lib/figures.js';
import type { BenchSizes } from './lib/sizes.js';
import type { BenchStack } from './lib/stack.js';
import { median, percentile, ratio, round } from './lib/stats.js';

/** The published SESMailEngine run this engine is compared with. */
export const REFERENCE = { emails: 10_000, perSecond: 11.6, source: 'SESMailEngine product, published run' } as const;

/**
 * Engine throughput: N requests published at once through the runner's PutEvents endpoint with
 * the real EventBridge client, the real Sender and Feedback behind it, and SES limited to R sends
 * a second (over it SES answers 429, as an account's MaxSendRate does). The backlog keeps the
 * Sender saturated, so the achieved rate is what the engine gets out of R.
 */
export async function benchThroughput(sizes: BenchSizes, bench: BenchStack): Promise<BenchResult> {
  const began = performance.now();
  const endpoint = bench.stack.endpoints.eventbridge;
  const state = await runnerState(endpoint);
  if (!state.engine.configured) throw new Error(`the engine runner is not configured: ${state.engine.reason ?? 'unknown'}`);
  const templates = await seedStarters(bench);
  const n = sizes.throughputRequests;
  const rate = sizes.sendRate;
  const prefix = `tp-${Date.now().toString(36)}-`;
  const entries = benchRequests({ prefix, n, bus: state.engine.bus, templates });
  const publishBegan = Date.now();
  const publishedAt = await publishRequests(endpoint, entries);
  const publishMs = Date.now() - publishBegan;

  // The deadline (three times the time R allows, plus two minutes) only stops a run that is stuck.
  const { state: finalState, records } = await waitForOutcomes(bench, endpoint, prefix, publishedAt.keys(), publishBegan + (n / rate) * 3000 + 120_000);
  const waitedForOutcomesMs = Date.now() - publishBegan;
  const sender = finalState.functions.sender;
  const stuck = finalState.queues.send.visible + finalState.queues.send.inFlight + finalState.queues.send.delayed;
  const deadLettered = finalState.queues.sendDlq.visible + finalState.queues.sendDlq.inFlight;
  const sesCalls = finalState.ses.accepted - state.ses.accepted + (finalState.ses.throttled - state.ses.throttled);
  const refusedShare = (finalState.ses.throttled - state.ses.throttled) / Math.max(1, sesCalls);

  const sends = (await runnerSends(endpoint)).filter((s) => s.emailId?.startsWith(prefix));
  const perEmail = new Map<string, number>();
  for (const s of sends) perEmail.set(s.emailId!, (perEmail.get(s.emailId!) ?? 0) + 1);
  const duplicates = [...perEmail.values()].reduce((d, c) => d + Math.max(0, c - 1), 0);
  const times = sends.map((s) => Date.parse(s.at)).sort((a, b) => a - b);
  const spanS = times.length > 1 ? (times[times.length - 1] - times[0]) / 1000 : Number.NaN;
  // n-1 intervals between n sends: the first send opens the window, it does not fill it.
  const achieved = times.length > 1 ? (times.length - 1) / spanS : Number.NaN;

  const lost = [...publishedAt.keys()].filter((id) => !records.get(id)?.sentAt).length;
  const recordLatency = [...records.values()].filter((r) => r.sentAt).map((r) => Date.parse(r.sentAt!) - Date.parse(r.createdAt));
  const firstSend = new Map<string, number>();
  for (const s of sends) if (!firstSend.has(s.emailId!)) firstSend.set(s.emailId!, Date.parse(s.at));
  const publishLatency = [...firstSend].map(([id, at]) => at - (publishedAt.get(id) ?? Number.NaN)).filter(Number.isFinite);
  const seconds = (ms: number) => round(ms / 1000, 2);

  return {
    bench: 'throughput',
    title: 'Engine throughput (local stack)',
    figures: [
      figure('throughput.requests', 'requests published', publishedAt.size, 'requests'),
      figure('throughput.publish_per_second', 'PutEvents publishing rate (batches of 10)', round((n / publishMs) * 1000, 1), 'requests/s'),
      figure('throughput.send_rate', 'achieved send rate', round(achieved, 2), 'emails/s'),
      figure('throughput.send_rate_fraction', `achieved send rate / R (R = ${rate}/s)`, round(ratio(achieved, rate), 3), 'ratio', atLeast(0.9)),
      figure('throughput.reference_ratio', `achieved send rate / the reference ${REFERENCE.perSecond} emails/s`, round(ratio(achieved, REFERENCE.perSecond), 2), 'ratio'),
      figure('throughput.latency_p50_s', 'request → sent latency p50 (record createdAt → sentAt)', seconds(percentile(recordLatency, 50)), 's'),
      figure('throughput.latency_p99_s', 'request → sent latency p99 (record createdAt → sentAt)', seconds(percentile(recordLatency, 99)), 's'),
      figure('throughput.publish_to_ses_p50_s', 'PutEvents answered → SES accepted, p50', seconds(median(publishLatency)), 's'),
      figure('throughput.publish_to_ses_p99_s', 'PutEvents answered → SES accepted, p99', seconds(percentile(publishLatency, 99)), 's'),
      figure('throughput.duplicates', 'duplicate SendEmail calls (SES calls beyond one per emailId)', duplicates, 'sends', atMost(0)),
      figure('throughput.lost', 'lost requests (no record with sentAt)', lost, 'requests', atMost(0)),
      figure('throughput.dead_lettered', 'requests in the send DLQ', deadLettered, 'requests', atMost(0)),
      figure('throughput.failed_invocations', 'Sender invocations that failed or timed out', sender?.failedInvocations ?? 0, 'invocations', atMost(0)),
      figure('throughput.ses_refused_share', 'SendEmail calls SES refused as over the rate (429) / all SendEmail calls', round(refusedShare, 4), 'ratio', atMost(0.05)),
    ],
    params: {
      requests: n,
      maxSendRate: rate,
      stillQueued: stuck,
      senderInvocations: sender?.invocations ?? 0,
      publishers: PUBLISHERS,
      sendSpanSeconds: round(spanS, 1),
      sends: sends.length,
      sendEmailCalls: sesCalls,
      refusedCalls: finalState.ses.throttled - state.ses.throttled,
      secondsUntilEveryOutcome: round(waitedForOutcomesMs / 1000, 1),
      reference: REFERENCE,
    },
    notes: [
      `Reference: the ${REFERENCE.source} processed ${REFERENCE.emails.toLocaleString('en-US')} emails at ${REFERENCE.perSecond} emails/s.`,
      `All ${n.toLocaleString('en-US')} requests are published at once, so latency is mostly the wait in the send queue behind the backlog (about N / 2R at the median); it shows the engine drains in order, not its per-email overhead.`,
      'createdAt is the request event\'s time (whole seconds); "PutEvents answered → SES accepted" uses millisecond clocks on both ends.',
      'The bench waits until every request has an outcome on its record and the runner is idle, not for a quiet spell; the Sender paces itself to R (one Sender in the local runner: the whole rate).',
      ...(lost > 0 ? [`Sending stopped before every request was sent: ${stuck} requests were still in the send queue (visible or in flight) when the bench gave up, and ${sender?.failedInvocations ?? 0} Sender invocations had failed. See the runner log (.mailengine/local/logs/eventbridge.log) of a kept stack.`] : []),
    ],
    tookMs: performance.now() - began,
  };
}
