import { collectBindings, collectReferences } from './analyse.js';
import { parseTemplate } from './nunjucks-api.js';
import { LineIndex } from './positions.js';
import { describeNunjucksError, templateError, type NunjucksErrorInfo, type TemplateProblem } from './problems.js';
import { buildTree, findUnclosedTag, isSuperCall, literalArgument, mentionsSuper, scanTemplate, ScanError, type ScanToken, type TagGroup, type TemplateItem } from './scan.js';
import { displayLocation, originOf, type FlatSource, type SourceSegment } from './source-map.js';
import { resolveTemplateName, type TemplateStore } from './store.js';

export { displayLocation, locateInSource, originOf, type FlatSource, type SourceLocation, type SourceSegment } from './source-map.js';

/**
 * Flattening: turning a template that extends a layout and includes partials into one
 * stand-alone template that renders exactly the same for any data. That is what `templates push`
 * uploads, so the Sender never needs the layout.
 *
 * How: the template is cut into tokens with the Nunjucks lexer, and its source is copied piece by
 * piece. `{% extends %}` is followed up the chain; each `{% block %}` is replaced by the most
 * derived definition of that block, `{{ super() }}` by the next one up, and `{% include %}` by the
 * flattened included template. Everything else is copied byte for byte, so expressions, filters and
 * whitespace are untouched and errors can be mapped back to the original file and line.
 *
 * Two details keep the output equivalent:
 * - Whitespace control (`{%- ... -%}`) on a tag that disappears is applied by hand to the text
 *   next to it, and an empty comment `{##}` is put at every seam, so that a `-` on a tag that stays
 *   can never reach into text that came from another file (Nunjucks only trims the text directly
 *   next to a tag).
 * - Nunjucks runs a block or an included template in its own scope: `{% set %}` inside does not
 *   leak out. Inlined, it would. Flattening therefore refuses a template where a name assigned
 *   inside a block or include is read anywhere outside it (or by a macro).
 *
 * Not supported (a clear error, never a silent difference): `{% import %}` and `{% from %}`,
 * computed names in extends/include, `super()` other than as `{{ super() }}`, and content other than
 * `{% set %}`, `{% macro %}` and blocks at the top level of a template that extends another.
 */

/** A barrier for whitespace control; see the module comment. */
const SEAM = '{##}';

interface FileModel {
  name: string;
  text: string;
  items: TemplateItem[];
  /** Text tokens to trim because a neighbouring tag that disappears asks for it. */
  trimStart: Set<ScanToken>;
  trimEnd: Set<ScanToken>;
}

type FileShape = Omit<FileModel, 'name' | 'text'>;

/**
 * The scanned shape of a file, by its text. A folder's shared layout is scanned once for all the
 * templates that extend it instead of once per template. Shapes are only read, never changed.
 * Bounded: when full it starts over.
 */
const shapes = new Map<string, FileShape>();
const SHAPE_CACHE_LIMIT = 256;

interface BlockDefinition {
  file: FileModel;
  group: TagGroup;
}

interface Scope {
  blocks: Map<string, BlockDefinition[]>;
  current?: { name: string; level: number };
}

interface Region {
  kind: 'block' | 'super' | 'include';
  name: string;
  start: number;
  end: number;
  file: string;
  offset: number;
}

const RESOLVED_TAGS = new Set(['block', 'endblock', 'include', 'extends']);

function disappears(token: ScanToken | undefined): boolean {
  if (!token) return false;
  if (token.kind === 'tag') return RESOLVED_TAGS.has(token.name ?? '');
  return isSuperCall(token);
}

function blockName(group: TagGroup): string {
  return group.open.code[1]?.value ?? '';
}

/**
 * Flattens template `name` from `store`. `text` supplies the source directly (used for the
 * subject and other metadata fields, which are templates too).
 */
export function flattenTemplate(store: TemplateStore, name: string, text?: string): FlatSource {
  const flattener = new Flattener(store);
  if (text !== undefined) flattener.provide(name, text);
  return flattener.run(name);
}

/**
 * A tag left open, reported where it was opened, with the place Nunjucks stopped when that is
 * elsewhere. Undefined when the error is something else (or the file cannot even be scanned).
 */
