import type { AwsClientFactory } from '../aws/clients.js';
import type { EngineResources } from './engine-resources.js';
import { openEngineStores, type EngineStores } from './engine-stores.js';

/** What opening the engine needs of its target (a deployed stack or the local stack: src/target/). */
export interface EngineLocator {
  readonly local: boolean;
  readonly where: string;
  readonly title: string;
  resources(): Promise<EngineResources>;
  hashKey(options: { create: boolean }): Promise<Buffer | undefined>;
}

export interface EngineContext {
  target: EngineLocator;
  resources: EngineResources;
  stores: EngineStores;
  /** How messages name the engine: "in stack mailengine (eu-west-1)" or "on the local stack (mailengine)". */
  where: string;
}

/**
 * The engine a data-plane command works on: its resources, its stores, and, with
 * `hashKey: 'read'`, the suppression hash key so erased addresses are recognised through their hash.
 */
export async function openEngine(aws: AwsClientFactory, target: EngineLocator, options: { hashKey?: 'read' } = {}): Promise<EngineContext> {
  const resources = await target.resources();
  const hashKey = options.hashKey === 'read' ? await target.hashKey({ create: false }) : undefined;
  const stores = await openEngineStores(aws, resources, { hashKey });
  return { target, resources, stores, where: target.where };
}
