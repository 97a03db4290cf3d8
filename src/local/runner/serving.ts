import { ExitCode, MailengineError } from '../../errors.js';
import { runnerState } from './client.js';
import type { RunnerState } from './runner.js';

/** The engine a command means to reach on the local stack. */
export interface WantedEngine {
  stackName: string;
  /** The bus the command publishes to. */
  eventBusName: string;
  /** The config environment in effect, so the fix keeps its parameters. */
  environment?: string;
}

/** Whether the runner's engine is `stackName`'s. */
export function servesStack(engine: RunnerState['engine'], stackName: string): boolean {
  return engine.configured && engine.stackName === stackName;
}

/** The runner's two sending switches as the engine's pause state: it flips both together, as the Pause function does. */
export function runnerSending(state: Pick<RunnerState, 'paused'>): { state: 'paused' | 'running'; configurationSetSending: boolean } {
  return { state: state.paused ? 'paused' : 'running', configurationSetSending: !state.paused };
}

/** "stack mailengine-demo (bus mailengine-demo-bus)", or why the runner serves none. */
export function servedDescription(engine: RunnerState['engine']): string {
  if (engine.configured && engine.stackName) return `stack ${engine.stackName} (bus ${engine.bus})`;
  return `no stack${engine.reason ? ` (${engine.reason})` : ''}`;
}

/** The command that makes the runner serve `wanted`: `local up` provisions the stack and switches the runner to it. */
export function serveCommand(wanted: Pick<WantedEngine, 'stackName' | 'environment'>): string {
  return `mailengine local up --stack ${wanted.stackName}${wanted.environment ? ` --env ${wanted.environment}` : ''}`;
}

/**
 * Whether the runner takes requests off `wanted`'s bus. EventBridge accepts an event for a bus that
 * does not exist and drops it, and so does the runner; a command that publishes and then waits for
 * the outcome asks first, so it fails at once (exit 4, naming both stacks) rather than at its timeout.
 */
export function checkServed(state: RunnerState, wanted: WantedEngine): void {
  const engine = state.engine;
  if (servesStack(engine, wanted.stackName) && engine.bus === wanted.eventBusName) return;
  const other = engine.configured && engine.stackName && engine.stackName !== wanted.stackName ? engine.stackName : undefined;
  throw new MailengineError(
    'LOCAL_ENGINE_NOT_SERVED',
    `The local engine runner serves ${servedDescription(engine)}, not stack ${wanted.stackName} (bus ${wanted.eventBusName}): a request published there would go nowhere.`,
    {
      exitCode: ExitCode.NotFound,
      suggestion: `Make the runner serve ${wanted.stackName}: \`${serveCommand(wanted)}\`${other ? `, or use the stack it serves: add \`--stack ${other}\` to this command` : ''}.`,
      details: { wanted: wanted.stackName, wantedBus: wanted.eventBusName, served: engine.configured ? (engine.stackName ?? null) : null, servedBus: engine.bus },
    },
  );
}

/** Asks the runner at `endpoint` and throws as `checkServed` does. */
export async function assertRunnerServes(endpoint: string, wanted: WantedEngine): Promise<void> {
  checkServed(await runnerState(endpoint), wanted);
}
