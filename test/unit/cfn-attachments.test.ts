import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTemplate } from '../../src/cfn/template.js';
import { ATTACHMENT_RETENTION_DAYS, ATTACHMENTS_PREFIX } from '../../src/model/attachments.js';

/** What the engine template grants and keeps for attachments: least privilege, and no leftovers kept for ever. */
const engineTemplate = resolve(import.meta.dirname, '../../cfn/mailengine.yaml');

type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe('attachments in the engine template', () => {
  it('lets the Sender read and delete objects under the attachments prefix only, and delete nothing else', async () => {
    const template = await loadTemplate(engineTemplate);
    const policies = template.Resources.SenderRole.Properties?.Policies as Array<{ PolicyDocument: { Statement: Statement[] } }>;
    const statements = policies.flatMap((p) => p.PolicyDocument.Statement);
    const deleting = statements.filter((s) => actions(s).some((a) => a.startsWith('s3:Delete')));
    expect(deleting).toEqual([expect.objectContaining({ Action: ['s3:GetObject', 's3:DeleteObject'], Resource: { 'Fn::Sub': `\${TemplatesBucket.Arn}/${ATTACHMENTS_PREFIX}*` } })]);
    const listing = statements.filter((s) => actions(s).includes('s3:ListBucket'));
    expect(listing.map((s) => s.Condition)).toContainEqual({ StringLike: { 's3:prefix': `${ATTACHMENTS_PREFIX}*` } });
    expect(statements.filter((s) => actions(s).some((a) => a === 's3:*' || a === 's3:PutObject'))).toEqual([]);
  });

  it('expires what is left under the prefix, and deleted attachments’ old versions the next day', async () => {
    const template = await loadTemplate(engineTemplate);
    const rules = (template.Resources.TemplatesBucket.Properties?.LifecycleConfiguration as { Rules: Array<Record<string, unknown>> }).Rules;
    expect(rules.find((r) => r.Prefix === ATTACHMENTS_PREFIX)).toMatchObject({ Status: 'Enabled', ExpirationInDays: ATTACHMENT_RETENTION_DAYS, NoncurrentVersionExpiration: { NoncurrentDays: 1 } });
  });
});
