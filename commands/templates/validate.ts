import type { Command } from 'commander';
import type { Zod } from '../runtime.js';
import { ExitCode, MailengineError } from '../../src/errors.js';
import { defineAction, type Runtime } from '../runtime.js';
import { DEFAULT_TEMPLATES_DIR, templatesDir, templatesDirSchema } from './shared.js';

const validateOptions = (z: Zod) =>
  z.object({
    dir: templatesDirSchema(z),
  });

export function registerTemplatesValidate(templates: Command, runtime: Runtime): void {
  templates
    .command('validate')
    .description('check every template: syntax, sample data renders, required variables used, subject and text present, size, absolute links')
    .argument('[dir]', 'templates folder', DEFAULT_TEMPLATES_DIR)
    .action(
      defineAction(
        runtime,
        'templates validate',
        validateOptions,
        async (options, ctx) => {
          const { validateTemplates } = await import('../../src/templates/validate.js');
          const { formatProblem } = await import('../../src/templates/problems.js');
          const dir = templatesDir(ctx, options.dir);
          const report = validateTemplates({ dir: dir.path, displayDir: dir.display });

          for (const warning of report.templates.flatMap((t) => t.warnings)) {
            ctx.io.notify({ code: 'templates.problem', level: 'warn', message: formatProblem(warning), data: { problem: warning.code } });
          }
          const { makeChalk } = await import('../io.js');
          const chalk = makeChalk(ctx.globals, ctx.runtime.env);
          const width = Math.max(...report.templates.map((t) => t.name.length));
          ctx.io.result(report, (r) => {
            const lines = r.templates.map((t) => {
              const mark = t.ok ? chalk.green('✔') : chalk.red('✖');
              const note = t.ok ? (t.version ?? '') : `${t.problems.length} problem${t.problems.length === 1 ? '' : 's'}`;
              return `${mark} ${t.name.padEnd(width)}  ${note}`.trimEnd();
            });
            const summary = r.ok
              ? `${r.templates.length} template${r.templates.length === 1 ? '' : 's'} in ${r.dir}: all valid${r.warningCount ? ` (${r.warningCount} warning${r.warningCount === 1 ? '' : 's'})` : ''}.`
              : `${r.templates.length} template${r.templates.length === 1 ? '' : 's'} in ${r.dir}: ${r.templates.filter((t) => !t.ok).length} invalid.`;
            return [...lines, summary].join('\n');
          });

          if (!report.ok) {
            // A partial failure is a failure: every problem is listed, and the exit code says so.
            const failed = report.templates.filter((t) => !t.ok);
            const problems = failed.flatMap((t) => t.problems);
            const list = problems.map((p) => `${formatProblem(p)} [${p.code}]`).join('\n  ');
            throw new MailengineError(
              'TEMPLATES_INVALID',
              `${problems.length} problem${problems.length === 1 ? '' : 's'} in ${failed.length} of ${report.templates.length} templates:\n  ${list}`,
              {
                exitCode: ExitCode.Usage,
                suggestion: 'Fix them and run the command again; `mailengine templates preview --serve` shows the templates as you edit.',
                details: { problems },
              },
            );
          }
        },
        ['dir'],
      ),
    );
}
