import { ExitCode, MailengineError } from '../errors.js';
import { pauseRunner, resumeRunner, runnerState } from '../local/runner/client.js';
import type { RunnerState } from '../local/runner/runner.js';
import { runnerSending, servesStack } from '../local/runner/serving.js';
import type { SendingSwitches, SwitchSnapshot } from '../operations/sending-control.js';

/** The runner on this machine serves one engine at a time; working on another would be working on the wrong one. */
export function assertServes(state: RunnerState, stackName: string): void {
  if (servesStack(state.engine, stackName)) return;
  throw new MailengineError('LOCAL_ENGINE_NOT_FOUND', `The local engine runner serves ${state.engine.stackName ? `stack ${state.engine.stackName}` : 'no engine'}, not ${stackName}.`, {
    exitCode: ExitCode.NotFound,
    suggestion: `Run \`mailengine local up --stack ${stackName}\`, or name the stack it serves with --stack.`,
  });
}

/** The local runner plays both switches and flips them together, as the Pause function does. */
export class RunnerSwitches implements SendingSwitches {
  readonly local = true;

  constructor(
    private readonly endpoint: string,
    readonly stackName: string,
    /** The target's name for the engine, as messages give it. */
    readonly title: string,
  ) {}

  private snapshot(state: RunnerState): SwitchSnapshot {
    assertServes(state, this.stackName);
    return { ...runnerSending(state), waiting: state.queues.send.visible };
  }

  async read(): Promise<SwitchSnapshot> {
    return this.snapshot(await runnerState(this.endpoint));
  }

  async set(enabled: boolean): Promise<SwitchSnapshot> {
    return this.snapshot(await (enabled ? resumeRunner(this.endpoint) : pauseRunner(this.endpoint)));
  }
}
