import { describe, expect, it } from 'vitest';
import { keyValueTable } from '../../src/io/render.js';

const trailing = (text: string) => text.split('\n').filter((line) => /\s$/.test(line));

describe('keyValueTable', () => {
  it('aligns the values and leaves no trailing spaces, even where a value is shorter than its column', () => {
    const text = keyValueTable([
      ['engine', 'complaint since 2026-05-01T12:00:00.000Z'],
      ['SES account list', 'not listed'],
      ['was suppressed for', undefined],
    ]);
    expect(text.split('\n')).toEqual([
      'engine              complaint since 2026-05-01T12:00:00.000Z',
      'SES account list    not listed',
      'was suppressed for  -',
    ]);
    expect(trailing(text)).toEqual([]);
  });
});
