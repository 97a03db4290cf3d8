import { LineIndex, lineOfJsonKey, type Position } from './positions.js';
import type { TemplateStore } from './store.js';

/**
 * Flattened templates remember where each copied piece of text came from, so an error Nunjucks
 * reports in the flattened source can be shown at its place in the original file.
 */

export interface SourceSegment {
  /** Where the copied text starts in the flattened source. */
  outStart: number;
  length: number;
  /** Store name of the file it came from. */
  file: string;
  srcStart: number;
}

export interface FlatSource {
  /** The stand-alone template: no extends, include or block left. */
  source: string;
  /** Store name of the template that was flattened. */
  entry: string;
  segments: SourceSegment[];
  /** The text of every file that went in, by store name, to map positions back. */
  sources: Map<string, string>;
}

export interface SourceLocation {
  file: string;
  line?: number;
  column?: number;
}

/**
 * Where a position in a file is, for people. Metadata fields are flattened as virtual files named
 * `<name>/metadata.json#<field>`; they point at the field's line in metadata.json.
 */
export function displayLocation(store: TemplateStore, file: string, text: string | undefined, offset: number | undefined): SourceLocation {
  const hash = file.indexOf('#');
  if (hash >= 0) {
    const base = file.slice(0, hash);
    return { file: store.display(base), line: lineOfJsonKey(store.read(base) ?? '', file.slice(hash + 1)) };
  }
  if (text === undefined || offset === undefined) return { file: store.display(file) };
  const position = new LineIndex(text).positionOf(offset);
  return { file: store.display(file), line: position.line, column: position.column };
}

/** Maps a 1-based position in the flattened source back to the file (store name) and offset it came from. */
export function originOf(flat: FlatSource, position: Position): { file: string; offset: number } | undefined {
  const offset = new LineIndex(flat.source).offsetOf(position);
  let best: SourceSegment | undefined;
  for (const segment of flat.segments) {
    if (segment.outStart <= offset) best = segment;
    else break;
  }
  if (!best) return undefined;
  return { file: best.file, offset: best.srcStart + Math.min(offset - best.outStart, Math.max(0, best.length - 1)) };
}

/** A position in the flattened source as a location in the original files. */
export function locateInSource(store: TemplateStore, flat: FlatSource, position: Position): SourceLocation {
  const origin = originOf(flat, position);
  if (!origin) return displayLocation(store, flat.entry, undefined, undefined);
  return displayLocation(store, origin.file, flat.sources.get(origin.file), origin.offset);
}
