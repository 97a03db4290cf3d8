import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { runInProcess, serviceError } from './in-process.js';

/**
 * `send --test`, `pause`, `resume`, `dlq list|redrive` and `stats` all start from the stack's
 * outputs. A stack that does not exist: CloudFormation DescribeStacks answers 400 ValidationError
 * "Stack with id X does not exist" (API reference); each command names the stack and the region,
 * exits 4, and goes no further.
 */
const cfn = mockClient(CloudFormationClient);
const cwd = mkdtempSync(join(tmpdir(), 'mailengine-ops-nostack-'));

beforeEach(() => {
  cfn.reset();
  cfn.on(DescribeStacksCommand).rejects(serviceError('ValidationError', 'Stack with id shop-prod does not exist', 400));
});

describe('a stack that does not exist: exit 4, naming the stack and the region', () => {
  it.each([
    [['send', '--test', '--simulate', 'bounce', '--template', 'welcome']],
    [['send', '--test', '--to', 'ada@customer.example', '--template', 'welcome']],
    [['pause', '--yes']],
    [['resume']],
    [['dlq', 'list']],
    [['dlq', 'redrive', '--yes']],
    [['dlq', 'redrive', '--dry-run']],
    [['stats']],
  ])('%j', async (argv) => {
    const out = await runInProcess([...argv, '--stack', 'shop-prod', '--region', 'eu-west-1', '--json'], { cwd });
    expect(out.code).toBe(4);
    expect(out.stdout).toBe('');
    const { error } = JSON.parse(out.stderr);
    expect(error).toMatchObject({ code: 'STACK_NOT_FOUND', message: 'No stack named shop-prod in eu-west-1.', exitCode: 4 });
    expect(error.suggestion).toContain('mailengine deploy');
    expect(cfn.commandCalls(DescribeStacksCommand)).toHaveLength(1);
  });

  it('--local without a local stack in this directory: exit 4 with the command that provisions it', async () => {
    for (const argv of [['stats'], ['dlq', 'list'], ['pause', '--yes'], ['send', '--test', '--simulate', 'success', '--template', 'welcome']]) {
      const out = await runInProcess([...argv, '--local', '--stack', 'shop-prod'], { cwd });
      expect(out.code).toBe(4);
      expect(out.stderr).toContain('The local stack has no engine named shop-prod.');
      expect(out.stderr).toContain('mailengine local up --stack shop-prod');
    }
  });
});
