import { HELPER_FILTERS } from './filters.js';
import { installJinjaCompat, nunjucks } from './nunjucks-api.js';
import { resolveTemplateName, type TemplateStore } from './store.js';

export type OutputKind = 'html' | 'text';

/**
 * A Nunjucks environment configured the way every mailengine render is: autoescaping for HTML
 * only, an undefined variable is an error rather than an empty string, errors keep their line and
 * column (`dev`), and no implicit whitespace trimming.
 *
 * `store` is optional: flattened templates need no loader. Tests pass one to render the original,
 * unflattened templates with Nunjucks' own extends/include, as the reference for flattening.
 */
export function createEnvironment(kind: OutputKind, store?: TemplateStore): nunjucks.Environment {
  installJinjaCompat();
  const loader = store ? storeLoader(store) : [];
  const env = new nunjucks.Environment(loader, {
    autoescape: kind === 'html',
    throwOnUndefined: true,
    dev: true,
    trimBlocks: false,
    lstripBlocks: false,
  });
  for (const [name, filter] of Object.entries(HELPER_FILTERS)) env.addFilter(name, filter);
  return env;
}

function storeLoader(store: TemplateStore): nunjucks.ILoader & { isRelative(name: string): boolean; resolve(from: string, to: string): string } {
  return {
    getSource(name: string) {
      const src = store.read(name);
      // Nunjucks expects null for "no such template" and then reports it by name.
      if (src === undefined) return null as unknown as nunjucks.LoaderSource;
      return { src, path: name, noCache: true };
    },
    isRelative: (name: string) => name.startsWith('./') || name.startsWith('../'),
    resolve: (from: string, to: string) => resolveTemplateName(from, to) ?? to,
  };
}

const shared = new Map<OutputKind, nunjucks.Environment>();

/** The process-wide environment for rendering flattened templates. */
export function sharedEnvironment(kind: OutputKind): nunjucks.Environment {
  let env = shared.get(kind);
  if (!env) {
    env = createEnvironment(kind);
    shared.set(kind, env);
  }
  return env;
}

/** Whether a filter name exists in the environment (built in or one of ours). */
export function hasFilter(env: nunjucks.Environment, name: string): boolean {
  try {
    env.getFilter(name);
    return true;
  } catch {
    return false;
  }
}
