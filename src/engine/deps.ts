import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SuppressionStore } from '../suppression/suppression-store.js';
import { TrackingStore } from '../tracking/tracking-store.js';
import type { FeedbackDeps } from './feedback.js';
import { noMetrics, withDimensions, type EngineMetrics } from './metrics.js';
import { SendPacer } from './pacer.js';
import type { RequeuePolicy, RequeuePort } from './requeue.js';
import { createWakeUps, type OneTimeSchedules } from './schedule.js';
import type { SenderDeps } from './sender.js';
import { EventBridgeStatusPublisher, type EngineLogger, type StatusEventPublisher } from './status-events.js';
import { TemplateSource } from './template-source.js';
import { AttachmentSource } from './attachments.js';

/** Everything the engine needs, as plain settings: the Lambda entries and the local runner both build from it. */
export interface EngineSettings {
  clients: { dynamodb: DynamoDBClient; s3: Pick<S3Client, 'send'>; sesv2: Pick<SESv2Client, 'send'>; eventbridge?: Pick<EventBridgeClient, 'send'> };
  trackingTable: string;
  suppressionTable: string;
  templatesBucket: string;
  configurationSet: string;
  /** The engine bus; with `clients.eventbridge`, status events are published there. */
  eventBusName?: string;
  defaultFrom: { email: string; name?: string };
  softBounceThreshold: number;
  retentionDays: number;
  /** Key for the hashes an erasure keeps of suppressed addresses. */
  hashKey?: Buffer;
  /** Overrides the EventBridge publisher (the local runner records events itself). */
  statusEvents?: StatusEventPublisher;
  log?: EngineLogger;
  /** Where the handlers count failures, retries, throttling and give-ups; nowhere by default. */
  metrics?: EngineMetrics;
  /** The queues' maxReceiveCount, when known: a message handed back on that receive goes to the DLQ next. */
  maxReceiveCount?: number;
  /** How long a cached template is used without asking S3 (TemplateSource `freshForMs`). */
  templateCacheFreshForMs?: number;
  /** The most a send can lag behind a push (TemplateSource `maxStaleMs`); default three times the above. */
  templateCacheMaxStaleMs?: number;
  /** This Sender instance's share of the SES send rate (MaxSendRate / SendConcurrency); unset: no pacing. */
  sendRatePerInstance?: number;
  /** Where throttled requests go back to, delayed (the send queue). */
  requeue?: RequeuePort;
  requeuePolicy?: RequeuePolicy;
  /** One-time schedules onto the send queue, for scheduled sends more than 15 minutes ahead (nearer ones use `requeue`). */
  schedules?: OneTimeSchedules;
}

export function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

function stores(s: EngineSettings) {
  const doc = documentClient(s.clients.dynamodb);
  return {
    tracking: new TrackingStore(doc, { tableName: s.trackingTable, retentionDays: s.retentionDays }),
    suppression: new SuppressionStore(doc, { tableName: s.suppressionTable, hashKey: s.hashKey }),
  };
}

/** Each handler counts under its own Function dimension, so one alarm per handler reads one series. */
function metricsFor(s: EngineSettings, fn: 'sender' | 'feedback'): EngineMetrics {
  return withDimensions(s.metrics ?? noMetrics, { Function: fn });
}

function statusEvents(s: EngineSettings): StatusEventPublisher | undefined {
  if (s.statusEvents) return s.statusEvents;
  if (s.clients.eventbridge && s.eventBusName) return new EventBridgeStatusPublisher(s.clients.eventbridge, s.eventBusName);
  return undefined;
}

export function buildSenderDeps(s: EngineSettings): SenderDeps {
  return {
    ...stores(s),
    templates: new TemplateSource(s.clients.s3, { bucket: s.templatesBucket, freshForMs: s.templateCacheFreshForMs, maxStaleMs: s.templateCacheMaxStaleMs, log: s.log }),
    attachments: new AttachmentSource(s.clients.s3, { bucket: s.templatesBucket, log: s.log }),
    ses: s.clients.sesv2,
    statusEvents: statusEvents(s),
    ...(s.sendRatePerInstance && s.sendRatePerInstance > 0 ? { pacer: new SendPacer({ ratePerSecond: s.sendRatePerInstance }) } : {}),
    ...(s.requeue ? { requeue: s.requeue } : {}),
    ...(s.requeuePolicy ? { requeuePolicy: s.requeuePolicy } : {}),
    ...(s.requeue || s.schedules ? { wakeUps: createWakeUps({ requeue: s.requeue, schedules: s.schedules }) } : {}),
    config: { configurationSet: s.configurationSet, defaultFrom: s.defaultFrom },
    log: s.log,
    metrics: metricsFor(s, 'sender'),
  };
}

export function buildFeedbackDeps(s: EngineSettings): FeedbackDeps {
  return {
    ...stores(s),
    statusEvents: statusEvents(s),
    config: { softBounceThreshold: s.softBounceThreshold, configurationSet: s.configurationSet, maxReceiveCount: s.maxReceiveCount },
    log: s.log,
    metrics: metricsFor(s, 'feedback'),
  };
}
