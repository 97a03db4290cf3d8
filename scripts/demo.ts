/**
 * `npm run demo` — the whole engine on the local stack in under a minute, no AWS account needed.
 *
 *   npm run demo              run it and stop everything afterwards
 *   npm run demo -- --keep    leave the stack running to look around (the inbox, the runner's state)
 *   npm run demo -- --stop    stop a stack left running by --keep
 *
 * The outcome table goes to stdout; progress to stderr. Exit 0 when every request ended where it
 * should, 1 when one did not, and the usual mailengine codes for environment problems.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { Chalk, chalkStderr } from 'chalk';
import { existsSync } from 'node:fs';
import { handleError } from '../commands/handle-error.js';
import { NonInteractiveIoHost } from '../commands/terminal/non-interactive-io-host.js';
import type { DemoResult, DemoRow } from '../src/local/demo.js';

const args = process.argv.slice(2);
const FLAGS = new Set(['--keep', '--stop', '--help', '-h']);
const unknown = args.filter((a) => !FLAGS.has(a));
const colourOff = (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') || process.env.FORCE_COLOR === '0';
const chalk = colourOff ? new Chalk({ level: 0 }) : chalkStderr;

if (args.includes('--help') || args.includes('-h') || unknown.length > 0) {
  const usage = 'usage: npm run demo [-- --keep | --stop]\n\n  --keep  leave the local stack running afterwards\n  --stop  stop the local stack a --keep run left running\n';
  (unknown.length > 0 ? process.stderr : process.stdout).write(`${unknown.length > 0 ? `unknown option ${unknown[0]}\n` : ''}${usage}`);
  process.exit(unknown.length > 0 ? 2 : 0);
}

/** What each request should end as; a row that differs fails the demo. */
const EXPECTED: Record<string, string> = {
  'normal send': 'delivered',
  'normal send (simulator)': 'delivered',
  'simulator bounce': 'bounced',
  'simulator complaint': 'complained',
  'duplicate (same emailId)': 'duplicate-skipped',
  'invalid address': 'failed',
  'unknown template': 'failed',
};

/** Borderless columns, like `mailengine local up` prints, so the table fits a terminal. */
function columns(head: string[], rows: ReadonlyArray<ReadonlyArray<string | undefined>>): string {
  const cells = [head, ...rows.map((row) => row.map((cell) => cell ?? '-'))];
  const widths = head.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  return cells.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')).join('\n');
}

function render(result: DemoResult): string {
  const table = columns(
    ['REQUEST', 'EMAIL ID', 'RECIPIENT', 'STATUS', 'ERROR TYPE'],
    result.rows.map((r: DemoRow) => [r.request, r.emailId, r.recipient, r.status, r.errorType]),
  );
  const notes = result.rows.filter((r) => r.note).map((r) => `  ${r.emailId}${r.status === 'duplicate-skipped' ? ' (duplicate)' : ''}: ${r.note}`);
  const lines = [table, '', 'Notes:', ...notes, '', `${result.inboxCount} emails reached the SES emulator's inbox: ${result.inbox}`];
  if (result.running) {
    lines.push('', `The local stack is still running; its engine runner serves stack ${result.stackName}. From this directory:`);
    // In a checkout, npx runs this package's own bin (dist/cli.js, which `npm run build` makes).
    if (!existsSync(new URL('../dist/cli.js', import.meta.url))) lines.push('  npm run build   # once: builds the CLI that npx runs');
    for (const command of result.commands) lines.push(`  npx mailengine ${command.args.join(' ')}   # ${command.what}`);
    lines.push('', 'Point an app at it:');
    for (const [name, value] of Object.entries(result.env)) lines.push(`  export ${name}=${value}`);
    lines.push('', 'Stop it with `npm run demo -- --stop` (or `npx mailengine local down`).');
  } else {
    lines.push('The local stack has been stopped; run `npm run demo -- --keep` to keep it (and the inbox) open.');
  }
  lines.push(`Done in ${(result.tookMs / 1000).toFixed(1)} s.`);
  return lines.join('\n');
}

const io = new NonInteractiveIoHost({ streams: process, chalk });
try {
  if (args.includes('--stop')) {
    const { downLocalStack } = await import('../src/local/down.js');
    await downLocalStack({ dir: process.cwd() }, io);
  } else {
    const { runDemo } = await import('../src/local/demo.js');
    const result = await runDemo({ dir: process.cwd(), keep: args.includes('--keep'), io });
    process.stdout.write(`${render(result)}\n`);
    const wrong = result.rows.filter((r) => EXPECTED[r.request] !== undefined && EXPECTED[r.request] !== r.status);
    if (wrong.length > 0) {
      process.stderr.write(chalk.red(`error: ${wrong.length} request(s) did not end as expected: ${wrong.map((r) => `${r.emailId} is ${r.status}, expected ${EXPECTED[r.request]}`).join('; ')}\n`));
      process.exitCode = 1;
    }
  }
} catch (err) {
  process.exitCode = handleError(err, { streams: process, chalk, debug: process.env.DEBUG !== undefined, json: false });
}
