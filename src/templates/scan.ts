import { lexer, type LexerToken } from './nunjucks-api.js';

/**
 * A template cut into the pieces flattening moves around: literal text, comments, `{{ ... }}`
 * outputs, `{% ... %}` tags and raw blocks, each with its exact source range. The Nunjucks lexer
 * does the cutting, so what counts as a tag here is exactly what Nunjucks will see.
 */
export interface ScanToken {
  kind: 'data' | 'comment' | 'output' | 'tag' | 'raw';
  start: number;
  end: number;
  /** `{%-`, `{{-`, `{#-`: Nunjucks strips trailing whitespace from the text just before. */
  trimBefore: boolean;
  /** `-%}`, `-}}`, `-#}`: Nunjucks strips leading whitespace from the text just after. */
  trimAfter: boolean;
  /** The tag's name (`if`, `block`, `include`...); `raw` or `verbatim` for raw blocks. */
  name?: string;
  /** The significant lexer tokens between the delimiters, whitespace left out. */
  code: LexerToken[];
}

/** A tag pair (`{% if %}...{% endif %}`) with everything between; middle tags (`else`) stay in the body. */
export interface TagGroup {
  kind: 'group';
  name: string;
  open: ScanToken;
  close: ScanToken;
  body: TemplateItem[];
}

export type TemplateItem = ScanToken | TagGroup;

const CLOSERS: Record<string, string> = {
  block: 'endblock',
  if: 'endif',
  ifAsync: 'endif',
  for: 'endfor',
  asyncEach: 'endeach',
  asyncAll: 'endall',
  macro: 'endmacro',
  call: 'endcall',
  filter: 'endfilter',
  switch: 'endswitch',
  set: 'endset',
};

export class ScanError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'ScanError';
  }
}

export function scanTemplate(src: string): ScanToken[] {
  const tokens: ScanToken[] = [];
  let base = 0;
  let tokenizer = lexer.lex(src);
  let previousEnd = 0;

  const next = (): LexerToken | null => {
    const tok = tokenizer.nextToken();
    if (tok) previousEnd = base + tokenizer.index;
    return tok;
  };

  for (;;) {
    const start = previousEnd;
    const tok = next();
    if (!tok) break;
    if (tok.type === lexer.TOKEN_DATA) {
      tokens.push({ kind: 'data', start, end: previousEnd, trimBefore: false, trimAfter: false, code: [] });
      continue;
    }
    if (tok.type === lexer.TOKEN_COMMENT) {
      tokens.push({ kind: 'comment', start, end: previousEnd, trimBefore: tok.value.startsWith('{#-'), trimAfter: tok.value.endsWith('-#}'), code: [] });
      continue;
    }
    const isTag = tok.type === lexer.TOKEN_BLOCK_START;
    if (!isTag && tok.type !== lexer.TOKEN_VARIABLE_START) throw new ScanError(`unexpected ${tok.type} token`, start);
    const closing = isTag ? lexer.TOKEN_BLOCK_END : lexer.TOKEN_VARIABLE_END;
    const code: LexerToken[] = [];
    let endToken: LexerToken | null = null;
    for (let inner = next(); inner; inner = next()) {
      if (inner.type === closing) {
        endToken = inner;
        break;
      }
      if (inner.type !== lexer.TOKEN_WHITESPACE) code.push(inner);
    }
    if (!endToken) throw new ScanError(isTag ? 'unclosed {% tag' : 'unclosed {{ output', start);
    const token: ScanToken = {
      kind: isTag ? 'tag' : 'output',
      start,
      end: previousEnd,
      trimBefore: tok.value.endsWith('-'),
      trimAfter: endToken.value.startsWith('-'),
      name: isTag ? code[0]?.value : undefined,
      code,
    };
    if (isTag && (token.name === 'raw' || token.name === 'verbatim')) {
      // Nunjucks reads raw blocks with a regular expression instead of the lexer; do the same,
      // then restart the lexer after the end tag.
      const end = findRawEnd(src, token.end, token.name);
      tokens.push({ ...token, kind: 'raw', end });
      base = end;
      previousEnd = end;
      tokenizer = lexer.lex(src.slice(end));
      continue;
    }
    tokens.push(token);
  }
  return tokens;
}

