import type { Command } from 'commander';
import type { Zod } from '../runtime.js';
import { dataTable } from '../terminal/render.js';
import type { EmailView, TimelineEntry } from '../../src/operations/email-view.js';
import type { LookupResult } from '../../src/operations/lookup.js';
import { defineAction, type Runtime } from '../runtime.js';

const limitOption = (z: Zod) =>
  z
    .string()
    .regex(/^\d+$/, { message: 'is not a whole number' })
    .transform(Number)
    .pipe(z.number().int().min(1, { message: 'must be 1 to 200' }).max(200, { message: 'must be 1 to 200' }));

export const lookupOptions = (z: Zod) =>
  z.object({
    recipient: z.string().min(1).optional(),
    emailId: z.string().min(1).optional(),
    messageId: z.string().min(1).optional(),
    since: z.string().min(1).optional(),
    until: z.string().min(1).optional(),
    limit: limitOption(z).optional(),
    next: z.string().min(1).optional(),
    status: z.string().min(1).optional(),
    wide: z.boolean().default(false),
  });

/** How much of an event's details a timeline row shows unless `--wide` asks for all of it. */
export const DETAIL_WIDTH = 90;

/**
 * Details as short `key=value` pairs, so the timeline stays one line per event. Cut to `width`
 * characters with "…" when given; `--wide` passes none.
 */
export function detailText(details: TimelineEntry['details'], width?: number): string | undefined {
  if (!details) return undefined;
  const text = Object.entries(details)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return width !== undefined && text.length > width ? `${text.slice(0, width - 1)}…` : text;
}

export interface LookupView {
  /** Whole details, however long. */
  wide: boolean;
}

function renderEmail(email: EmailView, view: LookupView): { text: string; cut: boolean } {
  const facts = [email.status, email.recipient, email.templateName ? `template ${email.templateName}` : undefined, email.sendAt ? `send at ${email.sendAt}` : undefined, `created ${email.createdAt}`, `attempts ${email.attempts}`].filter(Boolean);
  const lines = [`${email.emailId}  ${facts.join(' · ')}`];
  if (email.sesMessageId) lines.push(`  SES message id ${email.sesMessageId}`);
  if (email.attachments) lines.push(`  attachments ${email.attachments.join(', ')}`);
  if (email.errorType) lines.push(`  ${email.errorType}: ${email.errorMessage ?? ''}`.trimEnd());
  if (email.lastError) lines.push(`  last error: ${email.lastError}`);
  const width = view.wide ? undefined : DETAIL_WIDTH;
  lines.push(
    email.history.length === 0
      ? '  (no history entries)'
      : dataTable(
          ['time', 'event', 'status', 'details'],
          email.history.map((h) => [h.time, h.event, h.status, detailText(h.details, width)]),
        ),
  );
  const cut = width !== undefined && email.history.some((h) => (detailText(h.details)?.length ?? 0) > width);
  return { text: lines.join('\n'), cut };
}

export function renderLookup(result: LookupResult, view: LookupView = { wide: false }): string {
  const q = result.query;
  const heading =
    q.by === 'recipient'
      ? `${result.emails.length} email${result.emails.length === 1 ? '' : 's'} to ${q.recipient}, newest first`
      : q.by === 'time'
        ? `${result.emails.length} email${result.emails.length === 1 ? '' : 's'} created ${q.since} – ${q.until}, newest first`
        : q.by === 'scheduled'
          ? `${result.emails.length} scheduled email${result.emails.length === 1 ? '' : 's'}, soonest first`
          : undefined;
  const emails = result.emails.map((email) => renderEmail(email, view));
  const blocks = emails.map((e) => e.text);
  if (heading) blocks.unshift(heading);
  if (emails.some((e) => e.cut)) blocks.push(`Details longer than ${DETAIL_WIDTH} characters are cut (…); --wide shows them whole.`);
  if (result.next) blocks.push(`More: mailengine status lookup --next ${result.next}${view.wide ? ' --wide' : ''}`);
  return blocks.join('\n\n');
}

export function registerStatusLookup(status: Command, runtime: Runtime): void {
  status
    .command('lookup')
    .description('find emails by recipient, emailId, SES message id or time, or list the scheduled ones, each with its timeline (not found: exit 4)')
    .option('--recipient <address>', 'emails sent to this address, newest first')
    .option('--email-id <id>', 'the email with this emailId')
    .option('--message-id <id>', 'the email SES knows by this message id')
    .option('--since <time>', 'emails created since: 2026-11-22, 2026-11-22T09:30:00Z, or an age such as 24h or 7d (UTC)')
    .option('--until <time>', 'emails created until (default: now); a date includes that whole day')
    .option('--limit <n>', 'emails per page, 1-200 (default: 20; with --next, the page size of the lookup that printed it)')
    .option('--status <status>', 'scheduled: the emails waiting for their sendAt, soonest first')
    .option('--next <token>', 'the next page of an earlier --recipient, --since or --status lookup (its "More:" line)')
    .option('--wide', `show every event's details whole (without it, they are cut at ${DETAIL_WIDTH} characters)`)
    .addHelpText('after', '\nLookups read the engine\'s indexes (by-recipient, by-message-id, by-day, by-send-at); they never scan the table.')
    .action(
      defineAction(runtime, 'status lookup', lookupOptions, async (options, ctx) => {
        const { lookupEmails, planLookup } = await import('../../src/operations/lookup.js');
        const { openEngine } = await import('../../src/operations/engine-context.js');
        const plan = planLookup(options);
        const engine = await openEngine(ctx.aws, await ctx.target());
        const result = await lookupEmails(engine.stores.tracking, plan, engine.where);
        ctx.io.result(result, (r) => renderLookup(r, { wide: options.wide }));
      }),
    );
}
