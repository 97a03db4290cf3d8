import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MESSAGE_CODES } from '../../src/io/message-codes.js';

const ROOT = join(import.meta.dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('message codes', () => {
  it('are one style: lower-case words joined by dots, hyphens inside a word', () => {
    for (const code of MESSAGE_CODES) expect(code).toMatch(/^[a-z]+(\.[a-z]+(-[a-z]+)*)+$/);
    expect(new Set(MESSAGE_CODES).size).toBe(MESSAGE_CODES.length);
  });

  it('are each used by the code (the type keeps unregistered codes out; this keeps dead ones out)', () => {
    const code = [...sources(join(ROOT, 'src')), ...sources(join(ROOT, 'commands'))]
      .filter((f) => !f.endsWith('message-codes.ts'))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    const unused = MESSAGE_CODES.filter((c) => !code.includes(`'${c}'`));
    expect(unused).toEqual([]);
  });
});
