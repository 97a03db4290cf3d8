/**
 * Where templates live in the templates bucket: one folder per template under `templates/`,
 * holding the stand-alone files (`template.html`, `template.txt`, `metadata.json`). `templates
 * push` writes this layout and the Sender reads it.
 */
export const TEMPLATES_PREFIX = 'templates/';

/** The object key of one file of one template. */
export function templateKey(name: string, file: string): string {
  return `${TEMPLATES_PREFIX}${name}/${file}`;
}
