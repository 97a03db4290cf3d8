import type { AstNode } from './nunjucks-api.js';

/**
 * Static questions about a parsed template: which names it reads, which it assigns, which
 * filters it calls. Used to check that required variables are really used, to warn about
 * variables nobody declared, and to keep flattening from changing what a template means.
 */

/** Names a template can read without anyone passing them. */
export const BUILTIN_NAMES: ReadonlySet<string> = new Set(['loop', 'caller', 'super', 'range', 'cycler', 'joiner', 'True', 'False', 'None']);

function isNode(value: unknown): value is AstNode {
  return typeof value === 'object' && value !== null && typeof (value as AstNode).typename === 'string';
}

function childrenOf(node: AstNode): AstNode[] {
  const out: AstNode[] = [];
  for (const field of node.fields) {
    const value = node[field];
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) out.push(item);
    } else if (isNode(value)) {
      out.push(value);
    }
  }
  return out;
}

function isMacroLike(node: AstNode): boolean {
  return node.typename === 'Macro' || node.typename === 'Caller';
}

/**
 * Every variable name the template reads. Filter names, test names (`is defined`) and the keys of
 * dict literals and keyword arguments are not reads; `a[b]` reads `b`, `a.b` does not.
 */
export function collectReferences(root: AstNode, options: { onlyInMacros?: boolean } = {}): Set<string> {
  const names = new Set<string>();
  const visit = (node: AstNode, inMacro: boolean): void => {
    switch (node.typename) {
      case 'Symbol':
        if (!options.onlyInMacros || inMacro) names.add(String(node.value));
        return;
      case 'Filter':
      case 'FilterAsync':
        visit(node.args as AstNode, inMacro);
        return;
      case 'Is': {
        visit(node.left as AstNode, inMacro);
        const right = node.right as AstNode;
        if (right.typename === 'FunCall') visit(right.args as AstNode, inMacro);
        return;
      }
      case 'Pair': {
        const key = node.key as AstNode;
        if (key.typename !== 'Symbol') visit(key, inMacro);
        visit(node.value as AstNode, inMacro);
        return;
      }
      case 'Set':
        // Assigning is not reading: only the value (or captured body) is visited.
        if (isNode(node.value)) visit(node.value, inMacro);
        if (isNode(node.body)) visit(node.body, inMacro);
        return;
      case 'For':
      case 'AsyncEach':
      case 'AsyncAll':
        for (const field of ['arr', 'body', 'else_']) if (isNode(node[field])) visit(node[field] as AstNode, inMacro);
        return;
      case 'Macro':
      case 'Caller':
        // The macro's own name and parameters are bindings; only the body (and defaults) read.
        for (const arg of childrenOf(node.args as AstNode)) if (arg.typename !== 'Symbol') visit(arg, true);
        visit(node.body as AstNode, true);
        return;
      default:
        for (const child of childrenOf(node)) visit(child, inMacro || isMacroLike(node));
    }
  };
  visit(root, false);
  return names;
}

/**
 * Names assigned in the template's own scope: `{% set %}` targets and macro names. Assignments
 * inside macro and call bodies are left out; they live in the macro's own frame.
 */
export function collectBindings(root: AstNode): Set<string> {
  const names = new Set<string>();
  const visit = (node: AstNode): void => {
    if (node.typename === 'Set') {
      for (const target of node.targets as AstNode[]) if (target.typename === 'Symbol') names.add(String(target.value));
    }
    if (isMacroLike(node)) {
      if (node.typename === 'Macro') names.add(String((node.name as AstNode).value));
      return;
    }
    for (const child of childrenOf(node)) visit(child);
  };
  visit(root);
  return names;
}

/** Every name bound anywhere (set targets, loop variables, macro names and parameters). */
function collectAllBoundNames(root: AstNode): Set<string> {
  const names = new Set<string>();
  const addSymbols = (node: AstNode | undefined): void => {
    if (!node) return;
    switch (node.typename) {
      case 'Symbol':
        names.add(String(node.value));
        return;
      case 'Pair':
        addSymbols(node.key as AstNode);
        return;
      case 'NodeList':
      case 'Array':
      case 'KeywordArgs':
        for (const child of childrenOf(node)) addSymbols(child);
        return;
    }
  };
  const visit = (node: AstNode): void => {
    if (node.typename === 'Set') for (const target of node.targets as AstNode[]) addSymbols(target);
    if (node.typename === 'For' || node.typename === 'AsyncEach' || node.typename === 'AsyncAll') addSymbols(node.name as AstNode);
    if (node.typename === 'Macro') addSymbols(node.name as AstNode);
    if (isMacroLike(node)) addSymbols(node.args as AstNode);
    for (const child of childrenOf(node)) visit(child);
  };
  visit(root);
  return names;
}

/** Variables the template expects from its caller: names read but never bound, builtins aside. */
export function freeVariables(root: AstNode): Set<string> {
  const bound = collectAllBoundNames(root);
  const free = new Set<string>();
  for (const name of collectReferences(root)) if (!bound.has(name) && !BUILTIN_NAMES.has(name)) free.add(name);
  return free;
}

/** A name used somewhere in a template. */
export interface NameUse {
  name: string;
  /** 0-based, as in the AST. */
  lineno: number;
  colno: number;
}

export type FilterUse = NameUse;

export function collectFilters(root: AstNode): FilterUse[] {
  const uses: FilterUse[] = [];
  const visit = (node: AstNode): void => {
    if (node.typename === 'Filter' || node.typename === 'FilterAsync') {
      const name = node.name as AstNode;
      uses.push({ name: String(name.value), lineno: name.lineno, colno: name.colno });
    }
    for (const child of childrenOf(node)) visit(child);
  };
  visit(root);
  return uses;
}

