import type { LocalQueue } from './queue.js';

/** An event as EventBridge hands it to a target: `detail` is an object, not a string. */
export interface BusEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  /** ISO 8601 to the second, as EventBridge writes it. */
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

/** An EventBridge event pattern: nested objects, leaves are lists of allowed values. */
export type EventPattern = { [key: string]: EventPattern | ReadonlyArray<string | number | boolean | null> };

export interface BusRule {
  name: string;
  bus: string;
  pattern: EventPattern;
  target: LocalQueue;
}

export interface RecordedEvent {
  /** Increases by one per event the runner saw; `?after=<seq>` pages on it. */
  seq: number;
  bus: string;
  receivedAt: string;
  /** The rules that sent it on; empty when it went nowhere. */
  matchedRules: string[];
  /** Why it went nowhere although it was accepted, as real EventBridge would silently do. */
  dropped?: string;
  event: BusEvent;
}

/**
 * Matches the subset of EventBridge patterns the engine's rules use: exact values, lists of them,
 * nested fields, and an array in the event matching when any element does.
 */
export function matchesPattern(pattern: EventPattern, value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const object = value as Record<string, unknown>;
  return Object.entries(pattern).every(([key, expected]) => {
    const actual = object[key];
    if (Array.isArray(expected)) {
      const candidates = Array.isArray(actual) ? actual : [actual];
      return candidates.some((candidate) => (expected as unknown[]).includes(candidate));
    }
    return matchesPattern(expected as EventPattern, actual);
  });
}

/**
 * The local stand-in for EventBridge's buses and rules: each accepted event is matched against the
 * rules of its bus and sent to their queues, and kept in a bounded log that the runner's
 * `/_mailengine/events` endpoint serves (that is how `send --test` waits for an outcome locally).
 */
export class LocalEventBus {
  private readonly log: RecordedEvent[] = [];
  private seq = 0;
  private readonly waiters = new Set<{ check: () => void; finish: () => void }>();

  constructor(
    readonly buses: ReadonlySet<string>,
    private readonly rules: readonly BusRule[],
    private readonly logLimit = 10_000,
  ) {}

  /** Delivers one event to every matching rule's queue. */
  put(bus: string, event: BusEvent): RecordedEvent {
    const known = this.buses.has(bus);
    const matched = known ? this.rules.filter((rule) => rule.bus === bus && matchesPattern(rule.pattern, event)) : [];
    for (const rule of matched) rule.target.send(JSON.stringify(event));
    const recorded: RecordedEvent = {
      seq: ++this.seq,
      bus,
      receivedAt: new Date().toISOString(),
      matchedRules: matched.map((rule) => rule.name),
      ...(known ? {} : { dropped: `there is no event bus named "${bus}" on the local stack` }),
      event,
    };
    this.log.push(recorded);
    if (this.log.length > this.logLimit) this.log.splice(0, this.log.length - this.logLimit);
    for (const waiter of [...this.waiters]) waiter.check();
    return recorded;
  }

  /** Recorded events after `after`, oldest first, that pass `filter`. */
  events(filter: (e: RecordedEvent) => boolean = () => true, after = 0): RecordedEvent[] {
    return this.log.filter((e) => e.seq > after && filter(e));
  }

  get lastSeq(): number {
    return this.seq;
  }

  /** Resolves with the matching events once there is at least one, or with none after `waitMs`. */
  async waitForEvents(filter: (e: RecordedEvent) => boolean, after: number, waitMs: number): Promise<RecordedEvent[]> {
    const found = this.events(filter, after);
    if (found.length > 0 || waitMs <= 0) return found;
    return new Promise((resolve) => {
      const waiter = {
        finish: () => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(this.events(filter, after));
        },
        check: () => {
          if (this.events(filter, after).length > 0) waiter.finish();
        },
      };
      const timer = setTimeout(() => waiter.finish(), waitMs);
      this.waiters.add(waiter);
    });
  }

  /** Ends every pending wait, for shutdown. */
  close(): void {
    for (const waiter of [...this.waiters]) waiter.finish();
  }
}
