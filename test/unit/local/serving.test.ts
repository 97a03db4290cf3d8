import { describe, expect, it } from 'vitest';
import { isMailengineError } from '../../../src/errors.js';
import type { RunnerState } from '../../../src/local/runner/runner.js';
import { AwsClientFactory } from '../../../src/aws/clients.js';
import type { ResolvedSettings } from '../../../src/config/settings.js';
import { defaultLocalEndpoints } from '../../../src/local/endpoints.js';
import { checkServed, serveCommand } from '../../../src/local/runner/serving.js';
import { openEngineTarget } from '../../../src/target/engine-target.js';

const state = (engine: RunnerState['engine']) => ({ engine }) as RunnerState;
const wanted = { stackName: 'mailengine-dev', eventBusName: 'mailengine-dev-bus' };

function thrown(fn: () => void): { code: string; exitCode: number; message: string; suggestion?: string } {
  try {
    fn();
  } catch (err) {
    if (isMailengineError(err)) return err;
    throw err;
  }
  throw new Error('did not throw');
}

describe('whether the local runner serves the stack a command publishes to', () => {
  it('passes when it serves that stack on that bus', () => {
    expect(() => checkServed(state({ configured: true, stackName: 'mailengine-dev', bus: 'mailengine-dev-bus' }), wanted)).not.toThrow();
  });

  it('another stack: exit 4, both stacks named, and both ways out', () => {
    const err = thrown(() => checkServed(state({ configured: true, stackName: 'mailengine-demo', bus: 'mailengine-demo-bus' }), { ...wanted, environment: 'dev' }));
    expect(err.code).toBe('LOCAL_ENGINE_NOT_SERVED');
    expect(err.exitCode).toBe(4);
    expect(err.message).toBe(
      'The local engine runner serves stack mailengine-demo (bus mailengine-demo-bus), not stack mailengine-dev (bus mailengine-dev-bus): a request published there would go nowhere.',
    );
    expect(err.suggestion).toBe('Make the runner serve mailengine-dev: `mailengine local up --stack mailengine-dev --env dev`, or use the stack it serves: add `--stack mailengine-demo` to this command.');
  });

  it('no stack (started with --no-provision): exit 4 with the reason and the command that provisions one', () => {
    const err = thrown(() => checkServed(state({ configured: false, bus: 'mailengine-bus', reason: 'nothing is provisioned' }), wanted));
    expect(err.exitCode).toBe(4);
    expect(err.message).toContain('serves no stack (nothing is provisioned), not stack mailengine-dev');
    expect(err.suggestion).toBe('Make the runner serve mailengine-dev: `mailengine local up --stack mailengine-dev`.');
  });

  it('the same stack on another bus (a template that names its bus) is not served either', () => {
    expect(thrown(() => checkServed(state({ configured: true, stackName: 'mailengine-dev', bus: 'custom-bus' }), wanted)).code).toBe('LOCAL_ENGINE_NOT_SERVED');
  });

  it('only the local stack asks the runner before publishing; a deployed stack has no such check', async () => {
    const settings = { stackName: 'x', local: false } as ResolvedSettings;
    const aws = new AwsClientFactory({ region: 'us-east-1', local: defaultLocalEndpoints() });
    expect((await openEngineTarget(aws, settings, '.')).confirmServed).toBeUndefined();
    expect((await openEngineTarget(aws, { ...settings, local: true }, '.')).confirmServed).toBeTypeOf('function');
    expect(serveCommand({ stackName: 'shop' })).toBe('mailengine local up --stack shop');
  });
});
