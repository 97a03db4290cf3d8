import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { QueueJournal, replayJournal } from '../../../src/local/runner/journal.js';
import { LocalQueue } from '../../../src/local/runner/queue.js';
import { tempProject } from '../../helpers/local.js';

const ARN = 'arn:aws:sqs:us-east-1:000000000000:shop-send';

function journalFile(): string {
  return join(tempProject('journal'), 'queues', 'shop-send.jsonl');
}

const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean);

describe('the queue journal', () => {
  it('replays puts, receives, visibility changes, deletes and purges in order', () => {
    const put = (id: string) => JSON.stringify({ op: 'put', m: { messageId: id, body: id, md5OfBody: '', sentAt: 1, receiveCount: 0, visibleAt: 1 } });
    const text = [
      put('a'),
      put('b'),
      put('c'),
      JSON.stringify({ op: 'recv', id: 'a', rc: 1, fr: 5, v: 100 }),
      JSON.stringify({ op: 'vis', id: 'a', v: 50 }),
      JSON.stringify({ op: 'del', id: 'b' }),
      '',
    ].join('\n');
    const replayed = replayJournal(text);
    expect(replayed.torn).toBe(false);
    expect(replayed.lines).toBe(6);
    expect([...replayed.messages.keys()]).toEqual(['a', 'c']);
    expect(replayed.messages.get('a')).toMatchObject({ receiveCount: 1, firstReceivedAt: 5, visibleAt: 50 });
    expect(replayJournal(`${text}${JSON.stringify({ op: 'purge' })}\n${put('d')}\n`).messages.size).toBe(1);
  });

  it('ignores a last line cut short by a kill, and only that one', () => {
    const whole = `${JSON.stringify({ op: 'put', m: { messageId: 'a', body: 'x', md5OfBody: '', sentAt: 1, receiveCount: 0, visibleAt: 1 } })}\n`;
    const torn = replayJournal(`${whole}{"op":"del","i`);
    expect(torn).toMatchObject({ torn: true, lines: 1 });
    expect(torn.messages.has('a')).toBe(true);
    // Even a line that parses is not trusted without its newline: the write did not finish.
    expect(replayJournal(`${whole}{"op":"del","id":"a"}`).messages.has('a')).toBe(true);
    // Damage in the middle is not a crash: replay refuses rather than guess.
    expect(() => replayJournal(`{"op":"put"\n${whole}`, 'q.jsonl')).toThrow(/q\.jsonl: line 1/);
  });

  it('compacts on open: one line per live message, nothing for what was deleted', () => {
    const file = journalFile();
    const queue = new LocalQueue('shop-send', ARN, { visibilityTimeoutMs: 1000, journalFile: file });
    const ids = Array.from({ length: 5 }, (_, i) => queue.send(`m${i}`));
    const received = queue.receive(3);
    for (const m of received.slice(0, 2)) queue.delete(m.receiptHandle);
    queue.close();
    expect(lines(file)).toHaveLength(5 + 3 + 2);

    const { journal, messages } = QueueJournal.open(file);
    journal.close();
    expect([...messages.keys()]).toEqual(ids.slice(2));
    expect(lines(file)).toHaveLength(3);
    expect(lines(file).every((l) => JSON.parse(l).op === 'put')).toBe(true);
  });

  it('compacts while open once the journal outgrows its messages, and replays the same queue after', () => {
    const file = journalFile();
    const queue = new LocalQueue('shop-send', ARN, { visibilityTimeoutMs: 0, journalFile: file });
    for (let i = 0; i < 12_000; i++) {
      queue.send(`m${i}`);
      const [m] = queue.receive(1);
      queue.delete(m.receiptHandle);
    }
    const kept = queue.send('kept');
    // 36,000 operations, yet the file holds far fewer lines: it was compacted on the way.
    expect(lines(file).length).toBeLessThan(20_000);
    queue.close();
    const reopened = new LocalQueue('shop-send', ARN, { visibilityTimeoutMs: 0, journalFile: file });
    expect(reopened.list().map((m) => m.messageId)).toEqual([kept]);
    reopened.close();
  });

  it('keeps 10,000 messages cheaply: one appended line per operation, never a rewrite of the file', () => {
    const file = journalFile();
    const queue = new LocalQueue('shop-send', ARN, { visibilityTimeoutMs: 30_000, journalFile: file });
    const inode = statSync(file).ino;
    const began = performance.now();
    for (let i = 0; i < 10_000; i++) queue.send(JSON.stringify({ emailId: `e-${i}`, pad: 'x'.repeat(200) }));
    // The same file (a rewrite would have replaced it), grown by exactly one line per send.
    expect(statSync(file).ino).toBe(inode);
    expect(lines(file)).toHaveLength(10_000);
    for (let got = queue.receive(10); got.length; got = queue.receive(10)) for (const m of got) queue.delete(m.receiptHandle);
    const tookMs = performance.now() - began;
    // 30,000 operations, but the journal was compacted on the way (past 20,000 lines).
    expect(lines(file).length).toBeLessThan(20_000);
    queue.close();
    expect(queue.depth()).toMatchObject({ visible: 0, inFlight: 0 });
    // About a second on an idle laptop; the bound only catches a return to quadratic work.
    expect(tookMs).toBeLessThan(10_000);
  });
});

