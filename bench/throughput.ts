import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_REGION } from '../src/config/settings.js';
import { LOCAL_CREDENTIALS } from '../src/local/index.js';
import { runnerSends, runnerState } from '../src/local/runner/client.js';
import { RECORD_SORT_KEY, TRACKING_TABLE } from '../src/engine/tables.js';
import { STARTER_DIR_NAME } from '../src/templates/init.js';
import { preparePushSource } from '../src/templates/push-source.js';
import { pushTemplates } from '../src/templates/push.js';
import { listTemplateNames } from '../src/templates/store.js';
import type { TrackingRecord } from '../src/tracking/record.js';
import { atLeast, atMost, figure, type BenchResult } from './lib/figures.js';
import { ROOT } from './lib/paths.js';
import type { BenchSizes } from './lib/sizes.js';
import { silentIo, type BenchStack } from './lib/stack.js';
import { median, percentile, ratio, round } from './lib/stats.js';

/** The published SESMailEngine run this engine is compared with. */
export const REFERENCE = { emails: 10_000, perSecond: 11.6, source: 'SESMailEngine product, published run' } as const;

/** Statuses a request is still on its way in; every other one is an outcome. */
const IN_FLIGHT = new Set(['queued', 'sending', 'scheduled']);

/** PutEvents calls in flight at once while publishing. */
const PUBLISHERS = 4;

/** Pushes the starters as `templates push` does and returns each one's sampleData. */
async function seedStarters(bench: BenchStack): Promise<Array<{ name: string; data: Record<string, unknown> }>> {
  const dir = join(ROOT, STARTER_DIR_NAME);
  const names = listTemplateNames(dir);
  const report = await pushTemplates({ s3: bench.s3, bucket: bench.names.templatesBucket, source: preparePushSource({ dir, displayDir: STARTER_DIR_NAME, names }), io: silentIo });
  if (!report.ok) throw new Error(`seeding the starter templates failed: ${JSON.stringify(report.counts)}`);
  return names.map((name) => {
    const metadata = JSON.parse(readFileSync(join(dir, name, 'metadata.json'), 'utf8')) as { sampleData?: Record<string, unknown> };
    return { name, data: metadata.sampleData ?? {} };
  });
}

/** Every tracking record of this run (a Scan: the bench reads the whole table once, at the end). */
async function readRecords(bench: BenchStack, prefix: string): Promise<Map<string, TrackingRecord>> {
  const records = new Map<string, TrackingRecord>();
  let start: Record<string, unknown> | undefined;
  do {
    const out = await bench.db.send(
      new ScanCommand({
        TableName: bench.names.trackingTable,
        FilterExpression: '#sk = :record AND begins_with(emailId, :prefix)',
        ExpressionAttributeNames: { '#sk': TRACKING_TABLE.sortKey },
        ExpressionAttributeValues: { ':record': RECORD_SORT_KEY, ':prefix': prefix },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of out.Items ?? []) records.set(String(item.emailId), item as TrackingRecord);
    start = out.LastEvaluatedKey;
  } while (start);
  return records;
}

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
  const entries: PutEventsRequestEntry[] = Array.from({ length: n }, (_, i) => {
    const t = templates[i % templates.length];
    return {
      EventBusName: state.engine.bus,
      Source: 'bench.shop',
      DetailType: 'Email Request',
      Detail: JSON.stringify({ emailId: `${prefix}${i}`, to: `success+${i}@simulator.amazonses.com`, templateName: t.name, templateData: t.data }),
    };
  });

  const events = new EventBridgeClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint });
  const publishedAt = new Map<string, number>();
  const publishBegan = Date.now();
  try {
    let next = 0;
    const worker = async () => {
      for (let i = next; i < n; i = next) {
        next += 10;
        const batch = entries.slice(i, i + 10);
        const out = await events.send(new PutEventsCommand({ Entries: batch }));
        if (out.FailedEntryCount) throw new Error(`PutEvents refused ${out.FailedEntryCount} entries: ${JSON.stringify(out.Entries)}`);
        const at = Date.now();
        for (const e of batch) publishedAt.set((JSON.parse(e.Detail!) as { emailId: string }).emailId, at);
      }
    };
    await Promise.all(Array.from({ length: PUBLISHERS }, worker));
  } finally {
    events.destroy();
  }
  const publishMs = Date.now() - publishBegan;

  // Wait until every request has an outcome on its record (sent, failed, ...) and the runner has
  // nothing left to do, not for a quiet spell: a request waiting out a throttle is still coming.
  // The deadline (three times the time R allows, plus two minutes) only stops a run that is stuck.
  let finalState = await runnerState(endpoint);
  let records = new Map<string, TrackingRecord>();
  const deadline = publishBegan + (n / rate) * 3000 + 120_000;
  for (;;) {
    finalState = await runnerState(endpoint);
    if (finalState.idle) {
      records = await readRecords(bench, prefix);
      const open = [...publishedAt.keys()].filter((id) => { const r = records.get(id); return !r || IN_FLIGHT.has(r.status); });
      if (open.length === 0) break;
    }
    if (Date.now() > deadline) {
      records = await readRecords(bench, prefix);
      break;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
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
