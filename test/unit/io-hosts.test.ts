import { describe, expect, it } from 'vitest';
import { canPrompt, makeChalk } from '../../commands/io.js';
import { ExitCode, MailengineError } from '../../src/errors.js';
import type { IoRequest } from '../../src/io/io-host.js';
import { JsonIoHost } from '../../commands/terminal/json-io-host.js';
import { NonInteractiveIoHost } from '../../commands/terminal/non-interactive-io-host.js';
import { RecordingIoHost } from '../helpers/recording-io-host.js';
import { captureStreams, hostOptions } from '../helpers/capture.js';

const confirmDelete: IoRequest = { kind: 'confirm', code: 'destroy.confirm', message: 'Delete stack mailengine?', default: false };
const askEmail: IoRequest = { kind: 'input', code: 'deploy.parameter.AdminEmail', message: 'Admin email', flag: '--admin-email' };
const askRegion: IoRequest = { kind: 'input', code: 'deploy.region', message: 'Region', flag: '--region', default: 'eu-west-1' };

describe('non-interactive host', () => {
  it('never prompts: a confirmation without --yes fails with exit 2 and says how to answer', async () => {
    const host = new NonInteractiveIoHost(hostOptions(captureStreams()));
    const err = await host.requestResponse(confirmDelete).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MailengineError);
    expect((err as MailengineError).code).toBe('PROMPT_REQUIRED');
    expect((err as MailengineError).exitCode).toBe(ExitCode.Usage);
    expect((err as MailengineError).suggestion).toContain('--yes');
  });

  it('a missing value names the flag that supplies it, even with --yes when there is no default', async () => {
    const host = new NonInteractiveIoHost(hostOptions(captureStreams(), { yes: true }));
    const err = (await host.requestResponse(askEmail).catch((e: unknown) => e)) as MailengineError;
    expect(err.code).toBe('PROMPT_REQUIRED');
    expect(err.suggestion).toContain('--admin-email');
  });

  it('a question that brings its own refusal stops with that error when no one can answer, and is answered by --yes', async () => {
    const refusal = () => new MailengineError('APPROVAL_REQUIRED', 'Installing creates IAM roles, and there is no terminal to ask.', { exitCode: ExitCode.Usage });
    const approve: IoRequest = { kind: 'confirm', code: 'deploy.approve', message: 'Install?', default: false, refusal };
    const err = (await new NonInteractiveIoHost(hostOptions(captureStreams())).requestResponse(approve).catch((e: unknown) => e)) as MailengineError;
    expect(err.code).toBe('APPROVAL_REQUIRED');
    expect(await new NonInteractiveIoHost(hostOptions(captureStreams(), { yes: true })).requestResponse(approve)).toBe(true);
    // A question --yes must not answer still refuses in its own words.
    const guarded: IoRequest = { ...approve, flag: '--force' };
    expect(((await new NonInteractiveIoHost(hostOptions(captureStreams(), { yes: true })).requestResponse(guarded).catch((e: unknown) => e)) as MailengineError).code).toBe('APPROVAL_REQUIRED');
  });

  it('--yes accepts confirmations and defaults', async () => {
    const host = new NonInteractiveIoHost(hostOptions(captureStreams(), { yes: true }));
    expect(await host.requestResponse(confirmDelete)).toBe(true);
    expect(await host.requestResponse(askRegion)).toBe('eu-west-1');
    expect(await host.requestResponse({ kind: 'type-to-confirm', code: 'destroy.confirm', message: 'Destroy?', expected: 'mailengine' })).toBe(true);
  });

  it('progress and notices go to stderr, results to stdout', () => {
    const streams = captureStreams();
    const host = new NonInteractiveIoHost(hostOptions(streams));
    const p = host.progress('deploy.execute', 'Waiting for the stack');
    host.notify({ code: 'deploy.preflight.sandbox', level: 'warn', message: 'sandbox account' });
    p.succeed('Stack ready');
    host.result({ ok: true }, () => 'all good');
    expect(streams.out()).toBe('all good\n');
    expect(streams.err()).toContain('Waiting for the stack...');
    expect(streams.err()).toContain('warning: sandbox account');
    expect(streams.err()).toContain('✔ Stack ready');
  });

  it('a failed step is marked, not reported as a second error: the error that stopped it is printed once', () => {
    const streams = captureStreams();
    const host = new NonInteractiveIoHost(hostOptions(streams));
    host.progress('local.up', 'Starting the local stack').fail('The local stack did not start');
    expect(streams.err()).toBe('Starting the local stack...\n✖ The local stack did not start\n');
    expect(streams.err()).not.toContain('error:');
  });

  it('debug messages appear only with --debug', () => {
    const quiet = captureStreams();
    new NonInteractiveIoHost(hostOptions(quiet)).notify({ code: 'info.read', level: 'debug', message: 'DescribeStacks' });
    expect(quiet.err()).toBe('');
    const loud = captureStreams();
    new NonInteractiveIoHost(hostOptions(loud, { debug: true })).notify({ code: 'info.read', level: 'debug', message: 'DescribeStacks' });
    expect(loud.err()).toContain('[info.read] DescribeStacks');
  });
});

