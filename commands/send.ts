import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { Zod } from './runtime.js';
import { usageError } from '../src/errors.js';
import { dataTable } from './terminal/render.js';
import type { SendTestResult } from '../src/operations/send-test.js';
import type { LocalAttachment } from '../src/operations/send-test-attachments.js';
import { SIMULATIONS } from '../src/operations/simulations.js';
import { defineAction, type Runtime } from './runtime.js';
import { detailText } from './status/lookup.js';
import { registerSendSchedule } from './send-schedule.js';

const timeoutOption = (z: Zod) =>
  z
    .string()
    .regex(/^\d+$/, { message: 'is not a whole number of seconds' })
    .transform(Number)
    .pipe(z.number().int().min(1, { message: 'must be 1 to 3600 seconds' }).max(3600, { message: 'must be 1 to 3600 seconds' }));

export const sendOptions = (z: Zod) =>
  z.object({
    test: z.boolean().default(false),
    simulate: z.enum(SIMULATIONS).optional(),
    to: z.string().min(1).optional(),
    template: z.string().min(1),
    data: z.string().optional(),
    dataFile: z.string().min(1).optional(),
    emailId: z.string().min(1).optional(),
    timeout: timeoutOption(z).default(60),
    attach: z.array(z.string().min(1)).optional(),
    at: z.string().min(1).optional(),
  });

/** The send timeline has an extra column, so its details are cut shorter than `status lookup`'s. */
const SEND_DETAIL_WIDTH = 60;

/** "+1.2 s" from the request, so the timeline reads as the engine's latency. */
function offset(time: string, from: number): string {
  const ms = Date.parse(time) - from;
  return Number.isFinite(ms) ? `+${(Math.max(0, ms) / 1000).toFixed(1)} s` : '';
}

const DATA_SOURCE = { data: '--data', 'data-file': '--data-file', 'sample-data': 'its sampleData' } as const;

export function renderSendTest(r: SendTestResult): string {
  const how = r.simulate ? `simulate ${r.simulate}` : 'a real address';
  const attached = r.attachments?.length ? ` · attached ${r.attachments.join(', ')}` : '';
  const lines = [`Test email ${r.emailId} → ${r.to}`, `template ${r.template} with ${DATA_SOURCE[r.dataSource]} · ${how}${attached} · expected ${r.expected}`, ''];
  const from = Date.parse(r.publishedAt);
  lines.push(
    r.history.length === 0
      ? '(no history yet)'
      : dataTable(
          ['time', 'since request', 'event', 'status', 'details'],
          r.history.map((h) => [h.time, offset(h.time, from), h.event, h.status, detailText(h.details, SEND_DETAIL_WIDTH)]),
        ),
  );
  const waited = `${(r.waitedMs / 1000).toFixed(1)} s`;
  if (r.ok && r.outcome === 'scheduled') lines.push(scheduledLine(r, waited));
  else if (r.ok) lines.push(`✔ ${r.outcome}, as expected (${waited}).`);
  else if (r.timedOut) lines.push(`✖ no outcome within ${(r.timeoutMs / 1000).toFixed(0)} s; last seen: ${r.status ?? 'no tracking record'}.`);
  else lines.push(`✖ ${r.outcome}${r.errorType ? ` (${r.errorType})` : ''}, expected ${r.expected}.`);
  return lines.join('\n');
}

/** `send --test --at`: what was scheduled, and how to follow, move or cancel it. */
function scheduledLine(r: SendTestResult, waited: string): string {
  return [
    `✔ scheduled for ${r.sendAt} (${waited}).`,
    // In backticks, each command gets the run's target flags (--local, --stack …) when printed.
    `Follow it: \`mailengine status lookup --email-id ${r.emailId}\` · move it: \`mailengine send reschedule ${r.emailId} --at <time>\` · cancel it: \`mailengine send cancel ${r.emailId}\``,
  ].join('\n');
}

