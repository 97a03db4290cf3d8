import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Tag } from '@aws-sdk/client-cloudformation';
import type { AwsClientFactory } from '../aws/clients.js';
import { parseTemplate, type CfnTemplate } from '../cfn/template.js';
import { ExitCode, MailengineError } from '../errors.js';
import { ensureArtifactsBucket, objectUrl, uploadArtifacts, type ArtifactFile, type UploadedArtifact } from './artifacts-bucket.js';
import { TAG_ENGINE_VERSION, TAG_MANAGED_BY } from './engine-version.js';
import { readLambdaZips, type LambdaZip } from './lambda-code.js';
import type { PackageFiles } from './package-files.js';

/** What a deploy ships: the template as written, and the three function zips. */
export interface EnginePackage {
  templatePath: string;
  templateText: string;
  template: CfnTemplate;
  zips: LambdaZip[];
}

/**
 * A paused engine must stay paused across upgrades: pausing turns off the configuration set's
 * sending and the Sender's queue mapping outside CloudFormation, so a template that states either
 * switch would turn sending back on. Checked on every deploy, whatever template is shipped.
 */
export function assertNeverResumes(template: CfnTemplate): void {
  const offenders: string[] = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type === 'AWS::SES::ConfigurationSet' && resource.Properties?.SendingOptions !== undefined) offenders.push(`${id}.SendingOptions`);
    if (resource.Type === 'AWS::Lambda::EventSourceMapping' && resource.Properties?.Enabled !== undefined) offenders.push(`${id}.Enabled`);
  }
  if (offenders.length > 0) {
    throw new MailengineError('TEMPLATE_WOULD_RESUME', `The engine template sets ${offenders.join(' and ')}, so deploying it could resume a paused engine.`, {
      exitCode: ExitCode.Failed,
      suggestion: 'Remove those properties from the template: pause and resume own them.',
    });
  }
}

export async function loadEngineTemplate(files: PackageFiles): Promise<EnginePackage> {
  let templateText: string;
  try {
    templateText = await readFile(files.template, 'utf8');
  } catch (err) {
    throw new MailengineError('TEMPLATE_MISSING', `The engine template ${files.template} could not be read: ${(err as Error).message}`, {
      exitCode: ExitCode.Environment,
      cause: err,
      suggestion: 'This copy of mailengine is incomplete; reinstall it (`npm i -g mailengine`).',
    });
  }
  const template = parseTemplate(templateText);
  assertNeverResumes(template);
  return { templatePath: files.template, templateText, template, zips: await readLambdaZips(files.lambdaDir) };
}

/** Tags the stack carries: the user's own are kept; ours record the version and the owner. */
export function stackTags(previous: Record<string, string> | undefined, version: string): Tag[] {
  const tags = { ...previous, [TAG_MANAGED_BY]: 'mailengine', [TAG_ENGINE_VERSION]: version };
  return Object.entries(tags)
    .filter(([key]) => !key.startsWith('aws:'))
    .map(([Key, Value]) => ({ Key, Value }));
}

export interface EngineUpload {
  bucket: string;
  bucketCreated: boolean;
  templateUrl: string;
  /** The template of the IMPORT change set that adopts retained resources. */
  importTemplateUrl?: string;
  files: UploadedArtifact[];
}

function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Puts the zips and the template in the artifacts bucket (creating it the first time), and the
 * import template too when retained resources are to be adopted first.
 */
export async function uploadEngine(
  aws: AwsClientFactory,
  input: { account: string; region: string; stackName: string; engine: EnginePackage; importTemplate?: string },
): Promise<EngineUpload> {
  const bucket = await ensureArtifactsBucket(aws, input.account, input.region);
  const template = (body: string, ext: string): ArtifactFile & { body: string } => {
    const digest = sha256(body);
    return { key: `templates/${digest.slice(0, 16)}.${ext}`, sha256: digest, kind: 'template', body, read: async () => Buffer.from(body, 'utf8') };
  };
  const main = template(input.engine.templateText, 'yaml');
  const imports = input.importTemplate ? template(input.importTemplate, 'json') : undefined;
  const files: ArtifactFile[] = [
    ...input.engine.zips.map((zip): ArtifactFile => ({ key: zip.key, sha256: zip.sha256, kind: 'lambda', read: async () => zip.body })),
    main,
    ...(imports ? [imports] : []),
  ];
  const uploaded = await uploadArtifacts(aws, bucket, input.stackName, files);
  const url = (key: string) => objectUrl(bucket, `${input.stackName}/${key}`);
  return { bucket: bucket.name, bucketCreated: bucket.created, templateUrl: url(main.key), ...(imports ? { importTemplateUrl: url(imports.key) } : {}), files: uploaded };
}
