import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { serviceError, runInProcess } from '../../helpers/in-process.js';

/**
 * Every data-plane command starts from the stack's outputs. When the stack does not exist,
 * CloudFormation DescribeStacks answers 400 ValidationError "Stack with id X does not exist" (API
 * reference); each command must say which stack and region it looked for, exit 4, and go no further.
 */
const cfn = mockClient(CloudFormationClient);
const cwd = mkdtempSync(join(tmpdir(), 'mailengine-nostack-'));
writeFileSync(join(cwd, 'list.csv'), 'ann@customer.example\n');

beforeEach(() => {
  cfn.reset();
  cfn.on(DescribeStacksCommand).rejects(serviceError('ValidationError', 'Stack with id shop-prod does not exist', 400));
});

describe('a stack that does not exist: exit 4, naming the stack and the region', () => {
  it.each([
    [['status', 'lookup', '--recipient', 'ann@customer.example']],
    [['status', 'lookup', '--email-id', 'order-1']],
    [['suppression', 'check', 'ann@customer.example']],
    [['suppression', 'list']],
    [['suppression', 'add', 'ann@customer.example']],
    [['suppression', 'remove', 'ann@customer.example']],
    [['suppression', 'import', 'list.csv']],
    [['suppression', 'export']],
    [['erase', 'ann@customer.example', '--yes']],
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
    expect(cfn.commandCalls(DescribeStacksCommand)[0].args[0].input).toEqual({ StackName: 'shop-prod' });
  });

  it('without --json the same error is plain text with the next step, and no stack trace', async () => {
    const out = await runInProcess(['status', 'lookup', '--email-id', 'order-1', '--stack', 'shop-prod', '--region', 'eu-west-1'], { cwd });
    expect(out.code).toBe(4);
    expect(out.stderr).toContain('error: No stack named shop-prod in eu-west-1.');
    expect(out.stderr).toContain('↳ Run `mailengine deploy --stack shop-prod --region eu-west-1` first');
    expect(out.stderr).not.toMatch(/\n\s+at .+[(:]\d+/);
  });

  it('--local without a local stack in this directory: exit 4 with the command that provisions it', async () => {
    for (const argv of [['stats'], ['dlq', 'list'], ['pause', '--yes'], ['send', '--test', '--simulate', 'success', '--template', 'welcome']]) {
      const out = await runInProcess([...argv, '--local', '--stack', 'shop-prod'], { cwd });
      expect(out.code).toBe(4);
      expect(out.stderr).toContain('The local stack has no engine named shop-prod (nothing is provisioned there yet).');
      expect(out.stderr).toContain('mailengine local up --stack shop-prod');
    }
  });
});
