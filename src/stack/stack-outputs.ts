import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/**
 * `--outputs-file`: the stack outputs as one flat JSON object, written whole then renamed, so a
 * CI step reading it never sees half a file.
 */
export async function writeOutputsFile(cwd: string, file: string, outputs: Record<string, string>): Promise<string> {
  const path = resolve(cwd, file);
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(outputs, null, 2)}\n`);
  await rename(temp, path);
  return path;
}

/** The outputs a person needs first, in this order; the rest follow alphabetically. */
const FIRST = ['EventBusName', 'TemplatesBucketName', 'ConfigurationSetName', 'TrackingTableName', 'SuppressionTableName', 'DashboardName', 'EngineVersion'];

export function orderedOutputs(outputs: Record<string, string>): Array<[string, string]> {
  const keys = Object.keys(outputs);
  const first = FIRST.filter((k) => keys.includes(k));
  const rest = keys.filter((k) => !FIRST.includes(k)).sort();
  return [...first, ...rest].map((k) => [k, outputs[k]]);
}
