import { TEMPLATES_PREFIX } from '../../templates/bucket-layout.js';
import { S3_CONCURRENCY } from '../../templates/concurrency.js';
import { formatProblem, type TemplateProblem } from '../../templates/problems.js';
import { bucketUrl, listRemoteTemplates, readRemoteBytes, remoteFile, STANDALONE_FILE_NAMES, type S3Sender } from '../../templates/remote.js';
import { MemoryStore } from '../../templates/store.js';
import { validateTemplate, type TemplateReport } from '../../templates/validate.js';
import { mapConcurrent } from '../../util/pool.js';
import { check, type DoctorCheck } from './report.js';

/** Problems listed per template before "and N more". */
const SHOWN_PROBLEMS = 3;

/**
 * Validates the templates as the Sender reads them: the stand-alone files in the bucket, loaded
 * into the store the Sender uses, through the same validation `templates validate` runs (so a
 * contract check added there applies here too).
 */
export async function validateBucketTemplates(s3: S3Sender, bucket: string): Promise<TemplateReport[]> {
  const remote = [...(await listRemoteTemplates(s3, bucket)).values()];
  return mapConcurrent(remote, S3_CONCURRENCY, async (template) => {
    const files: Record<string, string> = {};
    for (const file of STANDALONE_FILE_NAMES) {
      const object = remoteFile(template, file);
      if (object) files[`${template.name}/${file}`] = Buffer.from(await readRemoteBytes(s3, bucket, object.key)).toString('utf8');
    }
    return validateTemplate(new MemoryStore(files, TEMPLATES_PREFIX), template.name);
  });
}

function listProblems(reports: TemplateReport[], pick: (r: TemplateReport) => TemplateProblem[]): string {
  return reports
    .map((r) => {
      const problems = pick(r);
      const shown = problems.slice(0, SHOWN_PROBLEMS).map((p) => `  ${formatProblem(p)}`);
      if (problems.length > SHOWN_PROBLEMS) shown.push(`  … and ${problems.length - SHOWN_PROBLEMS} more`);
      return [`${r.name}:`, ...shown].join('\n');
    })
    .join('\n');
}

/** The `templates` check: every template in the bucket valid; warnings (a large HTML part, an unknown key) warn. */
export async function templatesCheck(s3: S3Sender, bucket: string): Promise<DoctorCheck> {
  const reports = await validateBucketTemplates(s3, bucket);
  const url = bucketUrl(bucket);
  if (reports.length === 0) {
    return check('templates', 'templates', 'warn', `No templates in ${url}: every request would fail as template_not_found`, { fix: 'Push yours with `mailengine templates push` (start from the starters with `mailengine templates init`).' });
  }
  const failing = reports.filter((r) => !r.ok);
  const names = (list: TemplateReport[]) => list.map((r) => r.name).join(', ');
  if (failing.length > 0) {
    return check('templates', 'templates', 'fail', `${failing.length} of ${templates(reports.length)} in the bucket fail${failing.length === 1 ? 's' : ''} validation: ${names(failing)}`, {
      detail: listProblems(failing, (r) => r.problems),
      fix: 'Fix them in your templates folder (`mailengine templates validate` shows the same problems), then `mailengine templates push`.',
    });
  }
  const warned = reports.filter((r) => r.warnings.length > 0);
  if (warned.length > 0) {
    return check('templates', 'templates', 'warn', `${templates(reports.length)} valid; ${warned.length} with warnings: ${names(warned)}`, {
      detail: listProblems(warned, (r) => r.warnings),
      fix: 'Review them with `mailengine templates validate`, then `mailengine templates push`.',
    });
  }
  return check('templates', 'templates', 'pass', `${templates(reports.length)} in the bucket, all valid`, { detail: names(reports) });
}

const templates = (n: number) => `${n} template${n === 1 ? '' : 's'}`;