function unclosedTagProblem(text: string, info: NunjucksErrorInfo): Pick<TemplateProblem, 'message' | 'line' | 'column'> | undefined {
  let unclosed;
  try {
    unclosed = findUnclosedTag(scanTemplate(text));
  } catch {
    return undefined;
  }
  if (!unclosed) return undefined;
  // Only when Nunjucks tripped over that very end tag, or over the end of the file: anything
  // else (a malformed tag, say) is better told in Nunjucks's own words.
  const trippedOver = /unknown block tag: (\w+)/.exec(info.message)?.[1];
  if (unclosed.found ? trippedOver !== unclosed.found.name : !/end of file/.test(info.message)) return undefined;
  const lines = new LineIndex(text);
  const opened = lines.positionOf(unclosed.open.start);
  const what = `{% ${unclosed.open.name} %} is never closed`;
  if (!unclosed.found) return { message: `${what}: the file ends before its {% ${unclosed.closer} %}`, ...opened };
  const found = lines.positionOf(unclosed.found.start);
  // Nunjucks points inside the tag (at its name); say the line and column it said.
  const stopped = info.line !== undefined ? { line: info.line, column: info.column ?? found.column } : found;
  const at = stopped.line === opened.line ? `column ${stopped.column}` : `line ${stopped.line}, column ${stopped.column}`;
  return { message: `${what}: Nunjucks met {% ${unclosed.found.name} %} at ${at} where it expected {% ${unclosed.closer} %}`, ...opened };
}

class Flattener {
  private out = '';
  private readonly segments: SourceSegment[] = [];
  private readonly regions: Region[] = [];
  private readonly models = new Map<string, FileModel>();
  private readonly provided = new Map<string, string>();
  private readonly active: string[] = [];

  constructor(private readonly store: TemplateStore) {}

  provide(name: string, text: string): void {
    this.provided.set(name, text);
  }

  run(entry: string): FlatSource {
    this.flattenFile(entry, undefined);
    this.trimSeams();
    const result: FlatSource = {
      source: this.out,
      entry,
      segments: this.segments,
      sources: new Map([...this.models].map(([name, model]) => [name, model.text])),
    };
    this.checkScopes(result);
    return result;
  }

  // ---- loading -------------------------------------------------------------------------------

  private fail(code: string, message: string, file: string, offset?: number): never {
    const text = this.models.get(file)?.text ?? this.provided.get(file);
    const problem: TemplateProblem = { code, message, ...displayLocation(this.store, file, text, offset) };
    throw templateError([problem]);
  }

  private model(name: string, from?: { file: string; offset: number }): FileModel | undefined {
    const cached = this.models.get(name);
    if (cached) return cached;
    const text = this.provided.get(name) ?? this.store.read(name);
    if (text === undefined) {
      if (!from) this.fail('TEMPLATE_NOT_FOUND', `no such template file: ${this.store.display(name)}`, name);
      return undefined;
    }
    const known = shapes.get(text);
    if (known) {
      const model: FileModel = { name, text, ...known };
      this.models.set(name, model);
      return model;
    }
    // Parse with Nunjucks first: a syntax error is reported by Nunjucks itself, in this file.
    try {
      parseTemplate(text);
    } catch (err) {
      const info = describeNunjucksError(err);
      const where = displayLocation(this.store, name, text, undefined);
      const unclosed = name.includes('#') ? undefined : unclosedTagProblem(text, info);
      if (unclosed) throw templateError([{ code: 'TEMPLATE_SYNTAX_ERROR', ...where, ...unclosed }]);
      throw templateError([{ code: 'TEMPLATE_SYNTAX_ERROR', message: info.message, ...where, ...(name.includes('#') ? {} : { line: info.line, column: info.column }) }]);
    }
    let tokens: ScanToken[];
    let items: TemplateItem[];
    try {
      tokens = scanTemplate(text);
      items = buildTree(tokens);
    } catch (err) {
      if (err instanceof ScanError) this.fail('TEMPLATE_SYNTAX_ERROR', err.message, name, err.offset);
      const info = describeNunjucksError(err);
      this.fail('TEMPLATE_SYNTAX_ERROR', info.message, name);
    }
    const trimStart = new Set<ScanToken>();
    const trimEnd = new Set<ScanToken>();
    tokens.forEach((token, i) => {
      if (token.kind !== 'data') return;
      const before = tokens[i - 1];
      const after = tokens[i + 1];
      if (disappears(before) && before.trimAfter) trimStart.add(token);
      if (disappears(after) && after.trimBefore) trimEnd.add(token);
    });
    if (shapes.size >= SHAPE_CACHE_LIMIT) shapes.clear();
    shapes.set(text, { items, trimStart, trimEnd });
    const model: FileModel = { name, text, items, trimStart, trimEnd };
    this.models.set(name, model);
    return model;
  }

