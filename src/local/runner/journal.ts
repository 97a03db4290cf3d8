import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** One message as the journal keeps it: everything a restarted queue needs to hand it out again. */
export interface StoredMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  sentAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  visibleAt: number;
  attributes?: Record<string, MessageAttribute>;
  deadLetterSourceQueue?: string;
}

/** An SQS message attribute (`DataType` String or Number; Binary is not needed by the engine). */
export interface MessageAttribute {
  DataType: 'String' | 'Number';
  StringValue: string;
}

/**
 * One line of the journal. `put` carries a whole message (a send, a dead-letter move, or a line of
 * a compacted snapshot); the others change or remove one already put.
 */
export type JournalEntry =
  | { op: 'put'; m: StoredMessage }
  | { op: 'recv'; id: string; rc: number; fr: number; v: number }
  | { op: 'vis'; id: string; v: number }
  | { op: 'del'; id: string }
  | { op: 'purge' };

export interface Replayed {
  messages: Map<string, StoredMessage>;
  /** Lines applied. */
  lines: number;
  /** The last line was cut short (the process died while writing it) and was ignored. */
  torn: boolean;
}

/**
 * Rebuilds a queue's messages from its journal text. Text after the last newline can only be a
 * line cut off by a kill in the middle of a write: it is ignored, because the operation it
 * described never returned to its caller. A line that does not parse anywhere else means the file
 * was damaged by something other than a crash, and replay refuses it rather than guess.
 */
export function replayJournal(text: string, file = 'journal'): Replayed {
  const messages = new Map<string, StoredMessage>();
  const lines = text.split('\n');
  // A complete journal ends with a newline, so its last element is ''.
  const last = lines.length - 1;
  let applied = 0;
  let torn = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') continue;
    // Every write ends with a newline, so text after the last one was cut short, parseable or not.
    if (i === last) {
      torn = true;
      break;
    }
    let entry: JournalEntry;
    try {
      entry = JSON.parse(line) as JournalEntry;
    } catch {
      throw new Error(`${file}: line ${i + 1} is not a journal entry; the queue file is damaged`);
    }
    apply(messages, entry);
    applied++;
  }
  return { messages, lines: applied, torn };
}

function apply(messages: Map<string, StoredMessage>, entry: JournalEntry): void {
  switch (entry.op) {
    case 'put':
      messages.set(entry.m.messageId, { ...entry.m });
      return;
    case 'recv': {
      const m = messages.get(entry.id);
      if (m) Object.assign(m, { receiveCount: entry.rc, firstReceivedAt: entry.fr, visibleAt: entry.v });
      return;
    }
    case 'vis': {
      const m = messages.get(entry.id);
      if (m) m.visibleAt = entry.v;
      return;
    }
    case 'del':
      messages.delete(entry.id);
      return;
    case 'purge':
      messages.clear();
      return;
  }
}

/**
 * The append-only file behind one durable local queue.
 *
 * Durability policy: every operation is written to the file with a synchronous `write` before the
 * queue operation returns, so once SendMessage (or a receive, a delete) has answered, the
 * operation survives the runner being killed, SIGKILL included: the bytes are in the operating
 * system's page cache, which outlives the process. The file is `fsync`ed only when it is
 * compacted and when the queue closes, not on every operation: a power cut or kernel crash may
 * lose the last operations, which is acceptable for a development stack and keeps 10,000 messages
 * cheap (an fsync per message would cost milliseconds each).
 *
 * Compaction rewrites the file as one `put` line per live message (to a temporary file, fsynced,
 * then renamed over the journal, which is atomic): on open, and whenever the journal has grown to
 * several times the live messages, so it never grows without bound.
 */
export class QueueJournal {
  private fd: number | undefined;
  private lines = 0;

  private constructor(private readonly file: string) {}

  /** Opens (creating) the journal, replays it, compacts it, and returns the live messages. */
  static open(file: string, keep: (m: StoredMessage) => boolean = () => true): { journal: QueueJournal; messages: Map<string, StoredMessage>; torn: boolean } {
    mkdirSync(dirname(file), { recursive: true });
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    const replayed = replayJournal(text, file);
    for (const [id, m] of replayed.messages) if (!keep(m)) replayed.messages.delete(id);
    const journal = new QueueJournal(file);
    journal.compact(replayed.messages.values());
    return { journal, messages: replayed.messages, torn: replayed.torn };
  }

  append(entry: JournalEntry): void {
    if (this.fd === undefined) throw new Error(`${this.file} is closed`);
    writeSync(this.fd, `${JSON.stringify(entry)}\n`);
    this.lines++;
  }

  /** Lines written since the last compaction (the snapshot counts). */
  get length(): number {
    return this.lines;
  }

  /** Replaces the journal with a snapshot of `messages`. */
  compact(messages: Iterable<StoredMessage>): void {
    if (this.fd !== undefined) closeSync(this.fd);
    const tmp = `${this.file}.tmp`;
    const out = openSync(tmp, 'w');
    let lines = 0;
    try {
      let chunk = '';
      for (const m of messages) {
        chunk += `${JSON.stringify({ op: 'put', m } satisfies JournalEntry)}\n`;
        lines++;
        if (chunk.length > 1 << 20) {
          writeSync(out, chunk);
          chunk = '';
        }
      }
      if (chunk) writeSync(out, chunk);
      fsyncSync(out);
    } finally {
      closeSync(out);
    }
    renameSync(tmp, this.file);
    this.fd = openSync(this.file, 'a');
    this.lines = lines;
  }

  close(): void {
    if (this.fd === undefined) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = undefined;
  }
}
