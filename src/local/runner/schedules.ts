import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { OneTimeSchedules } from '../../engine/schedule.js';
import { silentLogger, type EngineLogger } from '../../engine/status-events.js';
import type { LocalQueue } from './queue.js';

/** One pending one-time schedule, as the file keeps it. */
interface StoredSchedule {
  name: string;
  /** Epoch ms. */
  at: number;
  body: string;
}

/** setTimeout's longest delay; a schedule further ahead is re-armed when this runs out. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The runner's EventBridge Scheduler: one-time schedules that put their message on the local send
 * queue when their time comes, and are then deleted (ActionAfterCompletion DELETE). They are kept
 * in one JSON file, rewritten (to a temporary file, then renamed over it, which is atomic) on every
 * change before the call returns, so a killed runner loses none: a restarted runner fires the ones
 * whose time passed while it was down at once, as Scheduler would once it could reach the queue.
 * Creating a schedule whose name exists changes nothing, as Scheduler answers ConflictException.
 */
export class LocalSchedules implements OneTimeSchedules {
  private readonly pending = new Map<string, StoredSchedule>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly now: () => number;
  private readonly log: EngineLogger;

  constructor(
    private readonly options: { file: string; queue: Pick<LocalQueue, 'send'>; log?: EngineLogger; now?: () => number },
  ) {
    this.now = options.now ?? Date.now;
    this.log = options.log ?? silentLogger;
    if (existsSync(options.file)) {
      const stored = JSON.parse(readFileSync(options.file, 'utf8')) as { schedules?: StoredSchedule[] };
      for (const s of stored.schedules ?? []) this.pending.set(s.name, s);
    }
    this.arm();
  }

  async create(schedule: { name: string; at: Date; body: string }): Promise<void> {
    if (this.closed) throw new Error('the local scheduler is closed');
    if (this.pending.has(schedule.name)) return;
    this.pending.set(schedule.name, { name: schedule.name, at: schedule.at.getTime(), body: schedule.body });
    this.save();
    this.arm();
  }

  /** The schedules waiting, soonest first. */
  list(): Array<{ name: string; at: string }> {
    return [...this.pending.values()].sort((a, b) => a.at - b.at).map((s) => ({ name: s.name, at: new Date(s.at).toISOString() }));
  }

  get size(): number {
    return this.pending.size;
  }

  /** Fires every schedule whose time has come: its message goes to the queue, then the schedule is deleted. */
  fireDue(): number {
    const due = [...this.pending.values()].filter((s) => s.at <= this.now()).sort((a, b) => a.at - b.at);
    for (const s of due) {
      // On the queue first, then forgotten: a crash in between fires it twice, which a wake-up tolerates.
      this.options.queue.send(s.body);
      this.pending.delete(s.name);
      this.log.info('schedule.fired', { name: s.name, at: new Date(s.at).toISOString() });
    }
    if (due.length) this.save();
    return due.length;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.closed || this.pending.size === 0) return;
    const next = Math.min(...[...this.pending.values()].map((s) => s.at));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      try {
        this.fireDue();
      } catch (err) {
        this.log.error('schedule.fire-failed', { error: String(err) });
      }
      this.arm();
    }, Math.min(MAX_TIMER_MS, Math.max(0, next - this.now())));
    this.timer.unref?.();
  }

  private save(): void {
    mkdirSync(dirname(this.options.file), { recursive: true });
    const tmp = `${this.options.file}.tmp`;
    writeFileSync(tmp, JSON.stringify({ schedules: [...this.pending.values()] }));
    renameSync(tmp, this.options.file);
  }
}
