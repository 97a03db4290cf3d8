import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineTemplatePath } from '../../../src/cfn/template.js';
import { localEndpointsFor } from '../../../src/local/endpoints.js';
import type { ProvisionResult } from '../../../src/local/provision.js';
import { resolveRunnerConfig, LOCAL_DEFAULT_FROM, type ResolveRunnerConfigOptions } from '../../../src/local/runner/resolve-config.js';
import { startRunner } from '../../../src/local/runner/runner.js';
import { FIXTURE_TEMPLATE, tempProject } from '../../helpers/local.js';

const ENGINE_TEMPLATE = engineTemplatePath();

function provisioned(stackName: string, template: string, bucket = `${stackName}-templatesbucket`): ProvisionResult {
  const table = (logicalId: string, name: string) => ({ logicalId, name, status: 'created' as const, indexes: [], changes: [], warnings: [] });
  return {
    stackName,
    template,
    tables: [table('TrackingTable', `${stackName}-tracking`), table('SuppressionTable', `${stackName}-suppression`)],
    buckets: [{ logicalId: 'TemplatesBucket', name: bucket, status: 'created' }],
  };
}

function options(overrides: Partial<ResolveRunnerConfigOptions> = {}): ResolveRunnerConfigOptions {
  const project = tempProject('runner-config');
  return {
    project,
    dataDir: join(project, '.mailengine', 'local', 'eventbridge'),
    host: '127.0.0.1',
    port: 4513,
    region: 'us-east-1',
    endpoints: localEndpointsFor({ dynamodb: 4510, s3: 4511, sesv2: 4512, eventbridge: 4513 }),
    defaultTemplate: ENGINE_TEMPLATE,
    env: {},
    ...overrides,
  };
}

describe('the runner’s configuration, resolved by `local up`', () => {
  it('reads the queues, the mapping and the function from cfn/mailengine.yaml, and the names from provisioning', async () => {
    const config = await resolveRunnerConfig(options({ provisioned: provisioned('shop', ENGINE_TEMPLATE) }));
    expect(config).toMatchObject({
      engineBus: 'shop-bus',
      engine: {
        stackName: 'shop',
        trackingTable: 'shop-tracking',
        suppressionTable: 'shop-suppression',
        templatesBucket: 'shop-templatesbucket',
        configurationSet: 'shop',
        defaultFrom: { email: LOCAL_DEFAULT_FROM },
        softBounceThreshold: 3,
        retentionDays: 90,
      },
      send: { visibilityTimeoutMs: 180_000, retentionMs: 1_209_600_000, maxReceiveCount: 8, batchSize: 10, maxConcurrency: 10, functionTimeoutMs: 30_000 },
      feedback: { visibilityTimeoutMs: 180_000, maxReceiveCount: 8, batchSize: 10, functionTimeoutMs: 30_000 },
      sesEventDelayMs: 250,
    });
  });

  it('takes template parameters (SendConcurrency, SoftBounceThreshold, DefaultFromEmail) and the environment’s knobs', async () => {
    const config = await resolveRunnerConfig(
      options({
        provisioned: provisioned('shop', ENGINE_TEMPLATE),
        parameters: { SendConcurrency: '4', SoftBounceThreshold: '5', DefaultFromEmail: 'orders@shop.example.com', DefaultFromName: 'Shop' },
        env: { MAILENGINE_LOCAL_SES_EVENT_DELAY_MS: '0', MAILENGINE_LOCAL_VISIBILITY_TIMEOUT_SECONDS: '5' },
      }),
    );
    expect(config.send).toMatchObject({ maxConcurrency: 4, visibilityTimeoutMs: 5000 });
    expect(config.feedback.visibilityTimeoutMs).toBe(5000);
    expect(config.engine).toMatchObject({ softBounceThreshold: 5, defaultFrom: { email: 'orders@shop.example.com', name: 'Shop' } });
    expect(config.sesEventDelayMs).toBe(0);
  });

  it('keeps the engine template’s numbers where a template does not declare the queues', async () => {
    const config = await resolveRunnerConfig(options({ provisioned: provisioned('fixture', FIXTURE_TEMPLATE, 'fixture-templates-000000000000-us-east-1') }));
    expect(config.engine).toMatchObject({ stackName: 'fixture', templatesBucket: 'fixture-templates-000000000000-us-east-1', configurationSet: 'fixture' });
    expect(config.send).toMatchObject({ visibilityTimeoutMs: 180_000, maxReceiveCount: 8, batchSize: 10, maxConcurrency: 10 });
  });

  it('without provisioning, serves the one stack resources.json records', async () => {
    const opts = options();
    mkdirSync(join(opts.project, '.mailengine', 'local'), { recursive: true });
    writeFileSync(join(opts.project, '.mailengine', 'local', 'resources.json'), JSON.stringify({ shop: { TrackingTable: 't', SuppressionTable: 's', TemplatesBucket: 'b' } }));
    expect((await resolveRunnerConfig(opts)).engine).toMatchObject({ stackName: 'shop', trackingTable: 't' });
  });

  it('with nothing provisioned, says why, and the runner still accepts requests, which wait', async () => {
    const config = await resolveRunnerConfig(options({ port: 0 }));
    expect(config.engine).toBeUndefined();
    expect(config.unconfiguredReason).toMatch(/nothing is provisioned/);
    const runner = await startRunner({ config });
    try {
      const client = new EventBridgeClient({ region: 'us-east-1', endpoint: runner.url, credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
      const out = await client.send(new PutEventsCommand({ Entries: [{ EventBusName: 'mailengine-bus', Source: 'shop', DetailType: 'Email Request', Detail: '{"to":"a@example.com"}' }] }));
      client.destroy();
      expect(out.FailedEntryCount).toBe(0);
      expect(runner.state()).toMatchObject({ engine: { configured: false, reason: expect.stringMatching(/nothing is provisioned/) }, queues: { send: { visible: 1 } }, idle: false });
    } finally {
      await runner.close();
    }
  });

});
