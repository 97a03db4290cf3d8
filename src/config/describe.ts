import type { ResolvedSettings, SettingSource } from './settings.js';

export interface SettingsReport {
  stackName: string;
  region: string | null;
  profile: string | null;
  environment: string | null;
  local: boolean;
  configFile: string | null;
  parameters: Record<string, string>;
  sources: Record<'stackName' | 'region' | 'profile', SettingSource>;
}

/** The settings a command would use, with where each came from. */
export function describeSettings(settings: ResolvedSettings): SettingsReport {
  return {
    stackName: settings.stackName,
    region: settings.region ?? null,
    profile: settings.profile ?? null,
    environment: settings.environment ?? null,
    local: settings.local,
    configFile: settings.configFile ?? null,
    parameters: settings.parameters,
    sources: settings.sources,
  };
}
