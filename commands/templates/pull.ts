import type { Command } from 'commander';
import type { Zod } from '../runtime.js';
import type { PullReport } from '../../src/templates/pull.js';
import { defineAction, type Runtime } from '../runtime.js';
import { DEFAULT_TEMPLATES_DIR, templatesDir, templatesDirSchema } from './shared.js';

const pullOptions = (z: Zod) =>
  z.object({
    dir: templatesDirSchema(z),
    names: z.array(z.string().min(1)).default([]),
    force: z.boolean().default(false),
  });

export function registerTemplatesPull(templates: Command, runtime: Runtime): void {
  templates
    .command('pull')
    .description("download the engine's templates, as the Sender reads them, into <dir>/<name>/")
    .argument('[dir]', 'folder to download into', DEFAULT_TEMPLATES_DIR)
    .argument('[names...]', 'pull only these templates (default: every template in the bucket)')
    .option('--force', 'replace local files whose content differs (your local changes to them are lost)')
    .action(
      defineAction(
        runtime,
        'templates pull',
        pullOptions,
        async (options, ctx) => {
          const { pullTemplates } = await import('../../src/templates/pull.js');
          const { resolveTemplatesBucket } = await import('../../src/operations/templates-bucket.js');
          const dir = templatesDir(ctx, options.dir);
          const target = await resolveTemplatesBucket(ctx.aws, await ctx.target());
          const report = await pullTemplates({
            s3: target.s3,
            bucket: target.bucket,
            where: target.where,
            dir: dir.path,
            displayDir: dir.display,
            names: options.names,
            force: options.force,
            io: ctx.io,
            signal: ctx.runtime.signal,
          });
          for (const t of report.templates.filter((t) => t.missing.length > 0)) {
            ctx.io.notify({ code: 'templates.pull.incomplete', level: 'warn', message: `${t.name} in the bucket has no ${t.missing.join(' or ')}; the Sender cannot use it until it is pushed again.` });
          }
          ctx.io.result(report, renderPull);
        },
        ['dir', 'names'],
      ),
    );
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function renderPull(r: PullReport): string {
  if (r.templates.length === 0) return `No templates in ${r.url}; nothing was pulled.`;
  const counts = [`${plural(r.written, 'file')} written`];
  if (r.replaced) counts.push(`${r.replaced} replaced`);
  if (r.unchanged) counts.push(`${r.unchanged} already up to date`);
  const lines = r.templates.map((t) => {
    const actions = t.files.map((f) => f.action);
    const state = actions.every((a) => a === 'unchanged') ? 'up to date' : actions.includes('replaced') ? 'replaced' : 'written';
    return `  ${t.name}${t.version ? ` ${t.version}` : ''} (${state})`;
  });
  return [`Pulled ${plural(r.templates.length, 'template')} from ${r.url} into ${r.dir} (${counts.join(', ')}):`, ...lines].join('\n');
}
