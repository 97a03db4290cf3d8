import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ExitCode, MailengineError } from '../errors.js';

/** The engine's functions and the template parameter that names each one's zip. */
export const ENGINE_FUNCTIONS = [
  { name: 'sender', parameter: 'SenderCodeKey' },
  { name: 'feedback', parameter: 'FeedbackCodeKey' },
  { name: 'pause', parameter: 'PauseCodeKey' },
] as const;

export type EngineFunctionName = (typeof ENGINE_FUNCTIONS)[number]['name'];

/** One packaged function, ready to upload. */
export interface LambdaZip {
  name: EngineFunctionName;
  parameter: string;
  path: string;
  /** Key relative to the stack's prefix in the artifacts bucket: `lambda/<name>-<hash>.zip`. */
  key: string;
  sha256: string;
  bytes: number;
  /** Read once, when checked: what is uploaded is exactly what was verified. */
  body: Buffer;
}

interface ManifestEntry {
  file: string;
  key: string;
  sha256: string;
  bytes: number;
}

function missing(message: string, lambdaDir: string): MailengineError {
  return new MailengineError('LAMBDA_CODE_MISSING', message, {
    exitCode: ExitCode.Environment,
    suggestion: `This copy of mailengine is incomplete. Reinstall it (\`npm i -g mailengine\`), or in a checkout run \`npm run build\` to write ${lambdaDir}.`,
    details: { lambdaDir },
  });
}

/**
 * The three function zips `npm run build` wrote, checked before anything touches AWS: each must
 * be listed in `manifest.json`, exist, and still hash to what the manifest says (a zip rebuilt
 * without its manifest would otherwise be uploaded under a stale key).
 */
export async function readLambdaZips(lambdaDir: string): Promise<LambdaZip[]> {
  const manifestPath = join(lambdaDir, 'manifest.json');
  if (!existsSync(manifestPath)) throw missing(`No packaged Lambda code: ${manifestPath} does not exist.`, lambdaDir);
  let manifest: Record<string, ManifestEntry>;
  try {
    manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Record<string, ManifestEntry>;
  } catch (err) {
    throw missing(`${manifestPath} is not valid JSON: ${(err as Error).message}`, lambdaDir);
  }
  const absent = ENGINE_FUNCTIONS.filter((fn) => !manifest[fn.name]).map((fn) => fn.name);
  if (absent.length > 0) {
    throw missing(
      `The Lambda package${absent.length === 1 ? '' : 's'} for ${absent.join(', ')} ${absent.length === 1 ? 'is' : 'are'} missing from ${manifestPath} (it lists ${Object.keys(manifest).join(', ') || 'nothing'}).`,
      lambdaDir,
    );
  }
  const zips: LambdaZip[] = [];
  for (const fn of ENGINE_FUNCTIONS) {
    const entry = manifest[fn.name];
    const path = join(lambdaDir, entry.file);
    if (!existsSync(path)) throw missing(`The ${fn.name} function's zip ${path} is missing (manifest.json names it).`, lambdaDir);
    const bytes = await readFile(path);
    const digest = createHash('sha256').update(bytes).digest('hex');
    if (digest !== entry.sha256) throw missing(`${path} does not match its manifest entry (sha256 ${digest.slice(0, 16)}…, expected ${entry.sha256.slice(0, 16)}…).`, lambdaDir);
    zips.push({ name: fn.name, parameter: fn.parameter, path, key: `lambda/${entry.file}`, sha256: digest, bytes: bytes.length, body: bytes });
  }
  return zips;
}