  // ---- output --------------------------------------------------------------------------------

  private append(text: string, file?: string, srcStart?: number): void {
    if (!text) return;
    if (file !== undefined && srcStart !== undefined) this.segments.push({ outStart: this.out.length, length: text.length, file, srcStart });
    this.out += text;
  }

  private seam(): void {
    if (!this.out.endsWith(SEAM)) this.out += SEAM;
  }

  private copy(token: ScanToken, file: FileModel): void {
    this.append(file.text.slice(token.start, token.end), file.name, token.start);
  }

  private copyData(token: ScanToken, file: FileModel): void {
    let start = token.start;
    let text = file.text.slice(token.start, token.end);
    if (file.trimStart.has(token)) {
      const stripped = text.replace(/^\s*/, '');
      start += text.length - stripped.length;
      text = stripped;
    }
    if (file.trimEnd.has(token)) text = text.replace(/\s*$/, '');
    this.append(text, file.name, start);
  }

  /** Seams at the very start or end guard nothing; drop them so the output reads naturally. */
  private trimSeams(): void {
    if (this.out.startsWith(SEAM)) {
      this.out = this.out.slice(SEAM.length);
      for (const s of this.segments) s.outStart -= SEAM.length;
      for (const r of this.regions) {
        r.start -= SEAM.length;
        r.end -= SEAM.length;
      }
    }
    if (this.out.endsWith(SEAM)) this.out = this.out.slice(0, -SEAM.length);
  }

  private region(kind: Region['kind'], name: string, file: FileModel, offset: number, emit: () => void): void {
    this.seam();
    const start = this.out.length;
    emit();
    this.regions.push({ kind, name, start, end: this.out.length, file: file.name, offset });
    this.seam();
  }

  // ---- structure -----------------------------------------------------------------------------

  private flattenFile(name: string, from: { file: string; offset: number } | undefined): void {
    if (this.active.includes(name)) {
      this.fail('TEMPLATE_FLATTEN_UNSUPPORTED', `${this.store.display(name)} includes or extends itself (${[...this.active, name].join(' → ')})`, from?.file ?? name, from?.offset);
    }
    this.active.push(name);
    const first = this.model(name, from);
    if (!first) throw new Error(`unreachable: ${name} vanished`);
    const chain: FileModel[] = [first];
    for (let parent = this.extendsOf(first); parent; parent = this.extendsOf(chain[chain.length - 1])) {
      if (chain.some((m) => m.name === parent?.name)) {
        this.fail('TEMPLATE_FLATTEN_UNSUPPORTED', `layouts extend each other in a loop (${[...chain.map((m) => m.name), parent.name].join(' → ')})`, name);
      }
      chain.push(parent);
    }
    const scope: Scope = { blocks: new Map() };
    for (const model of chain) this.collectBlocks(model.items, model, scope, new Set());
    // Nunjucks runs each child's top level (its sets and macros) before the layout it extends.
    for (const model of chain.slice(0, -1)) this.emitChildTopLevel(model, scope);
    this.emitItems(chain[chain.length - 1].items, chain[chain.length - 1], scope);
    this.active.pop();
  }

