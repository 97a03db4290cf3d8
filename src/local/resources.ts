import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ExitCode, MailengineError } from '../errors.js';
import { localStateDir } from './endpoints.js';
import { serveCommand } from './runner/serving.js';
import type { ProvisionResult } from './provision.js';

/**
 * The local stand-in for a stack's resource list: for each stack name provisioned locally, the
 * physical name of each table and bucket by logical id. On AWS, commands learn these from the
 * stack; locally there is no CloudFormation, so `local up` records them in `resources.json`.
 */
export type LocalResources = Record<string, Record<string, string>>;

function resourcesFile(cwd: string): string {
  return join(localStateDir(cwd), 'resources.json');
}

export function readLocalResources(cwd: string): LocalResources {
  const file = resourcesFile(cwd);
  if (!existsSync(file)) return {};
  return JSON.parse(readFileSync(file, 'utf8')) as LocalResources;
}

/** Physical names of one stack's tables and buckets on the local stack, by logical id (`TrackingTable`). */
export function localStackResources(cwd: string, stackName: string): Record<string, string> | undefined {
  return readLocalResources(cwd)[stackName];
}

export async function recordLocalResources(cwd: string, result: ProvisionResult): Promise<void> {
  const all = readLocalResources(cwd);
  all[result.stackName] = Object.fromEntries([...result.tables, ...result.buckets].map((r) => [r.logicalId, r.name]));
  const file = resourcesFile(cwd);
  await mkdir(localStateDir(cwd), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(all, null, 2)}\n`);
  await rename(temp, file);
}

/**
 * For a `--local` command whose stack was never provisioned here: exit 4, naming the stacks
 * that were, and the `local up` that provisions this one and makes the engine runner serve it.
 */
export function notProvisionedError(cwd: string, wanted: { stackName: string; environment?: string }): MailengineError {
  const known = Object.keys(readLocalResources(cwd));
  const has = known.length === 0 ? 'nothing is provisioned there yet' : `it has ${known.length === 1 ? 'stack' : 'stacks'} ${known.join(', ')}`;
  return new MailengineError('LOCAL_NOT_PROVISIONED', `The local stack has no engine named ${wanted.stackName} (${has}).`, {
    exitCode: ExitCode.NotFound,
    suggestion: `Run \`${serveCommand(wanted)}\` in this directory: it creates the stack's tables and bucket and makes the engine runner serve it${known.length > 0 ? `; or use one it has with \`--stack ${known[0]}\`` : ''}.`,
    details: { wanted: wanted.stackName, provisioned: known },
  });
}
