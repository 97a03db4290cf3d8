import type { Command } from 'commander';
import type { Zod } from '../runtime.js';
import type { ListReport } from '../../src/templates/list.js';
import { defineAction, type Runtime } from '../runtime.js';
import { columns } from '../terminal/render.js';

const listOptions = (z: Zod) =>
  z.object({});

  export function registerTemplatesList(templates: Command, runtime: Runtime): void {
    templates
      .command('list')
      .description("the templates in the engine's bucket: name, version, last updated, size")
      .action(
        defineAction(runtime, 'templates list', listOptions, async (_options, ctx) => {
          const { listTemplates } = await import('../../src/templates/list.js');
          const { resolveTemplatesBucket } = await import('../../src/operations/templates-bucket.js');
          const target = await resolveTemplatesBucket(ctx.aws, await ctx.target());
          const report = await listTemplates({ s3: target.s3, bucket: target.bucket, where: target.where, io: ctx.io, signal: ctx.runtime.signal });
          for (const t of report.templates.filter((t) => t.missing.length > 0)) {
            ctx.io.notify({ code: 'templates.list.incomplete', level: 'warn', message: `${t.name} has no ${t.missing.join(' or ')}; the Sender cannot use it until it is pushed again.` });
          }
          ctx.io.result(report, renderList);
        }),
      );
  }

  function size(bytes: number): string {
    return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KB`;
  }

  /** `2026-03-14 15:42 UTC`: minutes are enough to tell pushes apart, and UTC reads the same everywhere. */
  function when(iso: string | undefined): string {
    return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : '';
  }

  export function renderList(r: ListReport): string {
    if (r.templates.length === 0) return `No templates in ${r.url} yet. Upload yours with \`mailengine templates push\`.`;
    const rows = r.templates.map((t) => [t.missing.length ? `${t.name} (incomplete)` : t.name, t.version ?? '', when(t.lastModified), size(t.size)]);
    const total = r.templates.reduce((n, t) => n + t.size, 0);
    return [columns(['TEMPLATE', 'VERSION', 'LAST UPDATED', 'SIZE'], rows), `${r.templates.length} template${r.templates.length === 1 ? '' : 's'} in ${r.url}, ${size(total)} in all.`].join('\n');
  }
