import { resolve } from 'node:path';
import type { Zod } from '../runtime.js';
import type { CommandContext } from '../runtime.js';

/** Where templates live when no folder is given: what `templates init` creates. */
export const DEFAULT_TEMPLATES_DIR = 'templates';

export const templatesDirSchema = (z: Zod) =>
  z.string().min(1).default(DEFAULT_TEMPLATES_DIR);

  /** The folder as an absolute path for the core, and as the user typed it for messages. */
  export function templatesDir(ctx: CommandContext, dir: string): { path: string; display: string } {
    return { path: resolve(ctx.runtime.cwd, dir), display: dir };
  }
