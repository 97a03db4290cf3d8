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

/**
 * The line of the value at `path` in a JSON document (`["sampleData", "items", 2, "price"]`): the
 * line of its key in an object, of the element itself in an array. When the path goes further
 * than the document does (a key that is missing), the line of the deepest part that is there.
 */
export function lineOfJsonPath(json: string, path: readonly PropertyKey[]): number | undefined {
  let lines: Map<string, number>;
  try {
    lines = jsonPathLines(json);
  } catch {
    return undefined;
  }
  for (let length = path.length; length > 0; length--) {
    const line = lines.get(pathKey(path.slice(0, length)));
    if (line !== undefined) return line;
  }
  return undefined;
}

const pathKey = (path: readonly PropertyKey[]) => path.map(String).join('\u0000');

/** Every value's path in a JSON document, with its line (the last of duplicate keys wins, as in JSON.parse). */
function jsonPathLines(json: string): Map<string, number> {
  const index = new LineIndex(json);
  const lines = new Map<string, number>();
  let i = 0;
  const skipSpace = () => {
    while (i < json.length && ' \t\r\n'.includes(json[i])) i++;
  };
  const readString = (): string => {
    const start = i++;
    while (i < json.length && json[i] !== '"') i += json[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(json.slice(start, i)) as string;
  };
  const readValue = (path: string[]): void => {
    skipSpace();
    const open = json[i];
    if (open === '{' || open === '[') {
      const close = open === '{' ? '}' : ']';
      i++;
      skipSpace();
      if (json[i] === close) {
        i++;
        return;
      }
      for (let n = 0; i < json.length; n++) {
        skipSpace();
        const line = index.positionOf(i).line;
        let member: string[];
        if (open === '{') {
          member = [...path, readString()];
          skipSpace();
          i++; // the colon
        } else {
          member = [...path, String(n)];
        }
        lines.set(pathKey(member), line);
        readValue(member);
        skipSpace();
        if (json[i++] !== ',') return;
      }
      return;
    }
    if (open === '"') {
      readString();
      return;
    }
    while (i < json.length && !' \t\r\n,]}'.includes(json[i])) i++;
  };
  readValue([]);
  return lines;
}
