import { describe, expect, it } from 'vitest';
import { targetFlags, withTargetFlags } from '../../commands/terminal/follow-up.js';
import { captureStreams, hostOptions } from '../helpers/capture.js';
import { FollowUpIoHost } from '../../commands/terminal/follow-up.js';
import { NonInteractiveIoHost } from '../../commands/terminal/non-interactive-io-host.js';
import { handleError } from '../../commands/handle-error.js';
import { makeChalk } from '../../commands/io.js';
import { MailengineError } from '../../src/errors.js';

describe('target flags', () => {
  it('keeps the flags that choose the engine, as typed, each once (the last wins)', () => {
    expect(targetFlags(['status', 'lookup', '--local', '--stack', 'demo', '--limit', '3', '--json'])).toEqual(['--local', '--stack', 'demo']);
    expect(targetFlags(['info', '--stack=prod', '--region', 'eu-west-1', '--profile', 'ops', '--env', 'prod', '--config', 'conf/mail.json'])).toEqual(['--stack', 'prod', '--region', 'eu-west-1', '--profile', 'ops', '--env', 'prod', '--config', 'conf/mail.json']);
    expect(targetFlags(['info', '--stack', 'a', '--stack', 'b'])).toEqual(['--stack', 'b']);
    expect(targetFlags(['send', '--test', '--yes', '--debug'])).toEqual([]);
    expect(targetFlags(['send', '--data', '--', '--local'])).toEqual([]);
  });
});

describe('follow-up commands carry the target flags', () => {
  const flags = ['--local', '--stack', 'demo'];

  it('completes commands in backticks and commands that end a labelled line', () => {
    expect(withTargetFlags('Upload yours with `mailengine templates push`.', flags)).toBe('Upload yours with `mailengine templates push --local --stack demo`.');
    expect(withTargetFlags('More: mailengine status lookup --next abc123', flags)).toBe('More: mailengine status lookup --next abc123 --local --stack demo');
    expect(withTargetFlags('a\nSee where it got: mailengine status lookup --email-id test-1\nb', flags)).toBe('a\nSee where it got: mailengine status lookup --email-id test-1 --local --stack demo\nb');
  });

  it('adds only the flags a command does not already carry, and quotes values a shell would split', () => {
    expect(withTargetFlags('`mailengine local up --stack demo`', flags)).toBe('`mailengine local up --stack demo`');
    expect(withTargetFlags('`mailengine local up`', flags)).toBe('`mailengine local up --stack demo`');
    expect(withTargetFlags('`mailengine info --stack=x`', ['--stack', 'y'])).toBe('`mailengine info --stack=x`');
    expect(withTargetFlags('`mailengine info`', ['--config', 'my conf.json'])).toBe("`mailengine info --config 'my conf.json'`");
  });

  it('leaves prose and other programs alone', () => {
    for (const text of ['Sending is paused (mailengine local runner).', 'mailengine status lookup prints this line', 'x\nmailengine info at the start of a line is prose', 'reinstall it (`npm i -g mailengine`)', 'To try mailengine without AWS, use --local.', 'nothing to see']) {
      expect(withTargetFlags(text, flags)).toBe(text);
    }
    expect(withTargetFlags('`mailengine info`', [])).toBe('`mailengine info`');
  });

  it('the host completes messages, progress, questions and rendered results; the error handler, messages and suggestions', async () => {
    const streams = captureStreams();
    const host = new FollowUpIoHost(new NonInteractiveIoHost({ ...hostOptions(streams), yes: true }), ['--local']);
    host.notify({ code: 'send.test.published', level: 'info', message: 'Follow it: mailengine status lookup --email-id a-1' });
    host.progress('info.read', 'Reading; `mailengine info` shows it').succeed();
    expect(await host.requestResponse({ kind: 'confirm', code: 'pause.confirm', message: 'Pause? `mailengine resume` undoes it.', default: false })).toBe(true);
    host.result({ next: 't' }, (r) => `More: mailengine status lookup --next ${r.next}`);
    expect(streams.err()).toContain('Follow it: mailengine status lookup --email-id a-1 --local\n');
    expect(streams.err()).toContain('`mailengine info --local`');
    expect(streams.out()).toBe('More: mailengine status lookup --next t --local\n');

    const errors = captureStreams();
    handleError(new MailengineError('LOCAL_NOT_PROVISIONED', 'No engine demo.', { suggestion: 'Run `mailengine local up --stack demo` first.' }), { streams: errors, chalk: makeChalk({ color: false }, {}), debug: false, json: false, followUpFlags: ['--local', '--stack', 'demo'] });
    expect(errors.err()).toContain('Run `mailengine local up --stack demo` first.');
  });
});
