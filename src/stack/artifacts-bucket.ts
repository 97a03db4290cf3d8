import type { S3Client } from '@aws-sdk/client-s3';
import type { AwsClientFactory } from '../aws/clients.js';
import { ExitCode, MailengineError, isMailengineError } from '../errors.js';
import { deleteAllVersions, listAllVersions } from './empty-bucket.js';

/**
 * One artifacts bucket per account and region, shared by every mailengine stack there; each stack
 * keeps its files under its own prefix (`<stack>/lambda/…`, `<stack>/templates/…`), so one stack's
 * purge never takes another's code away. The account id in the name keeps it unique worldwide and
 * lets every call pass ExpectedBucketOwner, so a bucket someone else created under this name is
 * never written to.
 */
export function artifactsBucketName(account: string, region: string): string {
  return `mailengine-artifacts-${account}-${region}`;
}

/** Templates only matter while a change set is being created; CloudFormation keeps its own copy. */
const TEMPLATE_TAG = { key: 'mailengine-kind', value: 'template' } as const;

export interface ArtifactsBucket {
  name: string;
  account: string;
  region: string;
  created: boolean;
}

function foreignBucket(name: string, cause: unknown): MailengineError {
  return new MailengineError('ARTIFACTS_BUCKET_UNUSABLE', `Cannot use the artifacts bucket ${name}: it belongs to another AWS account, or your credentials may not read it (s3:ListBucket).`, {
    exitCode: ExitCode.Environment,
    cause,
    suggestion: 'Check that these credentials are for the account in the bucket name and may call s3:ListBucket, s3:GetObject and s3:PutObject on it.',
  });
}

async function bucketExists(s3: S3Client, name: string, account: string): Promise<boolean> {
  const { HeadBucketCommand } = await import('@aws-sdk/client-s3');
  try {
    await s3.send(new HeadBucketCommand({ Bucket: name, ExpectedBucketOwner: account }));
    return true;
  } catch (err) {
    if (isMailengineError(err) && err.code === 'NOT_FOUND') return false;
    if (isMailengineError(err) && err.code === 'ACCESS_DENIED') throw foreignBucket(name, err);
    throw err;
  }
}

/**
 * Finds the artifacts bucket, or creates it private (public access blocked, owner-enforced
 * objects), encrypted (SSE-S3), TLS-only, versioned, with a lifecycle that drops old versions,
 * stale templates and abandoned uploads. Lambda zips never expire: a rollback needs the previous
 * code to still be there.
 */
export async function ensureArtifactsBucket(aws: AwsClientFactory, account: string, region: string): Promise<ArtifactsBucket> {
  const s3 = await aws.s3();
  const name = artifactsBucketName(account, region);
  if (await bucketExists(s3, name, account)) return { name, account, region, created: false };

  const {
    CreateBucketCommand,
    PutPublicAccessBlockCommand,
    PutBucketEncryptionCommand,
    PutBucketVersioningCommand,
    PutBucketPolicyCommand,
    PutBucketLifecycleConfigurationCommand,
  } = await import('@aws-sdk/client-s3');
  try {
    await s3.send(
      new CreateBucketCommand({
        Bucket: name,
        ObjectOwnership: 'BucketOwnerEnforced',
        // us-east-1 is the one region that refuses to be named as a location constraint.
        ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as never } }),
      }),
    );
  } catch (err) {
    const awsError = isMailengineError(err) ? err.details?.awsError : undefined;
    if (awsError === 'BucketAlreadyExists') throw foreignBucket(name, err);
    if (awsError !== 'BucketAlreadyOwnedByYou') throw err;
  }
  const owner = { ExpectedBucketOwner: account };
  await s3.send(
    new PutPublicAccessBlockCommand({
      Bucket: name,
      ...owner,
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
    }),
  );
  await s3.send(
    new PutBucketEncryptionCommand({
      Bucket: name,
      ...owner,
      ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: true }] },
    }),
  );
  await s3.send(new PutBucketVersioningCommand({ Bucket: name, ...owner, VersioningConfiguration: { Status: 'Enabled' } }));
  const partition = region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  await s3.send(
    new PutBucketPolicyCommand({
      Bucket: name,
      ...owner,
      Policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'TlsOnly',
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:*',
            Resource: [`arn:${partition}:s3:::${name}`, `arn:${partition}:s3:::${name}/*`],
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      }),
    }),
  );
  await s3.send(
    new PutBucketLifecycleConfigurationCommand({
      Bucket: name,
      ...owner,
      LifecycleConfiguration: {
        Rules: [
          { ID: 'expire-old-versions', Status: 'Enabled', Filter: { Prefix: '' }, NoncurrentVersionExpiration: { NoncurrentDays: 30 }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } },
          { ID: 'expire-templates', Status: 'Enabled', Filter: { Tag: { Key: TEMPLATE_TAG.key, Value: TEMPLATE_TAG.value } }, Expiration: { Days: 30 } },
        ],
      },
    }),
  );
  return { name, account, region, created: true };
}

