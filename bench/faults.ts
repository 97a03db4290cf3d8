import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { listReceivedEmails } from '../src/local/index.js';
import { spawnRunner, type RunnerProcess } from '../src/local/parts/eventbridge.js';
import { findFreePorts } from '../src/local/ports.js';
import { runnerState } from '../src/local/runner/client.js';
import { parseRunnerConfig, type RunnerConfig } from '../src/local/runner/config.js';
import { benchRecipient, benchRequests, publishRequests, seedStarters, waitForOutcomes, withoutOutcome } from './lib/engine-run.js';
import { startFaultProxy } from './lib/fault-proxy.js';
import { atMost, figure, type BenchResult } from './lib/figures.js';
import type { BenchSizes } from './lib/sizes.js';
import { BENCH_STACK, type BenchStack } from './lib/stack.js';
import { ratio, round } from './lib/stats.js';

/** The Sender paces to this many times what SES allows: as if the account's quota dropped after the deploy. */
const PACE_ABOVE_SES = 2;

/**
 * How far before the kill SES may have accepted a message that is then sent again: the README's
 * window is the time between SES accepting and the `sent` write, milliseconds on a healthy table.
 * The emulator keeps whole seconds, so a copy counts as inside when it was accepted in the second
 * of the kill or the one before.
 */
const WINDOW_SLACK_MS = 1_000;

/**
 * The engine under faults, on a runner of its own (so it can be killed) in front of the bench
 * stack's emulators: the Sender paces to twice the rate SES allows, so SES throttles all along;
 * once a tenth is sent, DynamoDB goes away for `faultOutageMs` (every connection reset); once half
 * is sent after that, the runner is SIGKILLed and started again on the same data. The bench then
 * waits until every request has an outcome, and counts what was lost and what was sent twice.
 */