describe('JSON host', () => {
  it('prints only the result, as one JSON document, on stdout', () => {
    const streams = captureStreams();
    const host = new JsonIoHost(hostOptions(streams));
    const p = host.progress('deploy.check', 'Working');
    host.notify({ code: 'deploy.check', level: 'info', message: 'chatter' });
    host.notify({ code: 'deploy.check', level: 'success', message: 'done' });
    p.succeed();
    host.result({ stack: 'mailengine', count: 2 }, () => 'human text that must not appear');
    expect(JSON.parse(streams.out())).toEqual({ stack: 'mailengine', count: 2 });
    expect(streams.out()).not.toContain('human text');
    expect(streams.err()).toBe('');
  });

  it('still reports warnings on stderr, never on stdout', () => {
    const streams = captureStreams();
    const host = new JsonIoHost(hostOptions(streams));
    host.notify({ code: 'deploy.preflight.sandbox', level: 'warn', message: 'account is in the SES sandbox' });
    host.result([], () => '');
    expect(JSON.parse(streams.out())).toEqual([]);
    expect(streams.err()).toContain('sandbox');
  });

  it('never prompts either', async () => {
    const host = new JsonIoHost(hostOptions(captureStreams()));
    await expect(host.requestResponse(confirmDelete)).rejects.toMatchObject({ code: 'PROMPT_REQUIRED' });
  });
});

describe('recording host', () => {
  it('records messages, requests, progress and results, answering from its script', async () => {
    const host = new RecordingIoHost({ 'destroy.confirm': true });
    host.notify({ code: 'deploy.check', level: 'info', message: 'one' });
    const p = host.progress('deploy.upload', 'step');
    p.update('half');
    p.succeed('done');
    expect(await host.requestResponse(confirmDelete)).toBe(true);
    host.result({ n: 1 }, (d) => `n=${d.n}`);
    expect(host.codes()).toEqual(['deploy.check']);
    expect(host.progressLog).toEqual([{ code: 'deploy.upload', messages: ['step', 'half', 'done'], outcome: 'succeed' }]);
    expect(host.requests.map((r) => r.code)).toEqual(['destroy.confirm']);
    expect(host.results).toEqual([{ n: 1 }]);
    expect(host.rendered).toEqual(['n=1']);
  });

  it('an unscripted question fails like a non-interactive host', async () => {
    const host = new RecordingIoHost();
    await expect(host.requestResponse(confirmDelete)).rejects.toMatchObject({ code: 'PROMPT_REQUIRED' });
  });
});

describe('who may be asked', () => {
  const tty = { stdinIsTTY: true, streams: captureStreams(true) };
  it.each([
    ['a terminal', {}, false, true],
    ['CI=true', { CI: 'true' }, false, false],
    ['CI=1', { CI: '1' }, false, false],
    ['CI=false', { CI: 'false' }, false, true],
    ['--json', {}, true, false],
  ])('%s', (_label, env, json, expected) => {
    expect(canPrompt({ json }, { ...tty, env })).toBe(expected);
  });

  it('no TTY on stdin or stderr', () => {
    expect(canPrompt({ json: false }, { env: {}, stdinIsTTY: false, streams: captureStreams(true) })).toBe(false);
    expect(canPrompt({ json: false }, { env: {}, stdinIsTTY: true, streams: captureStreams(false) })).toBe(false);
  });

  it('NO_COLOR and --no-color turn colours off', () => {
    expect(makeChalk({ color: true }, { NO_COLOR: '1' }).level).toBe(0);
    expect(makeChalk({ color: false }, {}).level).toBe(0);
    expect(makeChalk({ color: true }, { FORCE_COLOR: '3' }).level).toBeGreaterThan(0);
  });
});
