import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment a CLI run gets: a user's PATH and nothing of this machine's AWS setup (no credentials, profiles or instance metadata). */
export function isolatedCliEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: '/nonexistent-home',
    CI: 'true',
    FORCE_COLOR: '0',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
    AWS_CONFIG_FILE: '/nonexistent/config',
  };
}

/**
 * Runs the built CLI as a user's shell would, in CI mode, with no AWS configuration of the
 * machine leaking in: no credentials, no profiles, no instance metadata.
 */
export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; nodeArgs?: string[]; input?: string } = {}): Promise<CliRun> {
  return runToEnd(process.execPath, [...(options.nodeArgs ?? []), CLI, ...args], { cwd: options.cwd ?? process.cwd(), env: { ...isolatedCliEnv(), ...options.env }, input: options.input });
}

/** Runs a program to its end with `input` on stdin (none by default), collecting what it printed. */
export function runToEnd(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; input?: string; shell?: boolean }): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'], shell: options.shell });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** A Node stack frame: what must never reach a user without --debug. */
export const STACK_FRAME = /\n\s+at .+[(:]\d+/;
