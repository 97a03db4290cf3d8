import { formatProblem, type TemplateProblem } from './problems.js';
import type { TemplatePreview } from './preview.js';

/** Widths the email is shown at: above and below the layout's 620px breakpoint. */
export const DESKTOP_WIDTH = 680;
export const MOBILE_WIDTH = 375;

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** Path the preview server serves a template's rendered HTML at (the iframes load it). */
export function renderedHtmlPath(name: string): string {
  return `/templates/${encodeURIComponent(name)}/html`;
}

function problemList(problems: TemplateProblem[]): string {
  const items = problems.map((p) => `<li><code>${escapeHtml(formatProblem(p))}</code></li>`).join('');
  return `<div class="problems" role="alert"><strong>Cannot render this template</strong><ul>${items}</ul></div>`;
}

function section(preview: TemplatePreview): string {
  const name = escapeHtml(preview.name);
  const meta = [preview.version ? `v${escapeHtml(preview.version)}` : '', preview.dataSource === 'sampleData' ? 'sample data' : 'data file'].filter(Boolean).join(' · ');
  const head = `<header><h2>${name}</h2><span class="meta">${meta}</span></header>${preview.description ? `<p class="description">${escapeHtml(preview.description)}</p>` : ''}`;
  if (!preview.email) return `<section class="template broken" id="t-${name}" data-template="${name}">${head}${problemList(preview.problems)}</section>`;
  const email = preview.email;
  const envelope = [
    ['Subject', email.subject],
    ['From name', email.senderName],
    ['From address', email.senderEmail],
    ['Reply-To', email.replyTo],
  ]
    .filter(([, value]) => value)
    .map(([label, value]) => `<div><dt>${label}</dt><dd${label === 'Subject' ? ' class="subject"' : ''}>${escapeHtml(value as string)}</dd></div>`)
    .join('');
  const frame = (label: string, width: number) =>
    `<figure><figcaption>${label} · ${width}px</figcaption><iframe title="${name} at ${label.toLowerCase()} width" src="${renderedHtmlPath(preview.name)}" width="${width}" height="600" sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox"></iframe></figure>`;
  return `<section class="template" id="t-${name}" data-template="${name}">${head}<dl class="envelope">${envelope}</dl>
<div class="frames">${frame('Desktop', DESKTOP_WIDTH)}${frame('Mobile', MOBILE_WIDTH)}</div>
<details class="text-part" open><summary>Text part</summary><pre>${escapeHtml(email.text)}</pre></details></section>`;
}

const STYLE = `
:root { color-scheme: light; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
body { margin: 0; background: #eef0f3; color: #1f2328; }
.top { position: sticky; top: 0; z-index: 1; display: flex; gap: 16px; align-items: baseline; padding: 12px 24px; background: #1f2328; color: #fff; }
.top h1 { margin: 0; font-size: 16px; }
.top .where { color: #b6bcc4; font-size: 13px; }
.top .live { margin-left: auto; font-size: 12px; color: #9be3b0; }
.layout { display: grid; grid-template-columns: 190px 1fr; gap: 20px; padding: 20px; }
nav ul { list-style: none; margin: 0; padding: 0; position: sticky; top: 64px; }
nav a { display: block; padding: 6px 10px; border-radius: 6px; color: inherit; text-decoration: none; font-size: 14px; }
nav a:hover { background: #dfe3e8; }
nav a.broken { color: #b42318; }
nav a.broken::after { content: " (error)"; }
/* A jump to #t-<name> stops below the sticky header (its height plus a gap, like the nav's top). */
.template { background: #fff; border-radius: 10px; padding: 18px 20px; margin: 0 0 24px 0; box-shadow: 0 1px 2px rgba(0,0,0,.06); scroll-margin-top: 64px; }
.template header { display: flex; gap: 12px; align-items: baseline; }
.template h2 { margin: 0; font-size: 18px; }
.meta, .description { color: #5b636d; font-size: 13px; }
.description { margin: 4px 0 12px 0; }
.envelope { margin: 0 0 16px 0; font-size: 14px; }
.envelope div { display: flex; gap: 8px; }
.envelope dt { width: 100px; color: #5b636d; }
.envelope dd { margin: 0; }
.envelope .subject { font-weight: 600; }
.frames { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
figure { margin: 0; }
figcaption { font-size: 12px; color: #5b636d; margin: 0 0 6px 0; }
iframe { border: 1px solid #d0d5dc; border-radius: 6px; background: #fff; display: block; }
.text-part { margin-top: 16px; }
.text-part summary { cursor: pointer; font-size: 14px; color: #5b636d; }
pre { white-space: pre-wrap; background: #f6f7f9; padding: 12px 16px; border-radius: 6px; font-size: 13px; max-width: 80ch; }
.problems { background: #fef3f2; border: 1px solid #fecdca; color: #7a271a; border-radius: 6px; padding: 12px 16px; }
.problems ul { margin: 8px 0 0 0; padding-left: 18px; }
.empty { padding: 24px; }
`;

// Reload when the server says a file changed; keep the scroll position across the reload, and
// size each iframe to its email so the page scrolls instead of every frame.
const SCRIPT = `
(function () {
  var key = 'mailengine-preview-scroll';
  var saved = sessionStorage.getItem(key);
  if (saved) { sessionStorage.removeItem(key); window.addEventListener('load', function () { window.scrollTo(0, Number(saved)); }); }
  function fit(frame) {
    try { frame.style.height = (frame.contentDocument.documentElement.scrollHeight + 4) + 'px'; } catch (e) { /* cross-origin: keep the default height */ }
  }
  document.querySelectorAll('iframe').forEach(function (frame) {
    frame.addEventListener('load', function () { fit(frame); });
  });
  if (window.EventSource) {
    var source = new EventSource('/events');
    source.addEventListener('change', function () {
      sessionStorage.setItem(key, String(window.scrollY));
      location.reload();
    });
  }
})();
`;

/** The preview page: every template with its subject, HTML at two widths and text part. */
export function renderPreviewPage(previews: TemplatePreview[], options: { dir: string; liveReload: boolean }): string {
  const nav = previews.map((p) => `<li><a href="#t-${escapeHtml(p.name)}"${p.email ? '' : ' class="broken"'}>${escapeHtml(p.name)}</a></li>`).join('');
  const body = previews.length
    ? previews.map(section).join('\n')
    : `<p class="empty">No templates in ${escapeHtml(options.dir)}. Run <code>mailengine templates init</code> to start from the starters.</p>`;
  const broken = previews.filter((p) => !p.email).length;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Template preview · ${escapeHtml(options.dir)}</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<div class="top"><h1>mailengine template preview</h1><span class="where">${escapeHtml(options.dir)} · ${previews.length} template${previews.length === 1 ? '' : 's'}${broken ? ` · ${broken} with errors` : ''}</span>${options.liveReload ? '<span class="live">● reloads on save</span>' : ''}</div>
<div class="layout">
<nav aria-label="Templates"><ul id="template-list">${nav}</ul></nav>
<main>${body}</main>
</div>
${options.liveReload ? `<script>${SCRIPT}</script>` : ''}
</body>
</html>
`;
}

/** A stand-alone page for one email's HTML; the server adds `<base target="_blank">` so links open outside the frame. */
export function withBaseTarget(html: string): string {
  const base = '<base target="_blank">';
  return /<head[^>]*>/i.test(html) ? html.replace(/<head[^>]*>/i, (m) => `${m}${base}`) : `${base}${html}`;
}
