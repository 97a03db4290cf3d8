import type { AwsClientFactory } from '../aws/clients.js';
import type { ResolvedSettings } from '../config/settings.js';
import { resolveEngineResources, type EngineResources } from './engine-resources.js';
import { openEngineStores, type EngineStores } from './engine-stores.js';
import { resolveHashKey } from './hash-key.js';

export interface EngineContext {
  resources: EngineResources;
  stores: EngineStores;
  /** How messages name the engine: "in stack mailengine (eu-west-1)" or "on the local stack (mailengine)". */
  where: string;
}

/**
 * The engine a data-plane command works on: its resources (stack outputs or the local stack's
 * record), its stores, and, with `hashKey: 'read'`, the suppression hash key so erased
 * addresses are recognised through their hash.
 */
export async function openEngine(aws: AwsClientFactory, settings: ResolvedSettings, cwd: string, options: { hashKey?: 'read' } = {}): Promise<EngineContext> {
  const resources = await resolveEngineResources(aws, settings, cwd);
  const hashKey = options.hashKey === 'read' ? await resolveHashKey(aws, resources, cwd, { create: false }) : undefined;
  const stores = await openEngineStores(aws, resources, { hashKey });
  const where = resources.local ? `on the local stack (${resources.stackName})` : `in stack ${resources.stackName}${settings.region ? ` (${settings.region})` : ''}`;
  return { resources, stores, where };
}
