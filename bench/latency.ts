import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { setTimeout as sleep } from 'node:timers/promises';
import { LOCAL_REGION } from '../src/config/settings.js';
import { LOCAL_CREDENTIALS } from '../src/local/index.js';
import { runnerSends, runnerState } from '../src/local/runner/client.js';
import { benchRequests, seedStarters, waitForOutcomes } from './lib/engine-run.js';
import { atMost, figure, type BenchResult } from './lib/figures.js';
import type { BenchSizes } from './lib/sizes.js';
import type { BenchStack } from './lib/stack.js';
import { median, percentile, round } from './lib/stats.js';

/** The order-confirmation promise is "within 30 seconds of the event"; here the engine must do far better. */
const SES_P99_TARGET_MS = 1_000;
/** The engine's own share of a send at the median, over a direct SendEmail to the same emulator. */
const OVERHEAD_TARGET_MS = 50;
/** Direct SendEmail calls a second, spread through the run: the baseline under the same load. */
const DIRECT_PER_SECOND = 4;

/**
 * Latency at ordinary load: requests published one at a time at a steady rate (not a backlog),
 * each through its own PutEvents call, with the real Sender and Feedback behind the runner and
 * SES limited to R. Measured per request: PutEvents answered → SES accepted (the runner's log of
 * SendEmail calls), and → `delivered` recorded (the record's last write). In the same run, a
 * direct SendEmail to the same SES emulator a few times a second gives the baseline, so the
 * difference at the median is what the engine adds.
 */