describe('a durable local queue reopened after its process died', () => {
  it('has every queued message back, with its attributes, and in-flight ones hidden until their visibility timeout runs out', () => {
    let now = 1_000_000;
    const file = journalFile();
    const options = { visibilityTimeoutMs: 30_000, journalFile: file, now: () => now };
    const queue = new LocalQueue('shop-send', ARN, options);
    const waiting = queue.send('waiting', { attributes: { 'mailengine-requeues': { DataType: 'Number', StringValue: '2' } } });
    const busy = queue.send('busy');
    const [held] = queue.receive(1).filter((m) => m.messageId === waiting || m.messageId === busy);
    expect(held.messageId).toBe(waiting);
    // No close(): the process is gone; a torn half-line is all it managed to add.
    appendFileSync(file, '{"op":"del","id":"');

    now += 1_000;
    const reopened = new LocalQueue('shop-send', ARN, options);
    expect(reopened.depth()).toEqual({ visible: 1, inFlight: 1, delayed: 0 });
    expect(reopened.receive(10).map((m) => m.messageId)).toEqual([busy]);
    now += 30_000;
    const [back] = reopened.receive(10);
    expect(back).toMatchObject({ messageId: waiting, receiveCount: 2, firstReceivedAt: held.firstReceivedAt, attributes: { 'mailengine-requeues': { DataType: 'Number', StringValue: '2' } } });
    reopened.close();
  });

  it('keeps a delayed message delayed across a restart, and counts it as delayed, not in flight', () => {
    let now = 5_000;
    const file = journalFile();
    const options = { visibilityTimeoutMs: 30_000, journalFile: file, now: () => now };
    const queue = new LocalQueue('shop-send', ARN, options);
    queue.send('later', { delayMs: 60_000 });
    expect(queue.receive(10)).toEqual([]);
    expect(queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 1 });
    queue.close();
    const reopened = new LocalQueue('shop-send', ARN, options);
    now += 59_999;
    expect(reopened.receive(10)).toEqual([]);
    now += 1;
    expect(reopened.receive(10).map((m) => m.body)).toEqual(['later']);
    reopened.close();
  });

  it('refuses a delay over 15 minutes, as SQS does', () => {
    const queue = new LocalQueue('shop-send', ARN, { visibilityTimeoutMs: 1000 });
    expect(() => queue.send('x', { delayMs: 900_001 })).toThrow(/DelaySeconds/);
    expect(queue.send('x', { delayMs: 900_000 })).toEqual(expect.any(String));
    queue.close();
  });

  it('drops messages past their retention when it reopens', () => {
    let now = 0;
    const file = journalFile();
    const queue = new LocalQueue('shop-send', ARN, { visibilityTimeoutMs: 1000, retentionMs: 10_000, journalFile: file, now: () => now });
    queue.send('old');
    now = 5_000;
    queue.send('new');
    queue.close();
    now = 12_000;
    const reopened = new LocalQueue('shop-send', ARN, { visibilityTimeoutMs: 1000, retentionMs: 10_000, journalFile: file, now: () => now });
    expect(reopened.list().map((m) => m.body)).toEqual(['new']);
    reopened.close();
  });

  it('moves a message to a durable dead letter queue and keeps it there across a restart', () => {
    const dir = tempProject('journal-dlq');
    const dlqOptions = { visibilityTimeoutMs: 1000, journalFile: join(dir, 'dlq.jsonl') };
    const dlq = new LocalQueue('shop-send-dlq', `${ARN}-dlq`, dlqOptions);
    const queue = new LocalQueue('shop-send', ARN, { visibilityTimeoutMs: 0, journalFile: join(dir, 'send.jsonl'), redrive: { deadLetterQueue: dlq, maxReceiveCount: 1 } });
    const id = queue.send('poison');
    queue.receive(1);
    expect(queue.receive(1)).toEqual([]);
    queue.close();
    dlq.close();
    const reopenedDlq = new LocalQueue('shop-send-dlq', `${ARN}-dlq`, dlqOptions);
    expect(reopenedDlq.list()).toEqual([expect.objectContaining({ messageId: id, deadLetterSourceQueue: ARN, receiveCount: 1 })]);
    expect(new LocalQueue('shop-send', ARN, { visibilityTimeoutMs: 0, journalFile: join(dir, 'send.jsonl') }).list()).toEqual([]);
    reopenedDlq.close();
  });

  it('starts empty from a missing file, and from an empty one', () => {
    const file = journalFile();
    const queue = new LocalQueue('shop-send', ARN, { visibilityTimeoutMs: 1000, journalFile: file });
    expect(queue.list()).toEqual([]);
    queue.close();
    writeFileSync(file, '');
    expect(new LocalQueue('shop-send', ARN, { visibilityTimeoutMs: 1000, journalFile: file }).list()).toEqual([]);
  });
});
