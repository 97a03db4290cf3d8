import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { ExitCode, MailengineError } from '../errors.js';
import { mediaTypeOf } from '../util/media-type.js';
import { findUrlAttributes } from './links.js';

/** An image for a `cid:` reference: what an inline attachment with that content id will carry. */
export interface InlineImage {
  contentId: string;
  contentType: string;
  bytes: Uint8Array;
}

/** `logo=./img/logo.png` → the content id and the file. */
export function parseCidMapping(spec: string, flag = '--attach'): { contentId: string; file: string } {
  const at = spec.indexOf('=');
  const contentId = spec.slice(0, at).trim().replace(/^cid:/i, '');
  const file = spec.slice(at + 1).trim();
  if (at <= 0 || !contentId || !file) {
    throw new MailengineError('ATTACH_MAPPING_INVALID', `${flag} ${spec}: expected <content id>=<file>, e.g. ${flag} logo=./logo.png`, { exitCode: ExitCode.Usage });
  }
  return { contentId, file };
}

/** Reads the image files of `cid=file` mappings (paths resolved by `resolvePath`). */
export async function readInlineImages(specs: string[], resolvePath: (file: string) => string, flag = '--attach'): Promise<InlineImage[]> {
  return Promise.all(
    specs.map(async (spec) => {
      const { contentId, file } = parseCidMapping(spec, flag);
      let bytes: Uint8Array;
      try {
        bytes = await readFile(resolvePath(file));
      } catch (cause) {
        throw new MailengineError('ATTACH_FILE_UNREADABLE', `${flag} ${spec}: cannot read ${file} (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}).`, { exitCode: ExitCode.Usage, cause });
      }
      return { contentId, contentType: mediaTypeOf(basename(file)) ?? 'application/octet-stream', bytes };
    }),
  );
}

/** The content ids an HTML body refers to with `cid:` (in src, href or background), in order, each once. */
export function cidReferences(html: string): string[] {
  const ids = findUrlAttributes(html)
    .map((a) => /^cid:(.+)$/i.exec(a.value.trim())?.[1])
    .filter((id): id is string => id !== undefined)
    .map((id) => decodeURIComponent(id));
  return [...new Set(ids)];
}

/**
 * The HTML as a browser can show it: each `cid:` reference with an image given is replaced by a
 * data: URL of that image (a mail client resolves cid: against the message's inline attachments;
 * a browser cannot). Reports the references no image was given for, and the images nothing used.
 */
export function withInlineImages(html: string, images: InlineImage[]): { html: string; missing: string[]; unused: string[] } {
  const byId = new Map(images.map((image) => [image.contentId, image]));
  const referenced = cidReferences(html);
  const out = html.replace(/(\s(?:src|href|background)\s*=\s*["'])\s*cid:([^"']+)/gi, (whole, head: string, id: string) => {
    const image = byId.get(decodeURIComponent(id.trim()));
    return image ? `${head}data:${image.contentType};base64,${Buffer.from(image.bytes).toString('base64')}` : whole;
  });
  return { html: out, missing: referenced.filter((id) => !byId.has(id)), unused: images.map((i) => i.contentId).filter((id) => !referenced.includes(id)) };
}
