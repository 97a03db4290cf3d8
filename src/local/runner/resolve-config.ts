import { existsSync } from 'node:fs';
import { loadTemplate, type CfnTemplate } from '../../cfn/template.js';
import { ENGINE_DEFAULTS } from '../../engine/defaults.js';
import { SUPPRESSION_TABLE, TRACKING_TABLE } from '../../model/tables.js';
import { LOCAL_ACCOUNT_ID, cfnScope, resolveCfnValue, type CfnScope } from '../cfn-values.js';
import type { LocalEndpoints } from '../../model/local-stack.js';
import type { ProvisionResult } from '../provision.js';
import { readLocalResources } from '../resources.js';
import {
  DEFAULT_FEEDBACK_QUEUE,
  DEFAULT_SEND_QUEUE,
  DEFAULT_SES_EVENT_DELAY_MS,
  RUNNER_ENV,
  envNumber,
  type QueueSettings,
  type RunnerConfig,
  type RunnerEngineSettings,
} from './config.js';

/** Local stand-in for the DefaultFromEmail parameter, which has no default in the template. */
export const LOCAL_DEFAULT_FROM = 'noreply@example.com';

export interface ResolveRunnerConfigOptions {
  /** The project directory (its `.mailengine/local/resources.json` names what was provisioned). */
  project: string;
  dataDir: string;
  host: string;
  port: number;
  region: string;
  endpoints: LocalEndpoints;
  /** What this `up` provisioned; without it, the one stack `resources.json` records (if just one). */
  provisioned?: ProvisionResult;
  /** The template when nothing names one: the engine's own. */
  defaultTemplate?: string;
  /** Parameter values overriding the template's defaults (the environment's parameters). */
  parameters?: Record<string, string>;
  env: NodeJS.ProcessEnv;
}

interface Resources {
  stackName: string;
  names: Record<string, string>;
  template?: string;
}

/** The stack this runner serves: the one provisioned now, else the only one provisioned before. */
function findResources(options: ResolveRunnerConfigOptions): Resources | string {
  const { provisioned } = options;
  if (provisioned) {
    return {
      stackName: provisioned.stackName,
      names: Object.fromEntries([...provisioned.tables, ...provisioned.buckets].map((r) => [r.logicalId, r.name])),
      template: provisioned.template,
    };
  }
  const recorded = Object.entries(readLocalResources(options.project));
  if (recorded.length === 1) return { stackName: recorded[0][0], names: recorded[0][1], template: options.defaultTemplate };
  return recorded.length === 0
    ? 'nothing is provisioned: run `mailengine local up` without --no-provision'
    : `resources.json records ${recorded.length} stacks (${recorded.map(([name]) => name).join(', ')}) and this start provisioned none, so the runner cannot tell which one to serve`;
}

/** Reads one value of a resource's properties, resolved, or undefined when it is absent or unresolvable. */
function property(template: CfnTemplate | undefined, scope: CfnScope | undefined, logicalId: string, path: string[]): unknown {
  let value: unknown = template?.Resources[logicalId]?.Properties;
  for (const key of path) value = (value as Record<string, unknown> | undefined)?.[key];
  if (value === undefined || !scope) return undefined;
  try {
    return resolveCfnValue(value, scope, `Resources.${logicalId}.Properties.${path.join('.')}`);
  } catch {
    return undefined;
  }
}

function positive(value: unknown): number | undefined {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : undefined;
}

/** A queue, its redrive policy, its function and its event source mapping, as the template declares them. */
function queueSettings(
  template: CfnTemplate | undefined,
  scope: CfnScope | undefined,
  ids: { queue: string; mapping: string; fn: string },
  defaults: QueueSettings,
): QueueSettings {
  const seconds = (value: unknown) => (positive(value) === undefined ? undefined : Math.round(Number(value) * 1000));
  return {
    visibilityTimeoutMs: seconds(property(template, scope, ids.queue, ['VisibilityTimeout'])) ?? defaults.visibilityTimeoutMs,
    retentionMs: seconds(property(template, scope, ids.queue, ['MessageRetentionPeriod'])) ?? defaults.retentionMs,
    maxReceiveCount: positive(property(template, scope, ids.queue, ['RedrivePolicy', 'maxReceiveCount'])) ?? defaults.maxReceiveCount,
    batchSize: Math.min(10, positive(property(template, scope, ids.mapping, ['BatchSize'])) ?? defaults.batchSize),
    maxConcurrency: positive(property(template, scope, ids.mapping, ['ScalingConfig', 'MaximumConcurrency'])) ?? defaults.maxConcurrency,
    functionTimeoutMs: seconds(property(template, scope, ids.fn, ['Timeout'])) ?? defaults.functionTimeoutMs,
  };
}

