import { ExitCode, MailengineError } from '../errors.js';
import type { LoadedConfig } from './config-file.js';

export const DEFAULT_STACK_NAME = 'mailengine';
export const LOCAL_REGION = 'us-east-1';

/** Where a setting's value came from, so `mailengine config` can explain itself. */
export type SettingSource = 'flag' | 'config' | 'environment-variable' | 'default' | 'sdk';

export interface SettingsInput {
  stack?: string;
  region?: string;
  profile?: string;
  env?: string;
  local: boolean;
}

export interface ResolvedSettings {
  stackName: string;
  /** Undefined means: let the AWS SDK resolve it (AWS_REGION, the profile's region). */
  region?: string;
  profile?: string;
  environment?: string;
  parameters: Record<string, string>;
  local: boolean;
  configFile?: string;
  sources: { stackName: SettingSource; region: SettingSource; profile: SettingSource };
}

/**
 * Flags win over the config file's environment, which wins over defaults. Region and profile fall
 * back to whatever the AWS SDK resolves, exactly as the AWS CLI would.
 */
export function resolveSettings(input: SettingsInput, loaded: LoadedConfig | undefined, env: NodeJS.ProcessEnv): ResolvedSettings {
  const envName = input.env ?? loaded?.config.defaultEnvironment;
  let environment = undefined as LoadedConfig['config']['environments'][string] | undefined;

  if (envName) {
    if (!loaded) {
      throw new MailengineError('ENVIRONMENT_UNKNOWN', `Environment "${envName}" was asked for, but there is no mailengine.config.json.`, {
        exitCode: ExitCode.Usage,
        suggestion: 'Create mailengine.config.json with an "environments" map (see "Configuration file" in docs/reference.md), or pass --config.',
      });
    }
    environment = loaded.config.environments[envName];
    if (!environment) {
      const known = Object.keys(loaded.config.environments);
      throw new MailengineError('ENVIRONMENT_UNKNOWN', `No environment "${envName}" in ${loaded.path}.`, {
        exitCode: ExitCode.Usage,
        suggestion: known.length > 0 ? `Known environments: ${known.join(', ')}.` : 'Add it under "environments".',
      });
    }
  }

  const stackName = input.stack ?? environment?.stackName ?? (envName ? `${DEFAULT_STACK_NAME}-${envName}` : DEFAULT_STACK_NAME);
  const stackSource: SettingSource = input.stack ? 'flag' : environment?.stackName ? 'config' : 'default';

  const sdkRegion = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  let region = input.region ?? environment?.region;
  let regionSource: SettingSource = input.region ? 'flag' : environment?.region ? 'config' : 'sdk';
  if (!region && sdkRegion) {
    region = sdkRegion;
    regionSource = 'environment-variable';
  }
  if (!region && input.local) {
    region = LOCAL_REGION;
    regionSource = 'default';
  }

  const profile = input.profile ?? environment?.profile;
  const profileSource: SettingSource = input.profile ? 'flag' : environment?.profile ? 'config' : 'sdk';

  const parameters = Object.fromEntries(Object.entries(environment?.parameters ?? {}).map(([k, v]) => [k, String(v)]));

  return {
    stackName,
    region,
    profile,
    environment: envName,
    parameters,
    local: input.local,
    configFile: loaded?.path,
    sources: { stackName: stackSource, region: regionSource, profile: profileSource },
  };
}
