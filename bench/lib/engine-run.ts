import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LOCAL_REGION } from '../../src/config/settings.js';
import { RECORD_SORT_KEY, TRACKING_TABLE } from '../../src/model/tables.js';
import { LOCAL_CREDENTIALS } from '../../src/local/index.js';
import { runnerState } from '../../src/local/runner/client.js';
import type { RunnerState } from '../../src/local/runner/runner.js';
import { STARTER_DIR_NAME } from '../../src/templates/init.js';
import { preparePushSource } from '../../src/templates/push-source.js';
import { pushTemplates } from '../../src/templates/push.js';
import { listTemplateNames } from '../../src/templates/store.js';
import type { TrackingRecord } from '../../src/tracking/record.js';
import { ROOT } from './paths.js';
import { silentIo, type BenchStack } from './stack.js';
import { mapConcurrent } from '../../src/util/pool.js';

/** Statuses a request is still on its way in; every other one is an outcome. */
export const IN_FLIGHT = new Set(['queued', 'sending', 'scheduled']);

/** PutEvents calls in flight at once while publishing. */
export const PUBLISHERS = 4;

export interface StarterRequest {
  name: string;
  data: Record<string, unknown>;
}

/** Pushes the starters as `templates push` does and returns each one's sampleData. */
export async function seedStarters(bench: BenchStack): Promise<StarterRequest[]> {
  const dir = join(ROOT, STARTER_DIR_NAME);
  const names = listTemplateNames(dir);
  const report = await pushTemplates({ s3: bench.s3, bucket: bench.names.templatesBucket, source: preparePushSource({ dir, displayDir: STARTER_DIR_NAME, names }), io: silentIo });
  if (!report.ok) throw new Error(`seeding the starter templates failed: ${JSON.stringify(report.counts)}`);
  return names.map((name) => {
    const metadata = JSON.parse(readFileSync(join(dir, name, 'metadata.json'), 'utf8')) as { sampleData?: Record<string, unknown> };
    return { name, data: metadata.sampleData ?? {} };
  });
}

/** The recipient of request `i` of a run: the mailbox simulator's success address, unique per request. */
export const benchRecipient = (prefix: string, i: number) => `success+${prefix}${i}@simulator.amazonses.com`;

/** N requests, emailIds `<prefix><i>`, cycling through the starters with their sample data. */
export function benchRequests(options: { prefix: string; n: number; bus: string; templates: StarterRequest[] }): PutEventsRequestEntry[] {
  const { prefix, n, bus, templates } = options;
  return Array.from({ length: n }, (_, i) => {
    const t = templates[i % templates.length];
    return {
      EventBusName: bus,
      Source: 'bench.shop',
      DetailType: 'Email Request',
      Detail: JSON.stringify({ emailId: `${prefix}${i}`, to: benchRecipient(prefix, i), templateName: t.name, templateData: t.data }),
    };
  });
}

/**
 * Publishes the entries in batches of 10 with the real EventBridge client, PUBLISHERS calls at a
 * time, and returns when each emailId's PutEvents call was answered.
 */
export async function publishRequests(endpoint: string, entries: PutEventsRequestEntry[]): Promise<Map<string, number>> {
  const events = new EventBridgeClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint });
  const publishedAt = new Map<string, number>();
  try {
    const batches: PutEventsRequestEntry[][] = [];
    for (let i = 0; i < entries.length; i += 10) batches.push(entries.slice(i, i + 10));
    await mapConcurrent(batches, PUBLISHERS, async (batch) => {
      const out = await events.send(new PutEventsCommand({ Entries: batch }));
      if (out.FailedEntryCount) throw new Error(`PutEvents refused ${out.FailedEntryCount} entries: ${JSON.stringify(out.Entries)}`);
      const at = Date.now();
      for (const e of batch) publishedAt.set((JSON.parse(e.Detail!) as { emailId: string }).emailId, at);
    });
  } finally {
    events.destroy();
  }
  return publishedAt;
}

/** Every tracking record of a run (a Scan: the bench reads the whole table once, at the end). */
export async function readRecords(bench: BenchStack, prefix: string): Promise<Map<string, TrackingRecord>> {
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

/** The emailIds of a run that have no outcome on their record yet (no record, or still in flight). */
export function withoutOutcome(ids: Iterable<string>, records: Map<string, TrackingRecord>): string[] {
  return [...ids].filter((id) => {
    const r = records.get(id);
    return !r || IN_FLIGHT.has(r.status);
  });
}

/**
 * Waits until every request has an outcome on its record and the runner has nothing left to do,
 * not for a quiet spell: a request waiting out a throttle is still coming. `deadline` (epoch ms)
 * only stops a run that is stuck. Returns the runner's last state and the run's records.
 */
export async function waitForOutcomes(bench: BenchStack, endpoint: string, prefix: string, ids: Iterable<string>, deadline: number): Promise<{ state: RunnerState; records: Map<string, TrackingRecord> }> {
  const wanted = [...ids];
  for (;;) {
    const state = await runnerState(endpoint);
    if (state.idle) {
      const records = await readRecords(bench, prefix);
      if (withoutOutcome(wanted, records).length === 0) return { state, records };
    }
    if (Date.now() > deadline) return { state, records: await readRecords(bench, prefix) };
    await sleep(1000);
  }
}