export interface ArtifactFile {
  /** Key under the stack's prefix. */
  key: string;
  sha256: string;
  kind: 'lambda' | 'template';
  read: () => Promise<Uint8Array>;
}

export interface UploadedArtifact {
  key: string;
  /** `uploaded`: sent now; `reused`: the same bytes were already there. */
  state: 'uploaded' | 'reused';
  bytes: number;
}

export function stackPrefix(stackName: string): string {
  return `${stackName}/`;
}

/**
 * Uploads each file unless an object with the same key and content hash is already there: keys
 * carry the hash, so a release that leaves a function alone uploads nothing for it.
 */
export async function uploadArtifacts(aws: AwsClientFactory, bucket: ArtifactsBucket, stackName: string, files: ArtifactFile[]): Promise<UploadedArtifact[]> {
  const { HeadObjectCommand, PutObjectCommand } = await import('@aws-sdk/client-s3');
  const s3 = await aws.s3();
  const results: UploadedArtifact[] = [];
  for (const file of files) {
    const key = `${stackPrefix(stackName)}${file.key}`;
    const owner = { ExpectedBucketOwner: bucket.account };
    let present = false;
    try {
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket.name, Key: key, ...owner }));
      present = head.Metadata?.sha256 === file.sha256;
    } catch (err) {
      if (!(isMailengineError(err) && err.code === 'NOT_FOUND')) throw err;
    }
    const body = await file.read();
    if (!present) {
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket.name,
          Key: key,
          Body: body,
          ...owner,
          ContentType: file.kind === 'lambda' ? 'application/zip' : 'application/x-yaml',
          Metadata: { sha256: file.sha256 },
          ChecksumSHA256: Buffer.from(file.sha256, 'hex').toString('base64'),
          ...(file.kind === 'template' ? { Tagging: `${TEMPLATE_TAG.key}=${TEMPLATE_TAG.value}` } : {}),
        }),
      );
    }
    results.push({ key, state: present ? 'reused' : 'uploaded', bytes: body.length });
  }
  return results;
}

/** The https URL CloudFormation reads a template from (TemplateURL). */
export function objectUrl(bucket: ArtifactsBucket, key: string): string {
  const suffix = bucket.region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://${bucket.name}.s3.${bucket.region}.${suffix}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

export interface PurgeResult {
  bucket: string;
  /** Object versions and delete markers removed under the stack's prefix. */
  deleted: number;
  bucketDeleted: boolean;
  /** Prefixes of other stacks that keep the bucket alive. */
  otherStacks: string[];
  /** The bucket was not there to begin with. */
  absent: boolean;
}

/**
 * Empties the stack's prefix, every version and delete marker included (a versioned bucket is
 * not empty until those are gone), then deletes the bucket if no other stack uses it.
 */
export async function purgeArtifacts(aws: AwsClientFactory, account: string, region: string, stackName: string): Promise<PurgeResult> {
  const s3 = await aws.s3();
  const name = artifactsBucketName(account, region);
  if (!(await bucketExists(s3, name, account))) return { bucket: name, deleted: 0, bucketDeleted: false, otherStacks: [], absent: true };
  const { DeleteBucketCommand } = await import('@aws-sdk/client-s3');
  const deleted = await deleteAllVersions(aws, name, { prefix: stackPrefix(stackName), owner: account });
  const rest = await listAllVersions(aws, name, { owner: account, limit: 1000 });
  if (rest.length > 0) {
    const otherStacks = [...new Set(rest.map((e) => e.Key.split('/')[0]))].sort();
    return { bucket: name, deleted, bucketDeleted: false, otherStacks, absent: false };
  }
  await s3.send(new DeleteBucketCommand({ Bucket: name, ExpectedBucketOwner: account }));
  return { bucket: name, deleted, bucketDeleted: true, otherStacks: [], absent: false };
}
