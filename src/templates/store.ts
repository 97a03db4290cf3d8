import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';

/**
 * Where template files come from. Names are relative, with forward slashes
 * (`welcome/template.html`, `_layout/base.html`): the same names a template uses in
 * `{% extends %}` and `{% include %}`, and the same names the files have in S3 under `templates/`.
 */
export interface TemplateStore {
  /** The file's text, or undefined when there is no such file. */
  read(name: string): string | undefined;
  /** The file as the user should see it in messages (`templates/welcome/template.html`). */
  display(name: string): string;
}

export const TEMPLATE_FILES = { html: 'template.html', text: 'template.txt', metadata: 'metadata.json' } as const;

/** The shared layout folder; folders starting with `_` hold partials, not templates. */
export const LAYOUT_DIR = '_layout';
export const BRAND_FILE = `${LAYOUT_DIR}/brand.json`;

/**
 * Resolves a name used inside `from`: `./x` and `../x` are relative to that file's folder, anything
 * else is relative to the store root (as Nunjucks does). Returns undefined for names that would
 * leave the root.
 */
export function resolveTemplateName(from: string | undefined, name: string): string | undefined {
  const relative = name.startsWith('./') || name.startsWith('../');
  const joined = relative && from ? posix.join(posix.dirname(from), name) : posix.normalize(name);
  if (joined.startsWith('../') || joined === '..' || posix.isAbsolute(joined)) return undefined;
  return joined;
}

/** Templates in a folder on disk. */
export class DirectoryStore implements TemplateStore {
  /**
   * @param root absolute path of the templates folder
   * @param displayRoot how the user named it (`starter-templates`), for messages
   */
  constructor(
    readonly root: string,
    readonly displayRoot: string = root,
  ) {}

  read(name: string): string | undefined {
    const safe = resolveTemplateName(undefined, name);
    if (!safe) return undefined;
    try {
      return readFileSync(join(this.root, ...safe.split('/')), 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return undefined;
      throw err;
    }
  }

  display(name: string): string {
    return join(this.displayRoot, ...name.split('/'));
  }
}

/** Templates held as strings, e.g. as the Sender reads them from S3 (`prefix` = `templates/`). */
export class MemoryStore implements TemplateStore {
  private readonly files: Map<string, string>;

  constructor(
    files: Record<string, string>,
    private readonly prefix = '',
  ) {
    this.files = new Map(Object.entries(files));
  }

  read(name: string): string | undefined {
    return this.files.get(name);
  }

  display(name: string): string {
    return `${this.prefix}${name}`;
  }
}

/**
 * Template folders under `root`, sorted: every folder not starting with `_` or `.` that holds at
 * least one of template.html, template.txt or metadata.json.
 */
export function listTemplateNames(root: string): string[] {
  const names: string[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('_') || entry.name.startsWith('.')) continue;
    const dir = join(root, entry.name);
    if (Object.values(TEMPLATE_FILES).some((file) => isFile(join(dir, file)))) names.push(entry.name);
  }
  return names.sort();
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
