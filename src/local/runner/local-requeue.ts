import { REQUEUE_ATTRIBUTES, type RequeuePort } from '../../engine/requeue.js';
import { MAX_DELAY_MS, type LocalQueue } from './queue.js';

/** The requeue port on the runner's own send queue: a delayed copy with the same attributes SQS would carry. */
export function localRequeue(queue: LocalQueue): RequeuePort {
  return {
    async requeue(message, delayMs, state) {
      queue.send(message.body, {
        delayMs: Math.min(MAX_DELAY_MS, Math.max(0, delayMs)),
        ...(state
          ? {
              attributes: {
                [REQUEUE_ATTRIBUTES.requeues]: { DataType: 'Number', StringValue: String(state.requeues) },
                [REQUEUE_ATTRIBUTES.waitingSince]: { DataType: 'Number', StringValue: String(state.waitingSince) },
              },
            }
          : {}),
      });
    },
  };
}