  private extendsOf(model: FileModel): FileModel | undefined {
    const tags = model.items.filter((i): i is ScanToken => i.kind === 'tag' && i.name === 'extends');
    if (tags.length === 0) return undefined;
    if (tags.length > 1) this.fail('TEMPLATE_FLATTEN_UNSUPPORTED', 'a template can extend only one layout', model.name, tags[1].start);
    const tag = tags[0];
    const target = literalArgument(tag);
    if (target === undefined || tag.code.length !== 2) {
      this.fail('TEMPLATE_FLATTEN_UNSUPPORTED', '{% extends %} needs a quoted file name to be flattened', model.name, tag.start);
    }
    const resolved = resolveTemplateName(model.name, target);
    const parent = resolved === undefined ? undefined : this.model(resolved, { file: model.name, offset: tag.start });
    if (!parent) this.fail('TEMPLATE_INCLUDE_NOT_FOUND', `extends "${target}", which does not exist`, model.name, tag.start);
    return parent;
  }

  private collectBlocks(items: TemplateItem[], file: FileModel, scope: Scope, seen: Set<string>): void {
    for (const item of items) {
      if (item.kind !== 'group') continue;
      if (item.name === 'block') {
        const name = blockName(item);
        if (seen.has(name)) this.fail('TEMPLATE_SYNTAX_ERROR', `block "${name}" is defined more than once`, file.name, item.open.start);
        seen.add(name);
        const list = scope.blocks.get(name) ?? [];
        list.push({ file, group: item });
        scope.blocks.set(name, list);
      }
      this.collectBlocks(item.body, file, scope, seen);
    }
  }

  private emitChildTopLevel(model: FileModel, scope: Scope): void {
    const ignored = (offset: number, what: string): never =>
      this.fail(
        'TEMPLATE_FLATTEN_UNSUPPORTED',
        `${what} outside {% block %} in a template that extends a layout; Nunjucks ignores it there. Move it into a block`,
        model.name,
        offset,
      );
    for (const item of model.items) {
      if (item.kind === 'group') {
        if (item.name === 'block') continue;
        if (item.name !== 'set' && item.name !== 'macro') ignored(item.open.start, `{% ${item.name} %}`);
        this.seam();
        this.emitGroup(item, model, scope);
        this.seam();
        continue;
      }
      switch (item.kind) {
        case 'comment':
          continue;
        case 'data':
          if (/\S/.test(model.text.slice(item.start, item.end))) ignored(item.start + model.text.slice(item.start, item.end).search(/\S/), 'text');
          continue;
        case 'tag':
          if (item.name === 'extends') continue;
          if (item.name !== 'set') ignored(item.start, `{% ${item.name} %}`);
          this.seam();
          this.copy(item, model);
          this.seam();
          continue;
        default:
          ignored(item.start, item.kind === 'output' ? 'an {{ output }}' : 'a raw block');
      }
    }
  }

  private emitGroup(group: TagGroup, file: FileModel, scope: Scope): void {
    this.checkToken(group.open, file);
    this.copy(group.open, file);
    this.emitItems(group.body, file, scope);
    this.copy(group.close, file);
  }

  private checkToken(token: ScanToken, file: FileModel): void {
    if (mentionsSuper(token)) this.fail('TEMPLATE_FLATTEN_UNSUPPORTED', 'super() can be flattened only when written alone as {{ super() }}', file.name, token.start);
  }

  private emitItems(items: TemplateItem[], file: FileModel, scope: Scope): void {
    for (const item of items) {
      if (item.kind === 'group') {
        if (item.name === 'block') this.emitBlock(blockName(item), file, item.open.start, scope);
        else this.emitGroup(item, file, scope);
        continue;
      }
      switch (item.kind) {
        case 'data':
          this.copyData(item, file);
          break;
        case 'comment':
        case 'raw':
          this.copy(item, file);
          break;
        case 'output':
          if (isSuperCall(item)) this.emitSuper(item, file, scope);
          else {
            this.checkToken(item, file);
            this.copy(item, file);
          }
          break;
        case 'tag':
          if (item.name === 'include') this.emitInclude(item, file);
          else if (item.name === 'extends') this.fail('TEMPLATE_FLATTEN_UNSUPPORTED', '{% extends %} must be at the top level of the template, not inside another tag', file.name, item.start);
          else if (item.name === 'import' || item.name === 'from') {
            this.fail('TEMPLATE_FLATTEN_UNSUPPORTED', `{% ${item.name} %} cannot be flattened; use {% include %} with {% set %} variables instead of imported macros`, file.name, item.start);
          } else {
            this.checkToken(item, file);
            this.copy(item, file);
          }
          break;
      }
    }
  }

