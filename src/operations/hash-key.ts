/** The name the stack gives its secret (cfn/mailengine.yaml, SuppressionHashSecret). */
export function hashKeySecretName(stackName: string): string {
  return `${stackName}-suppression-hash-key`;
}
