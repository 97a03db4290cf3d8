import { join } from 'node:path';
import type { Command } from 'commander';
import type { Zod } from '../runtime.js';
import { defineAction, type Runtime } from '../runtime.js';
import { DEFAULT_TEMPLATES_DIR, templatesDir, templatesDirSchema } from './shared.js';

const initOptions = (z: Zod) =>
  z.object({
    dir: templatesDirSchema(z),
    force: z.boolean().default(false),
  });

export function registerTemplatesInit(templates: Command, runtime: Runtime): void {
  templates
    .command('init')
    .description('copy the starter templates and their shared layout into a folder')
    .argument('[dir]', 'folder to copy them into', DEFAULT_TEMPLATES_DIR)
    .option('--force', 'replace files that exist with different content (your edits to them are lost)')
    .action(
      defineAction(
        runtime,
        'templates init',
        initOptions,
        async (options, ctx) => {
          const { initTemplates } = await import('../../src/templates/init.js');
          const dir = templatesDir(ctx, options.dir);
          const result = await initTemplates({ dir: dir.path, displayDir: dir.display, force: options.force });
          ctx.io.result({ ...result, dir: dir.display }, (r) => {
            if (r.written.length === 0 && r.overwritten.length === 0) return `The ${r.templates.length} starter templates in ${r.dir} are already up to date; nothing was written.`;
            const counts = [`${r.written.length} file${r.written.length === 1 ? '' : 's'} written`];
            if (r.overwritten.length) counts.push(`${r.overwritten.length} replaced`);
            if (r.unchanged.length) counts.push(`${r.unchanged.length} already up to date`);
            const custom = r.dir !== DEFAULT_TEMPLATES_DIR;
            return [
              `Copied ${r.templates.length} starter templates to ${r.dir} (${counts.join(', ')}).`,
              `Next: put your company name, logo, colour and postal address in ${join(r.dir, '_layout', 'brand.json')},`,
              `then run \`mailengine templates validate${custom ? ` ${r.dir}` : ''}\` and \`mailengine templates preview --serve${custom ? ` --dir ${r.dir}` : ''}\`.`,
            ].join('\n');
          });
        },
        ['dir'],
      ),
    );
}
