import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AwsClientFactory } from '../aws/clients.js';
import { documentClient } from '../engine/deps.js';
import { SuppressionStore } from '../suppression/suppression-store.js';
import { TrackingStore } from '../tracking/tracking-store.js';
import type { EngineResources } from './engine-resources.js';

export interface EngineStores {
  db: DynamoDBDocumentClient;
  tracking: TrackingStore;
  suppression: SuppressionStore;
}

/**
 * The engine's own stores over the CLI's DynamoDB client, so operations read and write exactly
 * as the Sender and Feedback do. Operations never create tracking records, so the retention the
 * store would stamp on new items is never used.
 */
export async function openEngineStores(aws: AwsClientFactory, resources: EngineResources, options: { hashKey?: Buffer } = {}): Promise<EngineStores> {
  const db = aws.translated(documentClient(await aws.dynamodb()), 'dynamodb');
  return {
    db,
    tracking: new TrackingStore(db, { tableName: resources.trackingTable, retentionDays: 1 }),
    suppression: new SuppressionStore(db, { tableName: resources.suppressionTable, hashKey: options.hashKey }),
  };
}
