import { Option, type Command } from 'commander';
export type { GlobalOptions } from './global-options-schema.js';

export function addGlobalOptions(program: Command): Command {
  return program
    .option('--json', 'print the result as JSON on stdout (implies no prompts)')
    .option('-y, --yes', 'answer yes to every confirmation; never prompt')
    .option('--no-color', 'no colours (also: NO_COLOR=1)')
    .option('--debug', 'show debug messages and stack traces')
    .addOption(new Option('--profile <name>', 'AWS named profile'))
    .addOption(new Option('--region <region>', 'AWS region, e.g. eu-west-1'))
    .addOption(new Option('--stack <name>', 'stack name (default: mailengine, or mailengine-<env>; env: MAILENGINE_STACK)'))
    .addOption(new Option('--env <name>', 'environment from mailengine.config.json (env: MAILENGINE_ENV)'))
    .option('--local', 'use the local stack instead of AWS (see `mailengine local up`)')
    .addOption(new Option('--config <file>', 'config file (default: nearest mailengine.config.json)'));
}

/** Environment variables that stand in for flags (read from the injected runtime, not process.env). */
export function globalsFromEnvironment(env: NodeJS.ProcessEnv): Partial<Record<'stack' | 'env', string>> {
  return {
    ...(env.MAILENGINE_STACK ? { stack: env.MAILENGINE_STACK } : {}),
    ...(env.MAILENGINE_ENV ? { env: env.MAILENGINE_ENV } : {}),
  };
}
