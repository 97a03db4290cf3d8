import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInProcess } from '../helpers/in-process.js';

const cwd = mkdtempSync(join(tmpdir(), 'mailengine-help-'));
const help = async (...argv: string[]) => {
  const out = await runInProcess([...argv, '--help'], { cwd });
  expect(out.code).toBe(0);
  return out.stdout;
};

describe('help', () => {
  it.each([['send'], ['status', 'lookup'], ['templates', 'push'], ['local', 'up'], ['dlq', 'list'], ['pause']])('`%s --help` lists the global flags it honours', async (...argv) => {
    const text = await help(...argv);
    const globals = text.slice(text.indexOf('Global Options:'));
    expect(text).toContain('Global Options:');
    for (const flag of ['--local', '--json', '--yes', '--stack <name>', '--env <name>', '--region <region>', '--profile <name>', '--config <file>']) expect(globals).toContain(flag);
  });

  it('prints defaults as they are typed, without quotes', async () => {
    const send = await help('send');
    expect(send).toMatch(/--timeout <seconds>\s+how long to wait for the outcome \(default: 60\)/);
    expect(send).not.toMatch(/default: "/);
    for (const argv of [['local', 'up'], ['deploy'], ['templates', 'preview'], ['dlq', 'list']]) expect(await help(...argv)).not.toMatch(/default: "/);
  });

  it('`local --help` names the engine runner among the parts', async () => {
    expect(await help('local')).toMatch(/engine runner/);
  });
});