export async function benchFaults(sizes: BenchSizes, bench: BenchStack): Promise<BenchResult> {
  const began = performance.now();
  const base = parseRunnerConfig(readFileSync(join(bench.stack.stateDir, 'eventbridge', 'config.json'), 'utf8'));
  const proxy = await startFaultProxy(base.endpoints.dynamodb);
  const [port] = await findFreePorts(1);
  const dataDir = mkdtempSync(join(tmpdir(), 'mailengine-bench-faults-'));
  const rate = sizes.sendRate;
  const timeouts = { functionTimeoutMs: sizes.faultFunctionTimeoutMs, visibilityTimeoutMs: sizes.faultFunctionTimeoutMs * 3 };
  const config: RunnerConfig = {
    ...base,
    port,
    dataDir,
    engineBus: `${BENCH_STACK}-faults-bus`,
    endpoints: { ...base.endpoints, dynamodb: proxy.url },
    sesMaxSendRate: rate,
    engineSendRate: rate * PACE_ABOVE_SES,
    // Shorter than the template's 30 s and 180 s, so the messages the kill leaves in flight come
    // back within the run; the visibility timeout stays several times the function's.
    send: { ...base.send, ...timeouts },
    feedback: { ...base.feedback, ...timeouts },
  };
  const configFile = join(dataDir, 'config.json');
  writeFileSync(configFile, JSON.stringify(config));

  let runner: RunnerProcess | undefined;
  try {
    runner = await spawnRunner(config, configFile);
    const templates = await seedStarters(bench);
    const n = sizes.faultRequests;
    const prefix = `flt-${Date.now().toString(36)}-`;
    const publishBegan = Date.now();
    const publishedAt = await publishRequests(runner.url, benchRequests({ prefix, n, bus: config.engineBus, templates }));

    // SES's counters live in the runner, so the kill resets them: add up each life's last reading.
    let counted = { accepted: 0, throttled: 0 };
    let life = { accepted: 0, throttled: 0 };
    const poll = async () => {
      life = (await runnerState(runner!.url)).ses;
      return counted.accepted + life.accepted;
    };
    const waitForAccepted = async (share: number) => {
      const deadline = Date.now() + (n / rate) * 4000 + 60_000;
      while ((await poll()) < Math.ceil(n * share)) {
        if (Date.now() > deadline) throw new Error(`SES accepted ${counted.accepted + life.accepted} of ${n}, not ${share * 100} %, in time`);
        await sleep(100);
      }
    };

    await waitForAccepted(0.1);
    const outageBegan = Date.now();
    proxy.cut();
    await sleep(sizes.faultOutageMs);
    proxy.restore();
    const outageMs = Date.now() - outageBegan;

    await waitForAccepted(0.5);
    const acceptedBeforeKill = await poll();
    await runner.kill();
    const killedAt = Date.now();
    counted = { accepted: counted.accepted + life.accepted, throttled: counted.throttled + life.throttled };
    life = { accepted: 0, throttled: 0 };
    runner = await spawnRunner(config, configFile);

    const { state, records } = await waitForOutcomes(bench, runner.url, prefix, publishedAt.keys(), Date.now() + (n / rate) * 4000 + 600_000);
    life = state.ses;
    const secondsUntilEveryOutcome = (Date.now() - publishBegan) / 1000;
    const accepted = counted.accepted + life.accepted;
    const refused = counted.throttled + life.throttled;

    // Copies SES received per request, from the emulator's store (it outlives the runner).
    const received = await listReceivedEmails(bench.stack.endpoints.sesv2, { since: new Date(publishBegan - 1000) });
    const index = new Map<string, number>();
    for (let i = 0; i < n; i++) index.set(benchRecipient(prefix, i), i);
    const copies = new Map<number, number[]>();
    for (const email of received) {
      for (const to of email.to) {
        const i = index.get(to);
        if (i !== undefined) copies.set(i, [...(copies.get(i) ?? []), email.sentAt.getTime()]);
      }
    }
    for (const times of copies.values()) times.sort((a, b) => a - b);
    const duplicated = [...copies.values()].filter((c) => c.length > 1);
    const duplicates = duplicated.reduce((d, c) => d + c.length - 1, 0);
    // A copy may follow only a first one SES accepted just before the kill (whole seconds in the store).
    const killSecond = Math.floor(killedAt / 1000) * 1000;
    const outsideWindow = duplicated.filter((c) => c.length > 2 || c[0] < killSecond - WINDOW_SLACK_MS || c[0] > killSecond).length;
    const lostIds = [...publishedAt.keys()].filter((id) => !records.get(id)?.sentAt);
    const lost = lostIds.length;
    const neverReachedSes = n - copies.size;
    const deadLettered = state.queues.sendDlq.visible + state.queues.sendDlq.inFlight;
    const still = withoutOutcome(publishedAt.keys(), records).length;

    return {
      bench: 'faults',
      title: 'Engine under faults (local stack: throttling above R, a DynamoDB outage, a runner kill)',
      figures: [
        figure('faults.requests', 'requests published', publishedAt.size, 'requests'),
        figure('faults.lost', 'lost requests (no record with sentAt)', lost, 'requests', atMost(0)),
        figure('faults.never_reached_ses', 'requests SES never received', neverReachedSes, 'requests', atMost(0)),
        figure('faults.dead_lettered', 'requests in the send DLQ', deadLettered, 'requests', atMost(0)),
        figure('faults.duplicates', 'duplicate sends (SES copies beyond one per request)', duplicates, 'sends'),
        figure('faults.duplicates_outside_window', 'requests sent twice whose first copy was not accepted in the second of the kill (or the one before)', outsideWindow, 'requests', atMost(0)),
        figure('faults.ses_refused_share', `SendEmail calls SES refused (429) / all calls, Sender pacing to ${PACE_ABOVE_SES} × R`, round(ratio(refused, accepted + refused), 4), 'ratio'),
        figure('faults.db_connections_reset', 'DynamoDB connections reset by the outage', proxy.resets, 'connections'),
        figure('faults.seconds_until_every_outcome', 'publish → every request has an outcome', round(secondsUntilEveryOutcome, 1), 's'),
      ],
      params: {
        requests: n,
        sesMaxSendRate: rate,
        senderPacesTo: rate * PACE_ABOVE_SES,
        outageMs,
        acceptedBeforeKill,
        sendEmailCalls: accepted + refused,
        refusedCalls: refused,
        stillWithoutOutcome: still,
        visibilityTimeoutMs: config.send.visibilityTimeoutMs,
      },
      notes: [
        'A runner of its own in front of the bench stack\'s emulators, its DynamoDB traffic through a TCP proxy that resets every connection during the outage.',
        `The outage begins once SES accepted a tenth of the requests and lasts ${round(outageMs / 1000, 1)} s; the runner is SIGKILLed once SES accepted half (${acceptedBeforeKill} of ${n}) and started again on the same data directory.`,
        'A duplicate is inside the documented window when its first copy was accepted by SES just before the kill, before the `sent` write and SES\'s Send event reached the record (README, "Exactly once").',
        ...(lost > 0 ? [`Lost: ${lostIds.slice(0, 10).map((id) => { const r = records.get(id); return `${id} (${r ? `${r.status}${r.errorType ? `, ${r.errorType}` : ''}${r.lastError ? `: ${r.lastError}` : ''}` : 'no record'})`; }).join('; ')}${lost > 10 ? '; …' : ''}.`] : []),
        ...(still > 0 ? [`${still} requests still had no outcome when the bench gave up.`] : []),
      ],
      tookMs: performance.now() - began,
    };
  } finally {
    await runner?.kill();
    await proxy.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