/**
 * Builds the runner's configuration the way CloudFormation would configure the engine: queue
 * timeouts, receive counts, batch size and send concurrency from the template's queue, function
 * and mapping definitions; names of tables and bucket from provisioning; the bus and
 * configuration set names from their resources. Whatever the template does not say keeps the
 * engine template's own values.
 */
export async function resolveRunnerConfig(options: ResolveRunnerConfigOptions): Promise<RunnerConfig> {
  const found = findResources(options);
  const resources = typeof found === 'string' ? undefined : found;
  const templatePath = resources?.template ?? options.defaultTemplate;
  let template: CfnTemplate | undefined;
  if (templatePath && existsSync(templatePath)) {
    try {
      template = await loadTemplate(templatePath);
    } catch {
      // Provisioning read it a moment ago; if it cannot be read now, the defaults will do.
      template = undefined;
    }
  }
  const stackName = resources?.stackName ?? 'mailengine';
  const scope = template ? cfnScope(template, { stackName, region: options.region, parameters: options.parameters }) : undefined;
  const parameter = (name: string) => scope?.parameters[name];
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

  let engine: RunnerEngineSettings | undefined;
  let unconfiguredReason = typeof found === 'string' ? found : undefined;
  if (resources) {
    const trackingTable = resources.names[TRACKING_TABLE.logicalId];
    const suppressionTable = resources.names[SUPPRESSION_TABLE.logicalId];
    const templatesBucket = resources.names.TemplatesBucket;
    const missing = [!trackingTable && TRACKING_TABLE.logicalId, !suppressionTable && SUPPRESSION_TABLE.logicalId, !templatesBucket && 'TemplatesBucket'].filter(Boolean);
    if (missing.length > 0) {
      unconfiguredReason = `the provisioned stack "${stackName}" has no ${missing.join(', ')}`;
    } else {
      const defaultFromName = text(parameter('DefaultFromName'));
      engine = {
        stackName,
        trackingTable,
        suppressionTable,
        templatesBucket,
        configurationSet: text(property(template, scope, 'ConfigurationSet', ['Name'])) ?? stackName,
        defaultFrom: {
          email: text(options.env[RUNNER_ENV.defaultFrom]) ?? text(parameter('DefaultFromEmail')) ?? LOCAL_DEFAULT_FROM,
          ...(defaultFromName ? { name: defaultFromName } : {}),
        },
        softBounceThreshold: positive(parameter('SoftBounceThreshold')) ?? ENGINE_DEFAULTS.softBounceThreshold,
        retentionDays: positive(parameter('DataRetentionDays')) ?? ENGINE_DEFAULTS.dataRetentionDays,
      };
    }
  }

  const send = queueSettings(template, scope, { queue: 'SendQueue', mapping: 'SenderEventSourceMapping', fn: 'SenderFunction' }, DEFAULT_SEND_QUEUE);
  const feedback = queueSettings(template, scope, { queue: 'FeedbackQueue', mapping: 'FeedbackEventSourceMapping', fn: 'FeedbackFunction' }, DEFAULT_FEEDBACK_QUEUE);
  const visibility = envNumber(options.env, RUNNER_ENV.visibilityTimeoutSeconds);
  if (visibility !== undefined) {
    send.visibilityTimeoutMs = visibility * 1000;
    feedback.visibilityTimeoutMs = visibility * 1000;
  }

  const maxSendRate = envNumber(options.env, RUNNER_ENV.sesMaxSendRate);

  return {
    host: options.host,
    port: options.port,
    region: options.region,
    accountId: LOCAL_ACCOUNT_ID,
    dataDir: options.dataDir,
    endpoints: { dynamodb: options.endpoints.dynamodb, s3: options.endpoints.s3, sesv2: options.endpoints.sesv2 },
    engineBus: text(property(template, scope, 'EventBus', ['Name'])) ?? `${stackName}-bus`,
    ...(engine ? { engine } : {}),
    ...(unconfiguredReason ? { unconfiguredReason } : {}),
    send,
    feedback,
    sesEventDelayMs: envNumber(options.env, RUNNER_ENV.sesEventDelayMs) ?? DEFAULT_SES_EVENT_DELAY_MS,
    ...(maxSendRate ? { sesMaxSendRate: maxSendRate } : {}),
  };
}
