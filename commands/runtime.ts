import type { Command } from 'commander';
import type { z } from 'zod';
import { AwsClientFactory, type AwsClientSettings } from '../src/aws/clients.js';
import type { ResolvedSettings } from '../src/config/settings.js';
import { describeZodIssues } from '../src/config/zod-issues.js';
import { usageError } from '../src/errors.js';
import type { IoHost } from '../src/io/io-host.js';
import type { OutputStreams } from './terminal/streams.js';
import type { EngineTarget } from '../src/target/engine-target.js';
import { globalsFromEnvironment, type GlobalOptions } from './global-options.js';
// Static: main.ts loads it anyway, and a dynamic import would make it a chunk of its own on the --help path.
import { FollowUpIoHost } from './terminal/follow-up.js';

/** zod's API, handed to a command's schema when the command runs (`--help` and `--version` never load zod). */
export type Zod = typeof z;

/** What the process gives the CLI; injected so tests can run commands in-process. */
export interface Runtime {
  env: NodeJS.ProcessEnv;
  cwd: string;
  streams: OutputStreams;
  stdinIsTTY: boolean;
  /** Aborted on Ctrl-C; long waits in the core watch it. */
  signal: AbortSignal;
  awsFactory?: (settings: AwsClientSettings) => AwsClientFactory;
  /** The target flags of this run (`--local`, `--stack X`, ...), repeated in every printed follow-up command; set by main from argv. */
  followUpFlags?: readonly string[];
  /** Tests: receive the parsed options and stop before the command runs. */
  intercept?: (command: string, options: unknown) => void;
}

export interface CommandContext {
  io: IoHost;
  settings: ResolvedSettings;
  aws: AwsClientFactory;
  globals: GlobalOptions;
  runtime: Runtime;
  /** The engine the settings name (a deployed stack, or the local stack), opened on first use. */
  target(): Promise<EngineTarget>;
}

/**
 * Turns a command definition into a commander action: gathers positional arguments and flags
 * (global ones included), validates them with the command's zod schema (a bad value is exit 2,
 * naming the flag), builds the context, then runs the handler.
 */
export function defineAction<S extends z.ZodType<object>>(
  runtime: Runtime,
  name: string,
  schema: (z: Zod) => S | Promise<S>,
  handler: (options: z.infer<S>, ctx: CommandContext) => Promise<void>,
  argNames: string[] = [],
) {
  return async (...params: unknown[]) => {
    const command = params[params.length - 1] as Command;
    const positional: Record<string, unknown> = {};
    argNames.forEach((arg, i) => {
      if (params[i] !== undefined) positional[arg] = params[i];
    });
    const raw = { ...globalsFromEnvironment(runtime.env), ...command.optsWithGlobals() };
    const { z } = await import('zod');
    const { globalOptionsSchema } = await import('./global-options-schema.js');
    const globals = parseOrExit(z, globalOptionsSchema, raw, name);
    const options = parseOrExit(z, await schema(z), { ...raw, ...positional }, name);
    if (runtime.intercept) {
      runtime.intercept(name, { ...globals, ...options });
      return;
    }
    const ctx = await createContext(globals, runtime);
    await handler(options, ctx);
  };
}

function flagName(path: PropertyKey[]): string {
  const key = String(path[0] ?? '');
  return key ? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` : 'argument';
}

function parseOrExit<S extends z.ZodType>(z: Zod, schema: S, raw: unknown, command: string): z.infer<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const value = issue.path.length > 0 ? (raw as Record<string, unknown>)[String(issue.path[0])] : undefined;
    const shown = value === undefined ? '' : ` (got ${JSON.stringify(value)})`;
    return `${flagName(issue.path)}: ${describeZodIssues(new z.ZodError([issue]))[0].replace(/^[^:]+: /, '')}${shown}`;
  });
  throw usageError('INVALID_OPTION', `Invalid options for \`mailengine ${command}\`:\n  ${problems.join('\n  ')}`, `Run \`mailengine ${command} --help\` for the accepted values.`, {
    problems,
  });
}

export async function createContext(globals: GlobalOptions, runtime: Runtime): Promise<CommandContext> {
  const { createIoHost, makeChalk } = await import('./io.js');
  const { loadConfig } = await import('../src/config/config-file.js');
  const { resolveSettings } = await import('../src/config/settings.js');
  const { readLocalEndpoints } = await import('../src/local/endpoints.js');
  const chalk = makeChalk(globals, runtime.env);
  const host = await createIoHost(globals, runtime, chalk);
  const io = runtime.followUpFlags?.length ? new FollowUpIoHost(host, runtime.followUpFlags) : host;
  const loaded = await loadConfig({ explicitPath: globals.config, cwd: runtime.cwd });
  const settings = resolveSettings(globals, loaded, runtime.env);
  const awsSettings: AwsClientSettings = {
    region: settings.region,
    profile: settings.profile,
    local: settings.local ? readLocalEndpoints(runtime.cwd) : undefined,
  };
  const aws = runtime.awsFactory ? runtime.awsFactory(awsSettings) : new AwsClientFactory(awsSettings);
  let target: Promise<EngineTarget> | undefined;
  const openTarget = async () => (await import('../src/target/engine-target.js')).openEngineTarget(aws, settings, runtime.cwd, runtime.env);
  return { io, settings, aws, globals, runtime, target: () => (target ??= openTarget()) };
}