/**
 * Names that lead from template data to JavaScript itself: `x.constructor.constructor('…')()`
 * runs any code in the process that renders. Nunjucks is not a sandbox, so templates may not
 * name them at all.
 */
export const OBJECT_REACHING_NAMES: ReadonlySet<string> = new Set(['constructor', '__proto__', 'prototype']);

/**
 * Every place an expression names a member of the JavaScript object model: as a variable
 * (`constructor`), a lookup (`x.constructor`, `x["__proto__"]`) or any string in an expression
 * (`x | attr("prototype")`). Text outside `{{ }}` and `{% %}` is not an expression and may say anything.
 */
export function collectObjectReach(root: AstNode): NameUse[] {
  const uses: NameUse[] = [];
  const visit = (node: AstNode): void => {
    if ((node.typename === 'Symbol' || node.typename === 'Literal') && typeof node.value === 'string' && OBJECT_REACHING_NAMES.has(node.value)) {
      uses.push({ name: node.value, lineno: node.lineno, colno: node.colno });
    }
    for (const child of childrenOf(node)) visit(child);
  };
  visit(root);
  return uses;
}

/** Where the template reads each of `names` (Symbol nodes), in source order, so a problem can point at a use. */
export function collectNameUses(root: AstNode, names: ReadonlySet<string>): NameUse[] {
  const uses: NameUse[] = [];
  const visit = (node: AstNode): void => {
    if (node.typename === 'Symbol' && names.has(String(node.value))) uses.push({ name: String(node.value), lineno: node.lineno, colno: node.colno });
    for (const child of childrenOf(node)) visit(child);
  };
  visit(root);
  return uses;
}

/** A step into "each element of" an array in a {@link MemberRead}'s path: `items[]`. */
export const EACH: unique symbol = Symbol('each');
export type MemberStep = string | number | typeof EACH;

/** A member the template reads off its data: `order.total` is `["order", "total"]`. */
export interface MemberRead {
  /** From a variable the caller passes; a loop variable stands for `[...array, EACH]`. */
  path: MemberStep[];
  /** Of the member's name, 0-based, as in the AST. */
  lineno: number;
  colno: number;
}

/**
 * Every `a.b` and `a["b"]` / `a[0]` the template reads off the data its caller passes, each
 * chain's every step. A loop variable is followed to the array it walks (`{% for i in items %}`
 * makes `i.name` the read `items[].name`). Names the template assigns (`{% set %}`, macro
 * parameters, a loop over key and value) lead to no data and are left out, as are lookups with a
 * computed key.
 */
export function collectMemberReads(root: AstNode): MemberRead[] {
  const assigned = new Set<string>();
  const collectAssigned = (node: AstNode): void => {
    if (node.typename === 'Set') for (const target of node.targets as AstNode[]) if (target.typename === 'Symbol') assigned.add(String(target.value));
    if (node.typename === 'Macro') assigned.add(String((node.name as AstNode).value));
    for (const child of childrenOf(node)) collectAssigned(child);
  };
  collectAssigned(root);

  type Scope = ReadonlyMap<string, MemberStep[] | null>;
  const resolve = (node: AstNode, scope: Scope): MemberStep[] | null => {
    if (node.typename === 'Symbol') {
      const name = String(node.value);
      if (scope.has(name)) return scope.get(name) ?? null;
      return assigned.has(name) || BUILTIN_NAMES.has(name) ? null : [name];
    }
    if (node.typename === 'LookupVal') {
      const key = node.val as AstNode;
      if (key.typename !== 'Literal' || (typeof key.value !== 'string' && typeof key.value !== 'number')) return null;
      const base = resolve(node.target as AstNode, scope);
      return base && [...base, key.value];
    }
    return null;
  };
  const unbound = (scope: Scope, node: AstNode | undefined): Map<string, null> => {
    const inner = new Map<string, MemberStep[] | null>(scope);
    const bind = (n: AstNode): void => {
      if (n.typename === 'Symbol') inner.set(String(n.value), null);
      else if (n.typename === 'Pair') bind(n.key as AstNode);
      else for (const child of childrenOf(n)) bind(child);
    };
    if (node) bind(node);
    return inner as Map<string, null>;
  };

  const reads: MemberRead[] = [];
  const visit = (node: AstNode, scope: Scope): void => {
    switch (node.typename) {
      case 'LookupVal': {
        const path = resolve(node, scope);
        const key = node.val as AstNode;
        if (path) reads.push({ path, lineno: key.lineno, colno: key.colno });
        for (const child of childrenOf(node)) visit(child, scope);
        return;
      }
      case 'For':
      case 'AsyncEach':
      case 'AsyncAll': {
        const arr = node.arr as AstNode;
        const name = node.name as AstNode;
        visit(arr, scope);
        const inner = unbound(scope, name) as Map<string, MemberStep[] | null>;
        if (name.typename === 'Symbol') {
          const array = resolve(arr, scope);
          inner.set(String(name.value), array && [...array, EACH]);
        }
        if (isNode(node.body)) visit(node.body, inner);
        if (isNode(node.else_)) visit(node.else_, scope);
        return;
      }
      case 'Macro':
      case 'Caller': {
        const args = node.args as AstNode;
        // Defaults are read where the macro is defined; the body sees the parameters instead.
        for (const arg of childrenOf(args)) if (arg.typename !== 'Symbol') visit(arg, scope);
        visit(node.body as AstNode, unbound(scope, args));
        return;
      }
      default:
        for (const child of childrenOf(node)) visit(child, scope);
    }
  };
  visit(root, new Map());
  return reads;
}
