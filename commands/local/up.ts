import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { Zod } from '../runtime.js';
import type { UpResult } from '../../src/local/up.js';
import { defineAction, type Runtime } from '../runtime.js';
import { portOption, shownPath } from './shared.js';
import { columns } from '../terminal/render.js';

const upOptions = (z: Zod) =>
  z.object({
    dynamodbPort: portOption(z),
    s3Port: portOption(z),
    sesPort: portOption(z),
    eventbridgePort: portOption(z),
    inMemory: z.boolean().default(false),
    timeout: z
      .string()
      .regex(/^\d+$/, { message: 'is not a whole number of seconds' })
      .transform(Number)
      .pipe(z.number().int().min(1, { message: 'must be at least 1 second' }))
      .optional(),
    provision: z.boolean().default(true),
    template: z.string().min(1).optional(),
  });

const STATE_TEXT: Record<UpResult['parts'][number]['state'], string> = { started: 'started', 'already-running': 'already running', restarted: 'restarted' };

function render(result: UpResult, cwd: string, stackName: string): string {
  const changed = result.parts.filter((p) => p.state !== 'already-running').length;
  const lines = [
    changed === 0
      ? `The local stack was already running (state in ${shownPath(cwd, result.stateDir)}).`
      : `Local stack running (state in ${shownPath(cwd, result.stateDir)}).`,
    '',
    columns(
      ['PART', 'STATE', 'PID', 'ENDPOINT'],
      [
        ...result.parts.map((p) => [p.label, STATE_TEXT[p.state], p.pid, p.endpoint]),
      ],
    ),
  ];
  const provisioned = result.provisioned;
  if (provisioned) {
    lines.push('', `Resources of stack "${stackName}" from ${shownPath(cwd, provisioned.template)}:`, '');
    lines.push(
      columns(
        ['RESOURCE', 'NAME', 'STATUS', 'DETAIL'],
        [
          ...provisioned.tables.map((t) => [
            t.logicalId,
            t.name,
            t.changes.length ? `${t.status} (${t.changes.join(', ')})` : t.status,
            [t.indexes.length ? `indexes ${t.indexes.join(', ')}` : '', t.ttlAttribute ? `TTL ${t.ttlAttribute}` : ''].filter(Boolean).join('; '),
          ]),
          ...provisioned.buckets.map((b) => [b.logicalId, b.name, b.status, 'bucket']),
        ],
      ),
    );
    for (const table of provisioned.tables) for (const warning of table.warnings) lines.push(`warning: ${table.name}: ${warning}`);
  }
  const serving = result.serving;
  if (serving) {
    lines.push(
      '',
      serving.configured && serving.stackName
        ? `The engine runner serves stack ${serving.stackName}: requests on ${serving.bus} are sent.${serving.stackName === stackName ? '' : ` Commands for it take --local --stack ${serving.stackName}.`}`
        : `The engine runner serves no stack${serving.reason ? ` (${serving.reason})` : ''}; \`mailengine local up --stack <name>\` provisions one and makes it serve it.`,
    );
  }
  lines.push('', `Inbox (every email the SES emulator accepted): ${result.inbox}`, '', 'Point an app at it:');
  for (const [name, value] of Object.entries(result.env)) lines.push(`  export ${name}=${value}`);
  lines.push('', 'Every mailengine command takes --local to use it. Stop it with `mailengine local down`.');
  return lines.join('\n');
}

export function registerLocalUp(local: Command, runtime: Runtime): void {
  local
    .command('up')
    .description('start the local stack (idempotent), wait until every part answers, create the stack\'s tables and bucket from the template, and make the engine runner serve that stack (--stack, or the config environment\'s)')
    .option('--dynamodb-port <port>', 'DynamoDB Local port (default 4510; every port defaults to the last one used)')
    .option('--s3-port <port>', 'S3 emulator port (default 4511)')
    .option('--ses-port <port>', 'SES emulator and inbox port (default 4512)')
    .option('--eventbridge-port <port>', 'port of the engine runner\'s PutEvents endpoint (default 4513)')
    .option('--in-memory', 'keep DynamoDB data in memory only: nothing survives `local down`')
    .option('--timeout <seconds>', 'how long each part may take to answer (default 60 for DynamoDB Local, 30 for the others)')
    .option('--no-provision', 'do not create the tables and bucket')
    .option('--template <file>', 'provision from this CloudFormation template instead of the engine’s')
    .action(
      defineAction(runtime, 'local up', upOptions, async (options, ctx) => {
        const { upLocalStack } = await import('../../src/local/up.js');
        const { LOCAL_REGION } = await import('../../src/config/settings.js');
        const awsFactory = ctx.runtime.awsFactory;
        const result = await upLocalStack(
          {
            dir: ctx.runtime.cwd,
            ports: { dynamodb: options.dynamodbPort, s3: options.s3Port, sesv2: options.sesPort, eventbridge: options.eventbridgePort },
            inMemory: options.inMemory,
            readyTimeoutMs: options.timeout === undefined ? undefined : options.timeout * 1000,
            env: ctx.runtime.env,
            signal: ctx.runtime.signal,
            provision: options.provision
              ? {
                  stackName: ctx.settings.stackName,
                  template: options.template === undefined ? undefined : resolve(ctx.runtime.cwd, options.template),
                  parameters: ctx.settings.parameters,
                  skipIfTemplateMissing: true,
                }
              : false,
            aws: awsFactory ? (endpoints) => awsFactory({ region: LOCAL_REGION, local: endpoints }) : undefined,
          },
          ctx.io,
        );
        ctx.io.result(result, (r) => render(r, ctx.runtime.cwd, ctx.settings.stackName));
      }),
    );
}