export function registerSend(program: Command, runtime: Runtime): void {
  const send = program
    .command('send')
    .description('send a test email through the engine (the real path: its bus, Sender and SES) and wait for the outcome')
    .option('--test', 'send a test email (the only kind `send` sends; apps publish Email Request events themselves)')
    .option('--simulate <outcome>', `use the SES mailbox simulator: ${SIMULATIONS.join(', ')}`)
    .option('--to <address>', 'a real recipient instead of the simulator (expects delivered)')
    // Required of `send --test` itself, checked below: commander would also demand it of `send cancel`.
    .option('--template <name>', 'the template to send (as pushed to the engine)')
    .option('--data <json>', "template data as a JSON object (default: the template's sampleData)")
    .option('--data-file <file>', 'template data from a JSON file')
    .option('--email-id <id>', 'the emailId to use (default: a new test-… id)')
    .option('--timeout <seconds>', 'how long to wait for the outcome', '60')
    .option('--attach <[cid=]file>', 'upload a file to the attachments prefix and send it with the email; cid=file sends it inline for <img src="cid:…"> (repeatable)', (value: string, list: string[] = []) => [...list, value])
    .option('--at <time>', 'schedule it: ISO 8601 with an offset, or from now (+10m, +2h); the wait ends once the engine has it scheduled')
    .addHelpText(
      'after',
      [
        '',
        'Expected outcomes: success and ooto → delivered, bounce and suppressed → bounced, complaint → complained;',
        '--to → delivered. Exit 0 when the email ends as expected, 1 when it does not, is rejected, or times out.',
      ].join('\n'),
    )
    .action(
      defineAction(runtime, 'send', sendOptions, async (options, ctx) => {
        if (!options.test) {
          throw usageError(
            'SEND_TEST_REQUIRED',
            'The send command sends test emails only: add --test.',
            "Applications send email by publishing an Email Request event on the engine's bus (see docs/sending.md).",
          );
        }
        const dataFile = options.dataFile ? await readDataFile(ctx.runtime.cwd, options.dataFile) : undefined;
        const attachments = options.attach ? await readAttachFiles(ctx.runtime.cwd, options.attach) : undefined;
        const { planSendTest, sendTestEmail, sendTestFailure } = await import('../src/operations/send-test.js');
        // Bad input stops here, before any AWS call.
        const plan = planSendTest({ ...options, dataFile, attachments, timeoutSeconds: options.timeout });
        const { openEngine } = await import('../src/operations/engine-context.js');
        const target = await ctx.target();
        const engine = await openEngine(ctx.aws, target);
        const result = await sendTestEmail(
          {
            events: await ctx.aws.eventbridge(),
            s3: await ctx.aws.s3(),
            tracking: engine.stores.tracking,
            engine: { eventBusName: engine.resources.eventBusName, templatesBucket: engine.resources.templatesBucket, where: engine.where },
            confirmServed: target.confirmServed ? () => target.confirmServed!() : undefined,
            io: ctx.io,
            signal: ctx.runtime.signal,
          },
          plan,
        );
        ctx.io.result(result, renderSendTest);
        if (!result.ok) throw sendTestFailure(result);
      }),
    );
  send.hook('preAction', (_send, action) => {
    if (action === send && send.getOptionValue('template') === undefined) {
      send.error("error: required option '--template <name>' not specified", { code: 'commander.missingMandatoryOptionValue' });
    }
  });
  registerSendSchedule(send, runtime);
}

async function readAttachFiles(cwd: string, specs: string[]): Promise<LocalAttachment[]> {
  const { parseAttachSpec } = await import('../src/operations/send-test-attachments.js');
  return Promise.all(
    specs.map(async (spec) => {
      const { path, contentId } = parseAttachSpec(spec);
      try {
        return { path, ...(contentId ? { contentId } : {}), bytes: await readFile(isAbsolute(path) ? path : resolve(cwd, path)) };
      } catch (err) {
        throw usageError('ATTACH_FILE_UNREADABLE', `--attach ${spec} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`, 'Give the path of a file to send, or <content id>=<file> for an inline image.');
      }
    }),
  );
}

async function readDataFile(cwd: string, file: string): Promise<{ name: string; text: string }> {
  try {
    return { name: file, text: await readFile(isAbsolute(file) ? file : resolve(cwd, file), 'utf8') };
  } catch (err) {
    throw usageError('DATA_FILE_UNREADABLE', `--data-file ${file} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`, 'Give the path of a JSON file with the template data.');
  }
}