export async function benchLatency(sizes: BenchSizes, bench: BenchStack): Promise<BenchResult> {
  const began = performance.now();
  const endpoint = bench.stack.endpoints.eventbridge;
  const state = await runnerState(endpoint);
  if (!state.engine.configured) throw new Error(`the engine runner is not configured: ${state.engine.reason ?? 'unknown'}`);
  const templates = await seedStarters(bench);
  const rate = sizes.latencyRate;
  const n = Math.round(rate * sizes.latencySeconds);
  const prefix = `lat-${Date.now().toString(36)}-`;
  const entries = benchRequests({ prefix, n, bus: state.engine.bus, templates });

  const events = new EventBridgeClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint });
  const ses = new SESv2Client({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: bench.stack.endpoints.sesv2 });
  const publishedAt = new Map<string, number>();
  const direct: number[] = [];
  const lateStarts: number[] = [];
  let publishing = true;
  try {
    // Warm both clients (connections, credentials) before the clock matters.
    await ses.send(directEmail());
    const directLoop = (async () => {
      while (publishing) {
        const t = performance.now();
        await ses.send(directEmail());
        direct.push(performance.now() - t);
        await sleep(1000 / DIRECT_PER_SECOND);
      }
    })();
    const start = Date.now() + 200;
    const inFlight: Array<Promise<void>> = [];
    for (let i = 0; i < n; i++) {
      const due = start + (i * 1000) / rate;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      else lateStarts.push(-wait);
      const entry = entries[i];
      inFlight.push(
        events.send(new PutEventsCommand({ Entries: [entry] })).then((out) => {
          if (out.FailedEntryCount) throw new Error(`PutEvents refused the request: ${JSON.stringify(out.Entries)}`);
          publishedAt.set((JSON.parse(entry.Detail!) as { emailId: string }).emailId, Date.now());
        }),
      );
    }
    await Promise.all(inFlight);
    publishing = false;
    await directLoop;
  } finally {
    publishing = false;
    events.destroy();
    ses.destroy();
  }
  const publishSpanS = (Math.max(...publishedAt.values()) - Math.min(...publishedAt.values())) / 1000;

  const { records } = await waitForOutcomes(bench, endpoint, prefix, publishedAt.keys(), Date.now() + 120_000);
  const firstSend = new Map<string, number>();
  for (const s of await runnerSends(endpoint)) if (s.emailId?.startsWith(prefix) && !firstSend.has(s.emailId)) firstSend.set(s.emailId, Date.parse(s.at));
  const toSes = [...firstSend].map(([id, at]) => at - (publishedAt.get(id) ?? Number.NaN)).filter(Number.isFinite);
  const toDelivered = [...records.values()]
    .filter((r) => r.status === 'delivered')
    .map((r) => Date.parse(r.updatedAt) - (publishedAt.get(r.emailId) ?? Number.NaN))
    .filter(Number.isFinite);
  const lost = [...publishedAt.keys()].filter((id) => !records.get(id)?.sentAt).length;
  const ms = (value: number) => round(value, 1);
  const directP50 = median(direct);

  return {
    bench: 'latency',
    title: `Latency at ordinary load (${rate} requests/s for ${sizes.latencySeconds} s, R = ${sizes.sendRate}/s)`,
    figures: [
      figure('latency.requests', 'requests published, one PutEvents each', publishedAt.size, 'requests'),
      figure('latency.publish_rate', 'achieved publishing rate', round((publishedAt.size - 1) / publishSpanS, 2), 'requests/s'),
      figure('latency.lost', 'requests without a record with sentAt', lost, 'requests', atMost(0)),
      figure('latency.to_ses_p50_ms', 'PutEvents answered → SES accepted, p50', ms(median(toSes)), 'ms'),
      figure('latency.to_ses_p95_ms', 'PutEvents answered → SES accepted, p95', ms(percentile(toSes, 95)), 'ms'),
      figure('latency.to_ses_p99_ms', 'PutEvents answered → SES accepted, p99', ms(percentile(toSes, 99)), 'ms', atMost(SES_P99_TARGET_MS)),
      figure('latency.to_delivered_p50_ms', 'PutEvents answered → delivered recorded, p50', ms(median(toDelivered)), 'ms'),
      figure('latency.to_delivered_p95_ms', 'PutEvents answered → delivered recorded, p95', ms(percentile(toDelivered, 95)), 'ms'),
      figure('latency.to_delivered_p99_ms', 'PutEvents answered → delivered recorded, p99', ms(percentile(toDelivered, 99)), 'ms'),
      figure('latency.direct_p50_ms', 'direct SendEmail to the same SES emulator, p50', ms(directP50), 'ms'),
      figure('latency.direct_p95_ms', 'direct SendEmail to the same SES emulator, p95', ms(percentile(direct, 95)), 'ms'),
      figure('latency.overhead_p50_ms', 'engine overhead: SES accepted p50 minus direct SendEmail p50', ms(median(toSes) - directP50), 'ms', atMost(OVERHEAD_TARGET_MS)),
    ],
    params: {
      requestsPerSecond: rate,
      seconds: sizes.latencySeconds,
      maxSendRate: sizes.sendRate,
      directCalls: direct.length,
      delivered: toDelivered.length,
      publishSlots: n,
      publishesLate: lateStarts.length,
      sesEventDelayMs: 'the runner default',
    },
    notes: [
      'Each request is its own PutEvents call, due at a fixed time (start + i / rate), so a slow answer does not delay the next request; the time is taken when the call is answered.',
      'SES accepted: the runner\'s log of SendEmail calls (the moment the emulator answered). Delivered recorded: the record\'s updatedAt once its status is delivered, which includes the emulator\'s event delay; if the Sender\'s own write landed after Feedback\'s, that later write\'s time counts.',
      `Direct: SendEmail from the bench process to the same SES emulator, ${DIRECT_PER_SECOND} a second through the run; the engine overhead is the difference of the medians.`,
    ],
    tookMs: performance.now() - began,
  };
}

function directEmail(): SendEmailCommand {
  return new SendEmailCommand({
    FromEmailAddress: 'bench@example.com',
    Destination: { ToAddresses: ['success@simulator.amazonses.com'] },
    Content: { Simple: { Subject: { Data: 'direct' }, Body: { Text: { Data: 'direct SendEmail, the baseline' } } } },
  });
}
