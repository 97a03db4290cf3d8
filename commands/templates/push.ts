import type { Command } from 'commander';
import type { Zod } from '../runtime.js';
import type { PushedTemplate, PushReport } from '../../src/templates/push.js';
import { columns } from '../terminal/render.js';
import { defineAction, type Runtime } from '../runtime.js';
import { DEFAULT_TEMPLATES_DIR, templatesDir, templatesDirSchema } from './shared.js';

const pushOptions = (z: Zod) =>
  z.object({
    dir: templatesDirSchema(z),
    names: z.array(z.string().min(1)).default([]),
    prune: z.boolean().default(false),
    dryRun: z.boolean().default(false),
    cache: z.boolean().default(true),
  });

export function registerTemplatesPush(templates: Command, runtime: Runtime): void {
  templates
    .command('push')
    .description("validate, flatten and upload templates to the engine's bucket; only what changed is uploaded")
    .argument('[dir]', 'templates folder', DEFAULT_TEMPLATES_DIR)
    .argument('[names...]', 'push only these templates (default: every template in the folder)')
    .option('--prune', 'delete templates from the bucket that are not in the folder (with names: the named ones that are not)')
    .option('--dry-run', 'compare and show what would change; write nothing')
    .option('--no-cache', 'read and validate every template, not only those whose files changed since the last push')
    .addHelpText('after', '\nOn a terminal the push is confirmed first; elsewhere only deletions need --yes.')
    .action(
      defineAction(
        runtime,
        'templates push',
        pushOptions,
        async (options, ctx) => {
          const { preparePushSource } = await import('../../src/templates/push-source.js');
          const { pushTemplates, pushFailedError } = await import('../../src/templates/push.js');
          const { resolveTemplatesBucket } = await import('../../src/operations/templates-bucket.js');
          const { formatProblem } = await import('../../src/templates/problems.js');
          const { pushCacheFile } = await import('../../src/templates/push-cache.js');
          const dir = templatesDir(ctx, options.dir);
          // Validation first: a broken template stops the push before anything talks to AWS.
          const source = preparePushSource({
            dir: dir.path,
            displayDir: dir.display,
            names: options.names,
            allowAbsent: options.prune,
            cacheFile: pushCacheFile(ctx.runtime.cwd, dir.path),
            noCache: !options.cache,
          });
          for (const warning of source.warnings) ctx.io.notify({ code: 'templates.problem', level: 'warn', message: formatProblem(warning), data: { problem: warning.code } });

          const target = await resolveTemplatesBucket(ctx.aws, await ctx.target());
          const report = await pushTemplates({ s3: target.s3, bucket: target.bucket, where: target.where, source, prune: options.prune, dryRun: options.dryRun, io: ctx.io, signal: ctx.runtime.signal });
          ctx.io.result(report, renderPush);
          if (!report.ok) throw pushFailedError(report);
        },
        ['dir', 'names'],
      ),
    );
}

const LABELS: Record<PushedTemplate['change'], string> = { added: 'Added', modified: 'Modified', unchanged: 'Unchanged', deleted: 'Deleted' };

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

function files(t: PushedTemplate): string {
  const n = t.files.length;
  switch (t.change) {
    case 'unchanged':
      return '';
    case 'modified':
      return t.files.map((f) => f.file).join(', ');
    case 'added':
      return `${n} file${n === 1 ? '' : 's'}, ${kb(t.files.reduce((sum, f) => sum + f.bytes, 0))}`;
    case 'deleted':
      return `${n} file${n === 1 ? '' : 's'}`;
  }
}


function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function renderPush(r: PushReport): string {
  const rows = r.templates.map((t) => [t.name, t.ok ? LABELS[t.change] : `${LABELS[t.change]}: FAILED`, t.version ?? '', files(t)]);
  const lines = [columns(['TEMPLATE', 'CHANGE', 'VERSION', 'FILES'], rows)];
  const c = r.counts;
  const changed = c.added + c.modified + c.deleted;
  if (r.dryRun) {
    lines.push(
      changed === 0
        ? `Dry run: all ${plural(c.unchanged, 'template')} are up to date in ${r.url}. Nothing was written.`
        : `Dry run: a push would add ${c.added}, update ${c.modified} and delete ${c.deleted} in ${r.url}; ${c.unchanged} unchanged. Nothing was written.`,
    );
  } else if (changed === 0) {
    lines.push(`All ${plural(c.unchanged, 'template')} are up to date in ${r.url}; nothing was uploaded.`);
  } else {
    const done = [`${c.added} added`, `${c.modified} modified`, ...(r.prune ? [`${c.deleted} deleted`] : []), `${c.unchanged} unchanged`];
    const fileCounts = `${plural(r.filesUploaded, 'file')} uploaded${r.filesDeleted ? `, ${r.filesDeleted} deleted` : ''}`;
    lines.push(
      r.ok
        ? `Pushed to ${r.url}: ${done.join(', ')} (${fileCounts}).`
        : `Push to ${r.url} incomplete: ${c.failed} of ${plural(changed, 'changed template')} failed (${fileCounts}).`,
    );
  }
  if (r.notInFolder.length > 0) {
    const n = r.notInFolder.length;
    lines.push(`${plural(n, 'template')} in the bucket ${n === 1 ? 'is' : 'are'} not in ${r.dir}: ${r.notInFolder.join(', ')}. --prune deletes ${n === 1 ? 'it' : 'them'}.`);
  }
  return lines.join('\n');
}
