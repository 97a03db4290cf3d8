import type { AwsClientFactory } from '../aws/clients.js';
import { ExitCode, MailengineError, isMailengineError } from '../errors.js';
import { localHashKeyFile, readLocalHashKey } from '../local/hash-key.js';
import type { EngineResources } from './engine-resources.js';

/** The name the stack gives its secret (cfn/mailengine.yaml, SuppressionHashSecret). */
export function hashKeySecretName(stackName: string): string {
  return `${stackName}-suppression-hash-key`;
}

/**
 * The HMAC key behind the hashes an erasure keeps, as the engine's functions use it: the UTF-8
 * bytes of the secret string. Locally, a random key in a file created on first use (`create`);
 * without `create` a missing file means no hash can exist yet, and the result is undefined.
 */
export async function resolveHashKey(aws: AwsClientFactory, resources: EngineResources, cwd: string, options: { create: boolean }): Promise<Buffer | undefined> {
  if (resources.local) return readLocalHashKey(localHashKeyFile(cwd), options);
  const secretId = hashKeySecretName(resources.stackName);
  const { GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  try {
    const out = await (await aws.secretsmanager()).send(new GetSecretValueCommand({ SecretId: secretId }));
    if (!out.SecretString) throw new MailengineError('HASH_KEY_EMPTY', `The secret ${secretId} holds no string value.`, { exitCode: ExitCode.Failed, suggestion: 'Redeploy the stack with `mailengine deploy`; the template creates the key.' });
    return Buffer.from(out.SecretString, 'utf8');
  } catch (err) {
    if (isMailengineError(err) && err.details?.awsError === 'ResourceNotFoundException') {
      throw new MailengineError('HASH_KEY_NOT_FOUND', `The suppression hash key (secret ${secretId}) does not exist ${aws.settings.region ? `in ${aws.settings.region}` : 'in this region'}.`, {
        exitCode: ExitCode.NotFound,
        cause: err,
        suggestion: 'Run `mailengine deploy` to complete the stack, which creates it.',
      });
    }
    throw err;
  }
}
