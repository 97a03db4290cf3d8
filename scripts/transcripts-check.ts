/** Comparing the transcripts in the docs with a fresh run (`npm run docs:transcripts -- --check` and the docs test). */
import { mask, maskLoose, readTranscripts } from './transcripts-lib.js';

/**
 * Transcripts whose lines come in an order set by timing (SES events recorded within the same
 * instant, progress lines while a command waits): compared as sorted masked lines, progress
 * lines left out.
 */
export const LOOSE = new Set<string>([
  'send-test-complaint',
  'send-test-refused',
  'send-test-contract',
  'send-test-json',
  'pause-resume',
  'lookup-recipient',
  'lookup-email-id',
  'lookup-wide',
  'lookup-json',
  'stats',
  'suppression-export',
  'demo',
]);

/** One line per transcript that differs from the docs, with the first differing line of each. */
export function compareTranscripts(generated: Map<string, string>, loose: Set<string>): string[] {
  const problems: string[] = [];
  const inDocs = readTranscripts();
  const seen = new Set<string>();
  for (const { page, id, text } of inDocs) {
    seen.add(id);
    const fresh = generated.get(id);
    if (fresh === undefined) {
      problems.push(`${page}: transcript ${id} is not produced by scripts/transcripts-scenes.ts`);
      continue;
    }
    const norm = loose.has(id) ? maskLoose : mask;
    const [a, b] = [norm(text), norm(fresh)];
    if (a === b) continue;
    const docLines = a.split('\n');
    const runLines = b.split('\n');
    const at = docLines.findIndex((line, i) => line !== runLines[i]);
    const i = at === -1 ? docLines.length : at;
    problems.push(
      `${page}: transcript ${id} no longer matches the CLI (masked line ${i + 1}):\n  docs: ${docLines[i] ?? '(end)'}\n  now:  ${runLines[i] ?? '(end)'}\n  Run \`npm run docs:transcripts\` and review the change.`,
    );
  }
  for (const id of generated.keys()) if (!seen.has(id)) problems.push(`transcript ${id} is generated but no page has a block for it`);
  return problems;
}