  private emitBlock(name: string, file: FileModel, offset: number, scope: Scope): void {
    const definitions = scope.blocks.get(name);
    if (!definitions?.length) this.fail('TEMPLATE_FLATTEN_UNSUPPORTED', `block "${name}" has no definition`, file.name, offset);
    this.region('block', name, file, offset, () => this.emitDefinition(name, definitions, 0, scope));
  }

  private emitDefinition(name: string, definitions: BlockDefinition[], level: number, scope: Scope): void {
    const definition = definitions[level];
    this.emitItems(definition.group.body, definition.file, { ...scope, current: { name, level } });
  }

  private emitSuper(token: ScanToken, file: FileModel, scope: Scope): void {
    const current = scope.current;
    if (!current) this.fail('TEMPLATE_FLATTEN_UNSUPPORTED', '{{ super() }} is only meaningful inside a {% block %}', file.name, token.start);
    const definitions = scope.blocks.get(current.name) ?? [];
    const level = current.level + 1;
    if (level >= definitions.length) {
      this.fail('TEMPLATE_FLATTEN_UNSUPPORTED', `{{ super() }} in block "${current.name}", but no layout above defines that block`, file.name, token.start);
    }
    this.region('super', current.name, file, token.start, () => this.emitDefinition(current.name, definitions, level, scope));
  }

  private emitInclude(tag: ScanToken, file: FileModel): void {
    const target = literalArgument(tag);
    const rest = tag.code.slice(2).map((t) => t.value);
    const ignoreMissing = rest.length === 2 && rest[0] === 'ignore' && rest[1] === 'missing';
    if (target === undefined || (rest.length > 0 && !ignoreMissing)) {
      this.fail('TEMPLATE_FLATTEN_UNSUPPORTED', '{% include %} needs a quoted file name to be flattened', file.name, tag.start);
    }
    const resolved = resolveTemplateName(file.name, target);
    const from = { file: file.name, offset: tag.start };
    const exists = resolved !== undefined && this.model(resolved, from) !== undefined;
    if (!exists) {
      if (ignoreMissing) {
        this.seam();
        return;
      }
      this.fail('TEMPLATE_INCLUDE_NOT_FOUND', `includes "${target}", which does not exist`, file.name, tag.start);
    }
    this.region('include', resolved, file, tag.start, () => this.flattenFile(resolved, from));
  }

  // ---- scope check ---------------------------------------------------------------------------

  /**
   * Names assigned inside a block or include are local to it in Nunjucks. Inlined they are not,
   * so a template that reads such a name outside (or from a macro, which reads the template's
   * context) would render differently. Refuse it, pointing at the block.
   */
  private checkScopes(flat: FlatSource): void {
    for (const region of this.regions) {
      const inside = flat.source.slice(region.start, region.end);
      const insideAst = parseTemplate(inside);
      const bindings = collectBindings(insideAst);
      if (bindings.size === 0) continue;
      const outside = collectReferences(parseTemplate(flat.source.slice(0, region.start) + flat.source.slice(region.end)));
      const fromMacros = collectReferences(insideAst, { onlyInMacros: true });
      const clash = [...bindings].filter((name) => outside.has(name) || fromMacros.has(name));
      if (clash.length === 0) continue;
      const what = region.kind === 'include' ? `included template ${region.name}` : `block "${region.name}"`;
      // Point at the assignment itself when it can be found, else at the block or include tag.
      const assignment = new RegExp(`\\{%-?\\s*(?:set|macro)\\s+[^%]*\\b${clash[0]}\\b`).exec(inside);
      const origin = assignment ? originOf(flat, new LineIndex(flat.source).positionOf(region.start + assignment.index)) : undefined;
      this.fail(
        'TEMPLATE_FLATTEN_UNSUPPORTED',
        `${clash.map((n) => `"${n}"`).join(', ')} ${clash.length === 1 ? 'is' : 'are'} set inside ${what} and also used outside it; Nunjucks keeps such variables local, so the flattened template would differ. Rename ${clash.length === 1 ? 'it' : 'them'} or set ${clash.length === 1 ? 'it' : 'them'} outside the block`,
        origin?.file ?? region.file,
        origin?.offset ?? region.offset,
      );
    }
  }
}
