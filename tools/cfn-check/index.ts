import { readFile } from 'node:fs/promises';
import type { TableDefinition } from '../../src/model/tables.js';
import { parseTemplate, type CfnTemplate } from '../../src/cfn/template.js';
import { checkBusPolicies } from './event-rules.js';
import { checkIamPolicies } from './iam-rules.js';
import { checkRuntimes } from './lambda-rules.js';
import { checkSesSending } from './ses-rules.js';
import { SourceMap } from './source-map.js';
import { checkEncryption, checkPublicAccess, checkQueues } from './storage-rules.js';
import { checkTableContract } from './table-rules.js';
import { checkTemplateStructure } from './template-rules.js';
import type { Finding, RuleContext } from './types.js';

export { RULES, type Finding, type RuleId } from './types.js';
export { STAR_RESOURCE_MARKER } from './iam-rules.js';

export interface CheckOptions {
  /** The table contract to hold the template to; the engine's own by default. */
  tables?: readonly TableDefinition[];
}

/** Runs every rule group on a parsed template. Comment markers need `source` (see {@link checkTemplateText}). */
export async function checkTemplate(template: CfnTemplate, source?: SourceMap, options: CheckOptions = {}): Promise<Finding[]> {
  const context: RuleContext = { template, source };
  const groups = await Promise.all([
    checkTemplateStructure(context),
    checkIamPolicies(context),
    checkBusPolicies(context),
    checkEncryption(context),
    checkPublicAccess(context),
    checkQueues(context),
    checkRuntimes(context),
    checkTableContract(context, options.tables),
    checkSesSending(context),
  ]);
  return groups.flat().sort((a, b) => a.resource.localeCompare(b.resource) || a.rule.localeCompare(b.rule) || a.message.localeCompare(b.message));
}

/** Checks CloudFormation YAML (or JSON) text, honouring `# cfn-check:` comment markers. */
export async function checkTemplateText(text: string, options: CheckOptions = {}): Promise<Finding[]> {
  return checkTemplate(parseTemplate(text), new SourceMap(text), options);
}

export async function checkTemplateFile(path: string | URL, options: CheckOptions = {}): Promise<Finding[]> {
  return checkTemplateText(await readFile(path, 'utf8'), options);
}

/** One line per finding: who, which rule, what is wrong. */
export function formatFinding(finding: Finding): string {
  return `${finding.resource}: [${finding.rule}] ${finding.message}`;
}
