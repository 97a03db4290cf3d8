/**
 * `npm run docs:transcripts` — runs every command the docs show, and writes what it printed into
 * the docs between the transcript markers (see transcripts-lib.ts). Run `npm run build` first:
 * the local stack's commands run the built CLI, dist/cli.js.
 *
 *   npm run docs:transcripts              regenerate, and write every transcript that changed
 *   npm run docs:transcripts -- --check   regenerate and compare; exit 1 on a transcript that drifted
 *
 * Where each transcript comes from:
 * - the local stack's (templates, send --test, lookups, suppression, erase, pause, stats, local
 *   up/down): dist/cli.js on a real local stack, started on free ports in a fresh directory; the
 *   ports it got are written as the defaults (4510–4513);
 * - deploy, upgrade, info and destroy: the CLI's own entry (`main`, which dist/cli.js bundles)
 *   against the in-memory CloudFormation and AWS stand-ins of the test suite
 *   (test/fixtures/stack/aws-world.ts), deploying the built template and Lambda zips.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { existsSync } from 'node:fs';
import { generateTranscripts } from './transcripts-scenes.js';
import { LOOSE, compareTranscripts } from './transcripts-check.js';
import { CLI, mask, maskLoose, uncheckedCommandBlocks, writeTranscripts } from './transcripts-lib.js';

const check = process.argv.includes('--check');
if (!existsSync(CLI)) {
  process.stderr.write('dist/cli.js is missing: run `npm run build` first.\n');
  process.exit(3);
}
const generated = await generateTranscripts((line) => process.stderr.write(`${line}\n`));
const unchecked = uncheckedCommandBlocks();
if (check) {
  const problems = [...compareTranscripts(generated, LOOSE), ...unchecked];
  for (const p of problems) process.stderr.write(`${p}\n\n`);
  process.stderr.write(problems.length === 0 ? `All ${generated.size} transcripts match the docs.\n` : `${problems.length} problem(s).\n`);
  process.exit(problems.length === 0 ? 0 : 1);
}
// A transcript that differs from the docs only in times, ids, ports and durations is left as it is.
const { rewritten, unused } = writeTranscripts(generated, (id, inDocs, fresh) => (LOOSE.has(id) ? maskLoose : mask)(inDocs) === (LOOSE.has(id) ? maskLoose : mask)(fresh));
for (const id of unused) process.stderr.write(`warning: transcript ${id} has no block in the docs\n`);
for (const p of unchecked) process.stderr.write(`warning: ${p}\n`);
process.stderr.write(rewritten.length === 0 ? `All ${generated.size} transcripts were up to date.\n` : `Rewrote ${rewritten.length} of ${generated.size} transcripts: ${rewritten.join(', ')}.\n`);
