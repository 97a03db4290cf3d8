import { runnerQueues, runnerState, redriveRunnerQueue } from '../local/runner/client.js';
import type { DeadLetterSource, DlqQueue, QueuePeek, RedriveItem, RedrivePlan } from '../operations/dlq.js';
import { assertServes } from './local-runner.js';

/** The local engine runner's DLQs, through its control endpoints. Reading them hides nothing. */
export class RunnerDeadLetters implements DeadLetterSource {
  readonly local = true;
  private checked = false;

  constructor(
    private readonly endpoint: string,
    readonly stackName: string,
    /** The target's name for the engine, as messages give it. */
    readonly title: string,
  ) {}

  private async queues() {
    if (!this.checked) {
      assertServes(await runnerState(this.endpoint), this.stackName);
      this.checked = true;
    }
    return runnerQueues(this.endpoint);
  }

  async peek(queue: DlqQueue, limit: number): Promise<QueuePeek> {
    const dlq = (await this.queues())[`${queue}Dlq`];
    return {
      name: dlq.name,
      approximate: dlq.visible,
      inFlight: dlq.inFlight,
      messages: dlq.messages.slice(0, limit).map((m) => ({ messageId: m.messageId, body: m.body, receiveCount: m.receiveCount, sentAt: m.sentAt })),
    };
  }

  async planRedrive(queue: DlqQueue): Promise<RedrivePlan> {
    const all = await this.queues();
    return { from: all[`${queue}Dlq`].name, to: all[queue].name, messages: all[`${queue}Dlq`].visible };
  }

  /** The runner moves the messages at once. */
  async redrive(queue: DlqQueue): Promise<Pick<RedriveItem, 'moved' | 'action'>> {
    return { action: 'moved', moved: (await redriveRunnerQueue(this.endpoint, queue)).moved };
  }
}
