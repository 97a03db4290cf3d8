import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { createProgram } from '../../commands/program.js';
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

describe('the command tree a run builds', () => {
  const runtime = { env: {}, cwd, streams: { stdout: process.stdout, stderr: process.stderr }, stdinIsTTY: false, signal: new AbortController().signal };
  const GROUPS = ['templates', 'local', 'status', 'suppression', 'domain', 'dlq'];
  /** The groups (of those above) whose subcommands were built. */
  const built = (program: Command) => program.commands.filter((c) => GROUPS.includes(c.name()) && c.commands.length > 0).map((c) => c.name());

  it("builds a group's subcommands only when the run names the group (or asks `help`), and lists every group either way", () => {
    const whole = createProgram(runtime);
    expect(built(whole)).toEqual(GROUPS);

    const bare = createProgram(runtime, ['--help']);
    expect(bare.commands.map((c) => c.name())).toEqual(whole.commands.map((c) => c.name()));
    expect(built(bare)).toEqual([]);
    expect(bare.helpInformation()).toBe(whole.helpInformation());

    expect(built(createProgram(runtime, ['status', 'lookup', '--help']))).toEqual(['status']);
    expect(built(createProgram(runtime, ['--stack', 'templates', 'status', 'lookup']))).toEqual(['status']);
    expect(built(createProgram(runtime, ['--stack=prod', 'dlq', 'list']))).toEqual(['dlq']);
    expect(built(createProgram(runtime, ['help', 'templates', 'push']))).toEqual(GROUPS);
    expect(built(createProgram(runtime, ['deploy', '--help']))).toEqual([]);
  });

  it('`mailengine <group> <subcommand> --help` prints the same help whatever was left unbuilt', async () => {
    const out = await runInProcess(['--region', 'eu-west-1', 'suppression', 'import', '--help'], { cwd });
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('Usage: mailengine suppression import');
  });
});
