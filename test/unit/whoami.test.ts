import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AwsClientFactory, type AwsClientSettings } from '../../src/aws/clients.js';
import { runInProcess } from '../helpers/in-process.js';

/** A factory that fails the test if anything asks STS: `whoami --local` has no AWS to ask. */
function noSts(settings: AwsClientSettings): AwsClientFactory {
  const factory = new AwsClientFactory(settings);
  factory.sts = () => Promise.reject(new Error('whoami --local must not build an STS client'));
  return factory;
}

describe('mailengine whoami --local', () => {
  it('shows the local endpoints and credentials at once, without a word about asking AWS', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'mailengine-whoami-'));
    mkdirSync(join(cwd, '.mailengine', 'local'), { recursive: true });
    const endpoints = { dynamodb: 'http://127.0.0.1:31010', s3: 'http://127.0.0.1:31011', sesv2: 'http://127.0.0.1:31012', eventbridge: 'http://127.0.0.1:31013', inbox: 'http://127.0.0.1:31012/' };
    writeFileSync(join(cwd, '.mailengine', 'local', 'endpoints.json'), JSON.stringify(endpoints));

    const out = await runInProcess(['whoami', '--local'], { cwd, awsFactory: noSts });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toBe('');
    expect(out.stdout.split('\n')).toEqual([
      'No AWS account: with --local, mailengine talks to the local stack on this machine.',
      'region       us-east-1',
      'credentials  S3RVER / S3RVER (the emulators accept any key; s3rver insists on these)',
      'dynamodb     http://127.0.0.1:31010',
      's3           http://127.0.0.1:31011',
      'sesv2        http://127.0.0.1:31012',
      'eventbridge  http://127.0.0.1:31013',
      'Whether it is running: mailengine local status',
      '',
    ]);

    const json = await runInProcess(['whoami', '--local', '--json'], { cwd, awsFactory: noSts });
    expect(json.code).toBe(0);
    expect(json.json()).toEqual({ local: true, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, endpoints: { dynamodb: endpoints.dynamodb, s3: endpoints.s3, sesv2: endpoints.sesv2, eventbridge: endpoints.eventbridge } });
  });

  it('without a local stack ever started: the default ports', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'mailengine-whoami-'));
    const out = await runInProcess(['whoami', '--local', '--json'], { cwd, awsFactory: noSts });
    expect(out.code, out.stderr).toBe(0);
    expect(out.json<{ endpoints: Record<string, string> }>().endpoints).toEqual({ dynamodb: 'http://127.0.0.1:4510', s3: 'http://127.0.0.1:4511', sesv2: 'http://127.0.0.1:4512', eventbridge: 'http://127.0.0.1:4513' });
  });
});
