import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import type { z } from 'zod';
import type { Zod } from '../runtime.js';
import { say } from '../../src/io/io-host.js';
import { defineAction, type CommandContext, type Runtime } from '../runtime.js';
import { DEFAULT_TEMPLATES_DIR, templatesDir, templatesDirSchema } from './shared.js';

export const DEFAULT_PREVIEW_PORT = 4400;

const previewOptions = (z: Zod) =>
  z
    .object({
      name: z.string().min(1).optional(),
      dir: templatesDirSchema(z),
      data: z.string().min(1).optional(),
      out: z.string().min(1).optional(),
      attach: z.array(z.string()).default([]),
      serve: z.boolean().default(false),
      port: z.coerce.number().int().min(0).max(65535).default(DEFAULT_PREVIEW_PORT),
    })
    .superRefine((o, issue) => {
      if (!o.serve && !o.name) issue.addIssue({ code: 'custom', path: [], message: 'name a template to preview, or pass --serve for a page with all of them' });
      if (o.serve && (o.name || o.data || o.out)) {
        issue.addIssue({ code: 'custom', path: [], message: '--serve shows every template with its sample data; leave out the name, --data and --out' });
      }
    });

  type PreviewOptions = z.infer<ReturnType<typeof previewOptions>>;

export function registerTemplatesPreview(templates: Command, runtime: Runtime): void {
  templates
    .command('preview')
    .description('render a template: print its subject and text part and write its HTML, or serve a live page of all templates')
    .argument('[name]', 'template to render (omit with --serve)')
    .option('--dir <dir>', 'templates folder', DEFAULT_TEMPLATES_DIR)
    .option('--data <file>', 'JSON file with the template variables (default: the sampleData in metadata.json)')
    .option('--out <file>', 'where to write the HTML (default: .mailengine/preview/<name>.html)')
    .option('--attach <cid=file>', 'an image for <img src="cid:…">, as the inline attachment with that content id will carry it (repeatable)', (value: string, list: string[] = []) => [...list, value])
    .option('--serve', 'serve a page showing every template at desktop and mobile width, reloading on save')
    .option('--port <port>', 'port for --serve on 127.0.0.1 (0 picks a free one)', String(DEFAULT_PREVIEW_PORT))
    .action(
      defineAction(
        runtime,
        'templates preview',
        previewOptions,
        async (options, ctx) => {
          if (options.serve) await serve(options, ctx);
          else await previewOne(options, ctx);
        },
        ['name'],
      ),
    );
}

/** The HTML with its `cid:` images shown from the --attach files; says which references have no image. */
async function withImages(html: string, attach: string[], ctx: CommandContext): Promise<string> {
  const { cidReferences, readInlineImages, withInlineImages } = await import('../../src/templates/inline-images.js');
  if (!attach.length && !cidReferences(html).length) return html;
  const images = await readInlineImages(attach, (file) => resolve(ctx.runtime.cwd, file));
  const shown = withInlineImages(html, images);
  if (shown.missing.length) {
    say.warn(ctx.io, 'templates.preview.inline-images', `No image for ${shown.missing.map((id) => `cid:${id}`).join(', ')}; give one with --attach <cid>=<file> to see it.`);
  }
  if (shown.unused.length) say.warn(ctx.io, 'templates.preview.inline-images', `The HTML does not refer to ${shown.unused.map((id) => `cid:${id}`).join(', ')}.`);
  return shown.html;
}

async function previewOne(options: PreviewOptions, ctx: CommandContext): Promise<void> {
  const { previewTemplate, readTemplateData } = await import('../../src/templates/preview.js');
  const { DirectoryStore } = await import('../../src/templates/store.js');
  const { templateError } = await import('../../src/templates/problems.js');
  const { assertTemplatesDir } = await import('../../src/templates/validate.js');
  const name = options.name as string;
  const dir = templatesDir(ctx, options.dir);
  assertTemplatesDir(dir.path, dir.display);
  const data = options.data ? await readTemplateData(resolve(ctx.runtime.cwd, options.data), options.data) : undefined;
  const preview = previewTemplate(new DirectoryStore(dir.path, dir.display), name, data);
  if (!preview.email) throw templateError(preview.problems);

  const out = resolve(ctx.runtime.cwd, options.out ?? join('.mailengine', 'preview', `${name}.html`));
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, await withImages(preview.email.html, options.attach, ctx), 'utf8');
  const htmlFile = relative(ctx.runtime.cwd, out) || out;
  say.info(ctx.io, 'templates.preview.html', `HTML written to ${htmlFile}`);

  const { html: _html, ...email } = preview.email;
  ctx.io.result({ name, dataSource: preview.dataSource, ...email, htmlFile }, (r) => {
    const header = [`Subject: ${r.subject}`];
    if (r.senderName) header.push(`From name: ${r.senderName}`);
    if (r.senderEmail) header.push(`From address: ${r.senderEmail}`);
    if (r.replyTo) header.push(`Reply-To: ${r.replyTo}`);
    return `${header.join('\n')}\n\n${r.text}`;
  });
}

async function serve(options: PreviewOptions, ctx: CommandContext): Promise<void> {
  const { startPreviewServer } = await import('../../src/templates/preview-server.js');
  const { assertTemplatesDir } = await import('../../src/templates/validate.js');
  const dir = templatesDir(ctx, options.dir);
  assertTemplatesDir(dir.path, dir.display);
  const { readInlineImages } = await import('../../src/templates/inline-images.js');
  const inlineImages = await readInlineImages(options.attach, (file) => resolve(ctx.runtime.cwd, file));
  const server = await startPreviewServer({
    inlineImages,
    dir: dir.path,
    displayDir: dir.display,
    port: options.port,
    onChange: (files) => say.info(ctx.io, 'templates.preview.change', `${files.length ? files.join(', ') : 'Templates'} changed; reloading the page.`),
    onWatchError: (err) => say.warn(ctx.io, 'templates.preview.watch', `Watching ${dir.display} failed (${err.message}); reload the page by hand.`),
  });
  ctx.io.result({ url: server.url, dir: dir.display }, (r) => r.url);
  say.info(ctx.io, 'templates.preview.serving', `Previewing ${dir.display} at ${server.url} and reloading on changes. Press Ctrl-C to stop.`);
  const signal = ctx.runtime.signal;
  await new Promise<void>((done) => {
    if (signal.aborted) done();
    else signal.addEventListener('abort', () => done(), { once: true });
  });
  await server.close();
  say.info(ctx.io, 'templates.preview.stopped', 'Preview stopped.');
}
