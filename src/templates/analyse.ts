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
  // A block `{% set x %}…{% endset %}` keeps what it captures in `body`, which Nunjucks leaves
  // out of the Set node's fields: without it, everything inside would go unchecked.
  const fields = node.typename === 'Set' && isNode(node.body) ? [...node.fields, 'body'] : node.fields;
  for (const field of fields) {
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

/** Adds the names a binding position binds: a set target, loop variables (`k, v`), macro parameters (with defaults). */
function addBoundSymbols(node: AstNode | undefined, names: Set<string>): void {
  if (!node) return;
  switch (node.typename) {
    case 'Symbol':
      names.add(String(node.value));
      return;
    case 'Pair':
      addBoundSymbols(node.key as AstNode, names);
      return;
    case 'NodeList':
    case 'Array':
    case 'KeywordArgs':
      for (const child of childrenOf(node)) addBoundSymbols(child, names);
      return;
  }
}

/** Every name bound anywhere (set targets, loop variables, macro names and parameters). */
function collectAllBoundNames(root: AstNode): Set<string> {
  const names = new Set<string>();
  const addSymbols = (node: AstNode | undefined): void => addBoundSymbols(node, names);
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

/** Filters whose result has the shape of their input: a sorted or filtered array is still its elements. */
const SAME_SHAPE_FILTERS: ReadonlySet<string> = new Set(['sort', 'reverse', 'selectattr', 'rejectattr', 'select', 'reject']);
/** Filters that pick one element of an array. */
const ELEMENT_FILTERS: ReadonlySet<string> = new Set(['first', 'last', 'random']);

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
  /** `{% set %}` targets (and macro names) in `node`, macros' own bodies aside: they have frames of their own. */
  const assignedIn = (node: AstNode, names = new Set<string>()): Set<string> => {
    if (node.typename === 'Set') for (const target of node.targets as AstNode[]) if (target.typename === 'Symbol') names.add(String(target.value));
    if (isMacroLike(node)) {
      if (node.typename === 'Macro') names.add(String((node.name as AstNode).value));
      return names;
    }
    for (const child of childrenOf(node)) assignedIn(child, names);
    return names;
  };
  // A name set anywhere outside a macro may hold anything from there on; a set inside a loop or
  // macro body is handled by that body's scope.
  const assigned = assignedIn(root);

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
    if (node.typename === 'Group') {
      const inner = childrenOf(node);
      return inner.length === 1 ? resolve(inner[0], scope) : null;
    }
    if (node.typename === 'Filter') {
      // `items | sort(…)` is still the array; `items | first` one of its elements.
      const name = String((node.name as AstNode).value);
      const [target] = childrenOf(node.args as AstNode);
      const base = target ? resolve(target, scope) : null;
      if (SAME_SHAPE_FILTERS.has(name)) return base;
      if (ELEMENT_FILTERS.has(name)) return base && [...base, EACH];
    }
    return null;
  };
  /** `scope` with the names bound by `node` (parameters, loop variables) and those `set` in its body leading to no data. */
  const unbound = (scope: Scope, node: AstNode, setInBody: ReadonlySet<string>): Map<string, MemberStep[] | null> => {
    const names = new Set(setInBody);
    addBoundSymbols(node, names);
    const inner = new Map<string, MemberStep[] | null>(scope);
    for (const name of names) inner.set(name, null);
    return inner;
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
        const body = isNode(node.body) ? node.body : undefined;
        const setInBody = body ? assignedIn(body) : new Set<string>();
        const inner = unbound(scope, name, setInBody);
        // The loop variable stands for an element, unless the body sets it to something else.
        if (name.typename === 'Symbol' && !setInBody.has(String(name.value))) {
          const array = resolve(arr, scope);
          inner.set(String(name.value), array && [...array, EACH]);
        }
        if (body) visit(body, inner);
        if (isNode(node.else_)) visit(node.else_, scope);
        return;
      }
      case 'Macro':
      case 'Caller': {
        const args = node.args as AstNode;
        // Defaults are read where the macro is defined; the body sees the parameters instead.
        for (const arg of childrenOf(args)) if (arg.typename !== 'Symbol') visit(arg, scope);
        visit(node.body as AstNode, unbound(scope, args, assignedIn(node.body as AstNode)));
        return;
      }
      default:
        for (const child of childrenOf(node)) visit(child, scope);
    }
  };
  visit(root, new Map());
  return reads;
}
