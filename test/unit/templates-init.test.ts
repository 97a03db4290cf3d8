import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MailengineError } from '../../src/errors.js';
import { findStarterDir, initTemplates } from '../../src/templates/init.js';

const STARTERS = fileURLToPath(new URL('../../starter-templates', import.meta.url));

function freshDir(): string {
  return join(mkdtempSync(join(tmpdir(), 'mailengine-init-')), 'templates');
}

async function refusal(fn: () => Promise<unknown>): Promise<MailengineError> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MailengineError);
    return err as MailengineError;
  }
  throw new Error('expected init to refuse');
}

describe('templates init', () => {
  it('finds the starters shipped with the package', () => {
    expect(findStarterDir()).toBe(STARTERS);
  });

  it('copies every starter and the shared layout into a new folder', async () => {
    const dir = freshDir();
    const result = await initTemplates({ dir, force: false });
    expect(result.templates).toHaveLength(12);
    expect(result.written).toContain(join('_layout', 'brand.json'));
    expect(result.written).toContain(join('welcome', 'metadata.json'));
    expect(result).toMatchObject({ overwritten: [], unchanged: [] });
    expect(readFileSync(join(dir, 'invoice', 'template.html'), 'utf8')).toBe(readFileSync(join(STARTERS, 'invoice', 'template.html'), 'utf8'));
  });

  it('running it again writes nothing and reports everything as up to date', async () => {
    const dir = freshDir();
    const first = await initTemplates({ dir, force: false });
    const second = await initTemplates({ dir, force: false });
    expect(second.written).toEqual([]);
    expect(second.unchanged).toEqual(first.written);
  });

  it('never overwrites an edited file without force, and then writes nothing at all', async () => {
    const dir = freshDir();
    await initTemplates({ dir, force: false });
    const edited = join(dir, '_layout', 'brand.json');
    writeFileSync(edited, '{ "companyName": "Mine" }\n');
    const deleted = join(dir, 'welcome', 'template.txt');
    rmSync(deleted);

    const err = await refusal(() => initTemplates({ dir, force: false, displayDir: 'templates' }));
    expect(err).toMatchObject({ code: 'TEMPLATES_EXIST', exitCode: 2, details: { conflicts: [join('_layout', 'brand.json')] } });
    expect(err.message).toContain(join('templates', '_layout', 'brand.json'));
    expect(readFileSync(edited, 'utf8')).toBe('{ "companyName": "Mine" }\n');
    // Refused means refused: the missing file was not restored either.
    expect(existsSync(deleted)).toBe(false);
  });

  it('with force, replaces edited files and restores missing ones', async () => {
    const dir = freshDir();
    await initTemplates({ dir, force: false });
    writeFileSync(join(dir, '_layout', 'brand.json'), '{}\n');
    rmSync(join(dir, 'welcome', 'template.txt'));
    const result = await initTemplates({ dir, force: true });
    expect(result.overwritten).toEqual([join('_layout', 'brand.json')]);
    expect(result.written).toEqual([join('welcome', 'template.txt')]);
    expect(readFileSync(join(dir, '_layout', 'brand.json'), 'utf8')).toBe(readFileSync(join(STARTERS, '_layout', 'brand.json'), 'utf8'));
  });
});
