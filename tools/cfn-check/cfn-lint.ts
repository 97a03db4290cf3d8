import { spawnSync } from 'node:child_process';

export type CfnLint = { command: string; version: string } | { skipped: string };

/**
 * AWS's cfn-lint: `$CFN_LINT` when set, else `cfn-lint` on PATH. It counts as found only when
 * `cfn-lint --version` runs (a pyenv shim on PATH can point at a Python that lacks it).
 */
export function findCfnLint(env: NodeJS.ProcessEnv = process.env): CfnLint {
  const command = env.CFN_LINT || 'cfn-lint';
  const probe = spawnSync(command, ['--version'], { encoding: 'utf8', env });
  if (probe.error) {
    const code = (probe.error as NodeJS.ErrnoException).code;
    return { skipped: code === 'ENOENT' ? `cfn-lint not found (${env.CFN_LINT ? `CFN_LINT=${command} does not exist` : 'not on PATH'}; pip install cfn-lint)` : `cfn-lint not found (${command}: ${probe.error.message})` };
  }
  if (probe.status !== 0) {
    const reason = `${probe.stderr}${probe.stdout}`.trim().split('\n')[0] || `exit ${probe.status}`;
    return { skipped: `cfn-lint not found (${command} --version failed: ${reason})` };
  }
  return { command, version: probe.stdout.trim() || 'cfn-lint' };
}
