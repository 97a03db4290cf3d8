import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_FILE_NAME, findConfigFile, loadConfig } from '../../src/config/config-file.js';
import { initConfig } from '../../src/config/init-config.js';
import { resolveSettings } from '../../src/config/settings.js';
import { ExitCode, MailengineError } from '../../src/errors.js';

function projectWith(config: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'mailengine-config-'));
  writeFileSync(join(dir, CONFIG_FILE_NAME), typeof config === 'string' ? config : JSON.stringify(config));
  return dir;
}

async function loadError(dir: string, explicitPath?: string): Promise<MailengineError> {
  const err = await loadConfig({ cwd: dir, explicitPath }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(MailengineError);
  return err as MailengineError;
}

const good = {
  defaultEnvironment: 'dev',
  environments: {
    dev: { stackName: 'mail-dev', region: 'eu-west-1', parameters: { AdminEmail: 'ops@example.com', SendConcurrency: 10, OpenTracking: true } },
    prod: { stackName: 'mail-prod', region: 'us-east-1', profile: 'prod' },
  },
};

describe('config file', () => {
  it('loads a valid file and is found from a subdirectory', async () => {
    const dir = projectWith(good);
    const nested = join(dir, 'services', 'api');
    mkdirSync(nested, { recursive: true });
    expect(findConfigFile(nested)).toBe(join(dir, CONFIG_FILE_NAME));
    const loaded = await loadConfig({ cwd: nested });
    expect(loaded?.config.environments.prod.profile).toBe('prod');
  });

  it('no file anywhere is fine', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailengine-none-'));
    expect(await loadConfig({ cwd: dir })).toBeUndefined();
  });

  it('an unknown key is an error naming the key path and the file', async () => {
    const dir = projectWith({ environments: { dev: { regoin: 'eu-west-1' } } });
    const err = await loadError(dir);
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.exitCode).toBe(ExitCode.Usage);
    expect(err.message).toContain(join(dir, CONFIG_FILE_NAME));
    expect(err.message).toContain('environments.dev: unknown key "regoin"');
  });

  it('a bad value names the key', async () => {
    const err = await loadError(projectWith({ environments: { prod: { region: 'europe' } } }));
    expect(err.message).toContain('environments.prod.region: is not an AWS region name');
  });

  it('a bad stack name names the key', async () => {
    const err = await loadError(projectWith({ environments: { prod: { stackName: '1-bad_name' } } }));
    expect(err.message).toContain('environments.prod.stackName');
  });

  it('a default environment that does not exist is named', async () => {
    const err = await loadError(projectWith({ defaultEnvironment: 'qa', environments: { dev: {} } }));
    expect(err.message).toContain('defaultEnvironment: names "qa"');
  });

  it('invalid JSON names the file', async () => {
    const dir = projectWith('{ "environments": { }, }');
    const err = await loadError(dir);
    expect(err.message).toContain('is not valid JSON');
    expect(err.message).toContain(CONFIG_FILE_NAME);
  });

  it('an unknown top-level key is rejected too', async () => {
    const err = await loadError(projectWith({ environments: {}, enviroments: {} }));
    expect(err.message).toContain('(top level): unknown key "enviroments"');
  });

  it('--config pointing at a missing file is an error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailengine-none-'));
    const err = await loadError(dir, 'nope.json');
    expect(err.code).toBe('CONFIG_NOT_FOUND');
  });
});

describe('settings resolution', () => {
  const loaded = { path: '/project/mailengine.config.json', config: good };

  it('uses the default environment from the file', () => {
    const s = resolveSettings({ local: false }, loaded, {});
    expect(s).toMatchObject({ stackName: 'mail-dev', region: 'eu-west-1', environment: 'dev', sources: { stackName: 'config', region: 'config' } });
    expect(s.parameters).toEqual({ AdminEmail: 'ops@example.com', SendConcurrency: '10', OpenTracking: 'true' });
  });

  it('flags win over the file', () => {
    const s = resolveSettings({ env: 'prod', stack: 'other', region: 'ap-south-1', profile: 'p2', local: false }, loaded, {});
    expect(s).toMatchObject({ stackName: 'other', region: 'ap-south-1', profile: 'p2', sources: { stackName: 'flag', region: 'flag', profile: 'flag' } });
  });

  it('AWS_REGION fills in when neither flag nor file sets a region', () => {
    const s = resolveSettings({ local: false }, undefined, { AWS_REGION: 'eu-central-1' });
    expect(s).toMatchObject({ stackName: 'mailengine', region: 'eu-central-1', sources: { region: 'environment-variable' } });
  });

  it('with nothing set, the region is left to the SDK', () => {
    expect(resolveSettings({ local: false }, undefined, {}).region).toBeUndefined();
  });

  it('--local has a region of its own', () => {
    expect(resolveSettings({ local: true }, undefined, {}).region).toBe('us-east-1');
  });

  it('an environment without a stack name gets mailengine-<env>', () => {
    const s = resolveSettings({ env: 'staging', local: false }, { path: 'f', config: { environments: { staging: {} } } }, {});
    expect(s.stackName).toBe('mailengine-staging');
  });

  it('an unknown environment lists the known ones (exit 2)', () => {
    try {
      resolveSettings({ env: 'qa', local: false }, loaded, {});
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ code: 'ENVIRONMENT_UNKNOWN', exitCode: ExitCode.Usage });
      expect((err as MailengineError).suggestion).toContain('dev, prod');
    }
  });

  it('--env without any config file is an error', () => {
    expect(() => resolveSettings({ env: 'prod', local: false }, undefined, {})).toThrow(/no mailengine.config.json/);
  });
});

describe('config init', () => {
  it('writes a file that loads, and never overwrites without --force', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailengine-init-'));
    const first = await initConfig({ dir, force: false, region: 'eu-west-1', adminEmail: 'ops@example.com' });
    expect(first).toMatchObject({ overwritten: false, environments: ['dev', 'staging', 'prod'] });
    const loaded = await loadConfig({ cwd: dir });
    expect(loaded?.config.environments.prod).toEqual({ stackName: 'mailengine-prod', region: 'eu-west-1', parameters: { AdminEmail: 'ops@example.com' } });

    await expect(initConfig({ dir, force: false, region: 'eu-west-1' })).rejects.toMatchObject({ code: 'CONFIG_EXISTS', exitCode: ExitCode.Usage });
    expect((await initConfig({ dir, force: true, region: 'us-east-1' })).overwritten).toBe(true);
  });
});
