import nunjucks from 'nunjucks';

/**
 * Nunjucks publishes its lexer, parser and AST nodes but @types/nunjucks does not describe them.
 * This module types the few members the template core uses, so the casts live in one place.
 */

export interface LexerToken {
  type: string;
  value: string;
  lineno: number;
  colno: number;
}

export interface Tokenizer {
  /** Offset in the source just after the last token returned. */
  index: number;
  nextToken(): LexerToken | null;
}

export interface AstNode {
  typename: string;
  lineno: number;
  colno: number;
  fields: string[];
  value?: unknown;
  children?: AstNode[];
  [field: string]: unknown;
}

interface NunjucksInternals {
  lexer: {
    lex(src: string, opts?: Record<string, unknown>): Tokenizer;
    TOKEN_DATA: string;
    TOKEN_COMMENT: string;
    TOKEN_BLOCK_START: string;
    TOKEN_BLOCK_END: string;
    TOKEN_VARIABLE_START: string;
    TOKEN_VARIABLE_END: string;
    TOKEN_WHITESPACE: string;
    TOKEN_SYMBOL: string;
    TOKEN_STRING: string;
    TOKEN_OPERATOR: string;
  };
  parser: { parse(src: string, extensions?: unknown[], opts?: Record<string, unknown>): AstNode };
  runtime: { memberLookup: (...args: unknown[]) => unknown };
  installJinjaCompat(): void;
}

const internals = nunjucks as unknown as NunjucksInternals;

export const lexer = internals.lexer;

/**
 * Parsed trees by source text. Loading and validating a folder parses the same text many times
 * (the shared layout once per template, each flattened part for every check), and parsing is most
 * of the cost of `templates push`. Trees are read, never changed, by every caller, so one tree
 * serves every parse of the same text. Bounded: when full it starts over.
 */
const parsed = new Map<string, AstNode>();
const PARSE_CACHE_LIMIT = 256;

/**
 * The template's syntax tree, as the compiler would see it. Throws a Nunjucks error on bad syntax.
 * The tree may be shared with other callers: read it, do not change it.
 */
export function parseTemplate(src: string): AstNode {
  const known = parsed.get(src);
  if (known) return known;
  installJinjaCompat();
  const ast = internals.parser.parse(src, [], {});
  if (parsed.size >= PARSE_CACHE_LIMIT) parsed.clear();
  parsed.set(src, ast);
  return ast;
}

let compatInstalled = false;

/**
 * Jinja2 conveniences (`True`/`False`/`None`, `dict.items()`, list slices) so templates written
 * for Jinja2 engines such as SESMailEngine's render unchanged. Nunjucks installs them process-wide.
 */
export function installJinjaCompat(): void {
  if (compatInstalled) return;
  const plainLookup = internals.runtime.memberLookup;
  internals.installJinjaCompat();
  const pythonLookup = internals.runtime.memberLookup;
  // The compat layer makes `x.items`, `x.values`, `x.get`... the Python dict methods even when the
  // data has its own `items`. `order.items` meaning the order's items is what people write, so an
  // own property wins; `d.items()` still works on objects that have no such key.
  internals.runtime.memberLookup = function memberLookup(this: unknown, ...args: unknown[]) {
    const [obj, key] = args;
    if (args.length < 4 && typeof obj === 'object' && obj !== null && Object.prototype.hasOwnProperty.call(obj, key as PropertyKey)) {
      return plainLookup.apply(this, args);
    }
    return pythonLookup.apply(this, args);
  };
  compatInstalled = true;
}

export { nunjucks };
