/** 1-based line and column, the way editors and Nunjucks report them. */
export interface Position {
  line: number;
  column: number;
}

/** Converts between string offsets and line/column in one text. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
    }
  }

  positionOf(offset: number): Position {
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.starts[mid] <= clamped) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, column: clamped - this.starts[low] + 1 };
  }

  offsetOf(position: Position): number {
    const lineStart = this.starts[Math.max(0, Math.min(position.line - 1, this.starts.length - 1))];
    return Math.min(lineStart + Math.max(0, position.column - 1), this.text.length);
  }
}

/**
 * The line of `"key":` in a JSON document, so a problem with a metadata.json key can point at it.
 * A best effort: the first occurrence wins, which is right for the flat files this is used on.
 */
export function lineOfJsonKey(json: string, key: string): number | undefined {
  const escaped = JSON.stringify(key).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`${escaped}\\s*:`).exec(json);
  if (!match) return undefined;
  return new LineIndex(json).positionOf(match.index).line;
}