function findRawEnd(src: string, from: number, tagName: string): number {
  const pattern = new RegExp(`{%\\s*(${tagName}|end${tagName})\\s*(?=%})%}`, 'g');
  pattern.lastIndex = from;
  let level = 1;
  for (let match = pattern.exec(src); match; match = pattern.exec(src)) {
    level += match[1] === tagName ? 1 : -1;
    if (level === 0) return match.index + match[0].length;
  }
  return src.length;
}

function closerFor(token: ScanToken): string | undefined {
  if (token.kind !== 'tag' || !token.name) return undefined;
  // `{% set x = 1 %}` stands alone; `{% set x %}...{% endset %}` captures a block.
  if (token.name === 'set') return token.code.some((t) => t.type === lexer.TOKEN_OPERATOR && t.value === '=') ? undefined : 'endset';
  return CLOSERS[token.name];
}

/** Pairs opening and closing tags into groups. Templates reaching here have already parsed. */
export function buildTree(tokens: ScanToken[]): TemplateItem[] {
  const root: TemplateItem[] = [];
  const stack: Array<{ open: ScanToken; closer: string; body: TemplateItem[] }> = [];
  const current = () => (stack.length ? stack[stack.length - 1].body : root);
  for (const token of tokens) {
    const closer = closerFor(token);
    if (closer) {
      stack.push({ open: token, closer, body: [] });
      continue;
    }
    const top = stack[stack.length - 1];
    if (top && token.kind === 'tag' && token.name === top.closer) {
      stack.pop();
      current().push({ kind: 'group', name: top.open.name ?? '', open: top.open, close: token, body: top.body });
      continue;
    }
    if (token.kind === 'tag' && token.name?.startsWith('end') && Object.values(CLOSERS).includes(token.name)) {
      throw new ScanError(`unexpected {% ${token.name} %}`, token.start);
    }
    current().push(token);
  }
  if (stack.length) {
    const open = stack[stack.length - 1].open;
    throw new ScanError(`{% ${open.name} %} is never closed`, open.start);
  }
  return root;
}

export interface UnclosedTag {
  /** The innermost tag still open when the template went wrong. */
  open: ScanToken;
  /** The end tag it needs (`endif`). */
  closer: string;
  /** The end tag of another tag met instead; absent when the file ended first. */
  found?: ScanToken;
}

/**
 * Where a template leaves a tag open, for a template Nunjucks refused: Nunjucks reports the end
 * tag it tripped over (often the layout block's `{% endblock %}`, far below) or the end of the
 * file, never the tag that was left open. Undefined when no tag is left open (a stray end tag).
 */
export function findUnclosedTag(tokens: ScanToken[]): UnclosedTag | undefined {
  const stack: Array<{ open: ScanToken; closer: string }> = [];
  const closers = new Set(Object.values(CLOSERS));
  for (const token of tokens) {
    const closer = closerFor(token);
    if (closer) {
      stack.push({ open: token, closer });
      continue;
    }
    if (token.kind !== 'tag' || !token.name || !closers.has(token.name)) continue;
    const top = stack[stack.length - 1];
    if (!top) return undefined;
    if (token.name !== top.closer) return { ...top, found: token };
    stack.pop();
  }
  const top = stack[stack.length - 1];
  return top ? { ...top } : undefined;
}

/** The string argument of `{% extends "x" %}` / `{% include "x" %}`, or undefined when it is computed. */
export function literalArgument(token: ScanToken): string | undefined {
  const arg = token.code[1];
  return arg && arg.type === lexer.TOKEN_STRING ? arg.value : undefined;
}

/** `{{ super() }}` exactly, the one form of super() that flattening can inline. */
export function isSuperCall(token: ScanToken): boolean {
  if (token.kind !== 'output') return false;
  const values = token.code.map((t) => t.value);
  return values.length === 3 && values[0] === 'super' && values[1] === '(' && values[2] === ')';
}

/** Whether super() appears anywhere in the token, in any form. */
export function mentionsSuper(token: ScanToken): boolean {
  return token.code.some((t, i) => t.type === lexer.TOKEN_SYMBOL && t.value === 'super' && token.code[i + 1]?.value === '(');
}
