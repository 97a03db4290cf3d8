import { describe, expect, it } from 'vitest';
import { dataTable, formatRate, keyValueTable } from '../../commands/terminal/render.js';

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

describe('formatRate', () => {
  it('one fixed precision for every rate, so a column of rates lines up', () => {
    expect([12 / 13, 1 / 13, 0.25, 1, 0].map((r) => formatRate(r))).toEqual(['92.31%', '7.69%', '25.00%', '100.00%', '0.00%']);
  });

  it('a rate too small to show is "<0.01%", never a zero that hides a complaint', () => {
    expect(formatRate(1 / 30_000)).toBe('<0.01%');
    expect(formatRate(0.0001)).toBe('0.01%');
  });

  it('no denominator: "-"', () => {
    expect(formatRate(null)).toBe('-');
  });
});

describe('dataTable', () => {
  it('aligns columns to the right when asked, so numbers line up on their last digit', () => {
    const lines = dataTable(['', 'rate'], [['delivered', formatRate(12 / 13)], ['bounced', formatRate(1 / 13)]], { align: ['left', 'right'] }).split('\n');
    expect(lines).toContain('│ delivered │ 92.31% │');
    expect(lines).toContain('│ bounced   │  7.69% │');
  });
});
