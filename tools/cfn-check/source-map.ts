import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { Path } from './values.js';

/**
 * Where each value of a YAML template sits, so rules can honour comment markers such as
 * `# cfn-check: allow-star-resource <reason>`. `loadTemplate` drops comments (the JSON form has
 * none), so this reads the same text a second time, keeping positions.
 *
 * Paths are those of the JSON form: a tagged node (`!Sub …`) adds the function's key
 * (`Fn::Sub`) exactly as `parseTemplate` does.
 */
export class SourceMap {
  private readonly lines: string[];
  /** For each path, the lines a marker may sit on, nearest first. */
  private readonly anchors = new Map<string, number[]>();

  constructor(text: string) {
    this.lines = text.split(/\r?\n/);
    const lineCounter = new LineCounter();
    // Unknown tags only produce warnings here; the structure and ranges are all we need.
    const doc = parseDocument(text, { lineCounter, uniqueKeys: false, strict: false });
    const lineOf = (node: unknown): number | undefined => {
      const range = (node as Node | null)?.range;
      return range ? lineCounter.linePos(range[0]).line : undefined;
    };
    // `inherited` carries the lines of the enclosing key, so a marker written above
    // `Resource:` also covers the items of a list under it.
    const record = (node: unknown, path: Path, keyLine: number | undefined, inherited: number[]): void => {
      if (!node || typeof node !== 'object') return;
      const line = lineOf(node);
      const own = [line, keyLine].filter((value): value is number => value !== undefined);
      const lines = [...new Set([...own.flatMap((l) => [l, l - 1]), ...inherited])];
      this.anchors.set(JSON.stringify(path), lines);
      let here = path;
      const tag = (node as Node).tag;
      if (tag && tag.startsWith('!') && !tag.startsWith('!!')) {
        const name = tag.slice(1);
        here = [...path, name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`];
        this.anchors.set(JSON.stringify(here), lines);
      }
      if (isMap(node)) {
        for (const pair of node.items) {
          if (!isPair(pair)) continue;
          const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
          record(pair.value, [...here, key], lineOf(pair.key), []);
        }
      } else if (isSeq(node)) {
        node.items.forEach((item, index) => record(item, [...here, index], undefined, lines));
      }
    };
    record(doc.contents, [], undefined, []);
  }

  /** 1-based line of the value at `path`, if the source has it. */
  lineOf(path: Path): number | undefined {
    return this.anchors.get(JSON.stringify(path))?.[0];
  }

  /**
   * The reason given by a `# cfn-check: <marker> <reason>` comment on the value's line, its key's
   * line, or the line directly above either (for list items, also those of the list's key). A
   * marker without a reason does not count: the written justification is the point of it.
   */
  markerReason(path: Path, marker: string): string | undefined {
    const pattern = new RegExp(`#\\s*cfn-check:\\s*${marker}(?:\\s+(.*))?$`);
    for (const candidate of this.anchors.get(JSON.stringify(path)) ?? []) {
      const reason = pattern.exec(this.lines[candidate - 1] ?? '')?.[1]?.trim();
      if (reason) return reason;
    }
    return undefined;
  }
}
