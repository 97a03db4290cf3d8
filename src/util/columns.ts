/**
 * Rows as lines of left-aligned columns two spaces apart, each column as wide as its widest cell
 * (the first row decides how many columns there are). The last cell is never padded, and no line
 * ends in blanks, so the text reads well and greps cleanly.
 */
export function alignColumns(rows: ReadonlyArray<ReadonlyArray<string>>): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length))) ?? [];
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
}
