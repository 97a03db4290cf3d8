import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startRunner, type EngineHooks } from '../../../src/local/runner/runner.js';
import { LocalSchedules } from '../../../src/local/runner/schedules.js';
import { testRunnerConfig } from '../../helpers/local-stack.js';

const dirs: string[] = [];
const open: LocalSchedules[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(start = Date.parse('2026-12-01T10:00:00Z')) {
  const dir = mkdtempSync(join(tmpdir(), 'schedules-'));
  dirs.push(dir);
  const file = join(dir, 'schedules', 'shop.json');
  const clock = { now: start };
  const sent: string[] = [];
  const queue = { send: (body: string) => (sent.push(body), `m-${sent.length}`) };
  const make = () => {
    const s = new LocalSchedules({ file, queue, now: () => clock.now });
    open.push(s);
    return s;
  };
  return { file, clock, sent, make };
}

describe('the local runner’s one-time schedules', () => {
  it('put their message on the send queue when their time comes, once, and are deleted after', async () => {
    const { clock, sent, make } = setup();
    const schedules = make();
    await schedules.create({ name: 'a', at: new Date(clock.now + 60_000), body: 'wake-a' });
    await schedules.create({ name: 'b', at: new Date(clock.now + 120_000), body: 'wake-b' });
    expect(schedules.fireDue()).toBe(0);
    clock.now += 60_000;
    expect(schedules.fireDue()).toBe(1);
    expect(sent).toEqual(['wake-a']);
    expect(schedules.list().map((s) => s.name)).toEqual(['b']);
    clock.now += 3_600_000;
    schedules.fireDue();
    schedules.fireDue();
    expect(sent).toEqual(['wake-a', 'wake-b']);
    expect(schedules.size).toBe(0);
  });

  it('creating one with a name that exists changes nothing (Scheduler’s ConflictException)', async () => {
    const { clock, make } = setup();
    const schedules = make();
    await schedules.create({ name: 'a', at: new Date(clock.now + 60_000), body: 'first' });
    await schedules.create({ name: 'a', at: new Date(clock.now + 1_000), body: 'second' });
    expect(schedules.list()).toEqual([{ name: 'a', at: new Date(clock.now + 60_000).toISOString() }]);
  });

  it('survive a restart: kept in the file as soon as created, fired at once when their time passed while the runner was down', async () => {
    const { file, clock, sent, make } = setup();
    const first = make();
    await first.create({ name: 'a', at: new Date(clock.now + 60_000), body: 'wake-a' });
    await first.create({ name: 'b', at: new Date(clock.now + 86_400_000), body: 'wake-b' });
    expect(JSON.parse(readFileSync(file, 'utf8')).schedules).toHaveLength(2);
    first.close();

    clock.now += 120_000;
    const second = make();
    expect(second.list().map((s) => s.name)).toEqual(['a', 'b']);
    // The restarted scheduler's timer fires what is overdue straight away.
    await new Promise((r) => setTimeout(r, 50));
    expect(sent).toEqual(['wake-a']);
    expect(second.list().map((s) => s.name)).toEqual(['b']);
    expect(JSON.parse(readFileSync(file, 'utf8')).schedules.map((s: { name: string }) => s.name)).toEqual(['b']);
  });
});

describe('the runner’s schedules across a restart', () => {
  it('a schedule made before the runner stopped fires onto the send queue once the runner is back, and one further ahead stays pending', async () => {
    const config = testRunnerConfig('runner-schedules');
    dirs.push(config.dataDir);
    const received: string[] = [];
    let captured: EngineHooks | undefined;
    const engine = (hooks: EngineHooks) => {
      captured = hooks;
      return {
        sender: async (event: { Records: Array<{ body: string }> }) => {
          received.push(...event.Records.map((r) => r.body));
          return { batchItemFailures: [] };
        },
        feedback: async () => ({ batchItemFailures: [] }),
      };
    };

    const first = await startRunner({ config, engine });
    await captured!.schedules.create({ name: 'soon', at: new Date(Date.now() + 1_000), body: '{"wake":"soon"}' });
    await captured!.schedules.create({ name: 'later', at: new Date(Date.now() + 3_600_000), body: '{"wake":"later"}' });
    expect(first.state().schedules).toBe(2);
    await first.close();

    // Its time passes while the runner is down.
    await new Promise((r) => setTimeout(r, 1_200));
    expect(received).toEqual([]);
    const second = await startRunner({ config, engine });
    try {
      const deadline = Date.now() + 5_000;
      while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(received).toEqual(['{"wake":"soon"}']);
      expect(second.state().schedules).toBe(1);
      expect(captured!.schedules.list().map((s) => s.name)).toEqual(['later']);
    } finally {
      await second.close();
    }
  }, 20_000);
});
