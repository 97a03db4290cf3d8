import { Command, Help, type Option } from 'commander';
import { VERSION } from '../src/version.js';
import { registerConfig } from './config.js';
import { registerDeploy } from './deploy.js';
import { registerDestroy } from './destroy.js';
import { registerDlq } from './dlq/index.js';
import { registerDoctor } from './doctor.js';
import { registerDomain } from './domain/index.js';
import { registerErase } from './erase.js';
import { addGlobalOptions } from './global-options.js';
import { registerInfo } from './info.js';
import { registerLocal } from './local/index.js';
import { registerPause } from './pause.js';
import { registerResume } from './resume.js';
import type { Runtime } from './runtime.js';
import { registerSend } from './send.js';
import { registerStats } from './stats.js';
import { registerStatus } from './status/index.js';
import { registerSuppression } from './suppression/index.js';
import { registerTemplates } from './templates/index.js';
import { registerWhoami } from './whoami.js';

/**
 * The command tree. Registration is explicit, and a command is registered only once it works.
 * Command modules import no AWS SDK code at load time; clients are built on first use.
 *
 * With `argv`, the subcommands of a command group (`templates`, `local`, ...) are registered only
 * when the run can reach them: when the group is the command named, or through `help`. Every
 * group still lists itself, so `mailengine --help` and a mistyped command read as with the whole
 * tree, which is most of what a start-up would otherwise spend building. Without `argv`, the
 * whole tree.
 */
export function createProgram(runtime: Runtime, argv?: readonly string[]): Command {
  const program = new Command('mailengine')
    .description('Install, upgrade and operate a transactional email engine on Amazon SES in your own AWS account.')
    .version(VERSION, '-v, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (text) => runtime.streams.stdout.write(text),
      writeErr: (text) => runtime.streams.stderr.write(text),
    })
    .addHelpText('after', '\nExit codes: 0 ok · 1 failed · 2 bad usage · 3 credentials/permissions/environment · 4 not found · 130 interrupted')
    .exitOverride();
  addGlobalOptions(program);
  const operand = argv ? firstOperand(program, argv) : undefined;
  const needs = (group: string) => !argv || operand === group || operand === 'help';

  registerConfig(program, runtime);
  registerWhoami(program, runtime);
  registerDeploy(program, runtime);
  registerDestroy(program, runtime);
  registerInfo(program, runtime);
  registerTemplates(program, runtime, needs('templates'));
  registerLocal(program, runtime, needs('local'));
  registerStatus(program, runtime, needs('status'));
  registerSuppression(program, runtime, needs('suppression'));
  registerErase(program, runtime);
  registerDomain(program, runtime, needs('domain'));
  registerSend(program, runtime);
  registerPause(program, runtime);
  registerResume(program, runtime);
  registerDlq(program, runtime, needs('dlq'));
  registerStats(program, runtime);
  registerDoctor(program, runtime);

  // Subcommands inherit exit handling and output routing from the root.
  for (const cmd of program.commands) applyToTree(cmd, program);
  return program;
}

/**
 * The first argument that is not an option or an option's value: the command named, or undefined
 * when there is none (`mailengine --help`). Options before it can only be the root's.
 */
function firstOperand(program: Command, argv: readonly string[]): string | undefined {
  const takesValue = new Set(program.options.filter((o) => o.required || o.optional).flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f))));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') return argv[i + 1];
    if (!arg.startsWith('-') || arg === '-') return arg;
    // `--stack prod`: the value is not the command (`--stack=prod` carries its own).
    if (takesValue.has(arg) && i + 1 < argv.length && !argv[i + 1].startsWith('-')) i += 1;
  }
  return undefined;
}

/**
 * Help as a user reads it: every subcommand lists the global flags it honours (--local, --json,
 * --stack, ...), and defaults print as typed (`default: 60`, not `default: "60"`).
 */
const HELP = {
  showGlobalOptions: true,
  // The root's flags only: a parent command's own options (`send --template`) are not its subcommands'.
  visibleGlobalOptions(this: Help, cmd: Command): Option[] {
    let root = cmd;
    while (root.parent) root = root.parent;
    return root === cmd ? [] : root.options.filter((option) => !option.hidden);
  },
  optionDescription(this: Help, option: Option): string {
    return Help.prototype.optionDescription.call(this, option).replace(/\bdefault: "((?:[^"\\]|\\.)*)"/, 'default: $1');
  },
};

function applyToTree(cmd: Command, root: Command): void {
  cmd.configureHelp(HELP);
  cmd.exitOverride();
  cmd.configureOutput(root.configureOutput());
  cmd.showSuggestionAfterError(true);
  for (const sub of cmd.commands) applyToTree(sub, root);
}
