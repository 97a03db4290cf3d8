import { alignColumns } from '../util/columns.js';
import type { ResourceAction, ResourceDiff, StackDiff } from './diff.js';

const MARK: Record<ResourceAction, string> = {
  add: '[+]',
  modify: '[~]',
  replace: '[-/+]',
  'maybe-replace': '[~?]',
  remove: '[-]',
  import: '[<-]',
  other: '[?]',
};

const WORD: Record<ResourceAction, string> = {
  add: 'add',
  modify: 'modify',
  replace: 'REPLACE',
  'maybe-replace': 'modify, may replace',
  remove: 'REMOVE',
  import: 'adopt existing',
  other: 'change',
};

function shorten(text: string, max = 100): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function changedProperties(resource: ResourceDiff): string {
  const names = [...new Set(resource.properties.map((p) => (p.attribute === 'Properties' || !p.attribute ? p.path.replace(/^\/Properties\//, '').split('/')[0] : p.attribute)))];
  return names.join(', ');
}

/**
 * The diff as people read it, on stderr before the question. A first install lists resource
 * counts by type (there are dozens); an update lists every resource. Permission changes always
 * get their own section, statement by statement.
 */
export function renderDiff(diff: StackDiff, heading: string): string {
  const lines = [heading, ''];
  if (diff.parameters.length > 0) {
    lines.push('Parameters');
    const shown = (value: string | undefined, absent: string) => (value === undefined ? absent : value === '' ? '(empty)' : value);
    lines.push(...alignColumns(diff.parameters.map((p) => ['  ' + p.name, `${shown(p.before, '(new)')} -> ${shown(p.after, '(removed)')}`])));
    lines.push('');
  }
  if (diff.type === 'CREATE') {
    const byType = new Map<string, number>();
    for (const r of diff.resources) if (r.action === 'add') byType.set(r.type, (byType.get(r.type) ?? 0) + 1);
    const adopted = diff.resources.filter((r) => r.action === 'import');
    lines.push(`Resources to create (${diff.resources.length - adopted.length})`);
    lines.push(...alignColumns([...byType.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([type, n]) => ['  [+]', String(n), type])));
    if (adopted.length > 0) {
      lines.push('', `Existing resources to adopt (${adopted.length})`);
      lines.push(...alignColumns(adopted.map((r) => ['  [<-]', r.logicalId, r.type, r.physicalId ?? ''])));
    }
  } else if (diff.resources.length > 0) {
    lines.push(`Resources (${diff.resources.length} to change)`);
    lines.push(...alignColumns(diff.resources.map((r) => ['  ' + MARK[r.action], r.logicalId, r.type, WORD[r.action], changedProperties(r)])));
  } else {
    lines.push('Resources: none change; only the parameter values above do.');
  }
  if (diff.dataAtRisk.length > 0) {
    lines.push('', 'Data at risk');
    for (const r of diff.dataAtRisk) {
      lines.push(`  ${r.logicalId} (${r.type}) will be ${r.action === 'remove' ? 'deleted' : 'replaced by a new, empty one'}${r.action === 'maybe-replace' ? ' if CloudFormation decides a replacement is needed' : ''}.`);
    }
  }
  if (diff.security.length > 0) {
    lines.push('', 'IAM and security changes');
    for (const r of diff.security) {
      const statements = diff.statements.filter((s) => s.logicalId === r.logicalId);
      lines.push(`  ${MARK[r.action]} ${r.logicalId} (${r.type})`);
      for (const s of statements) lines.push(`      ${s.change === 'added' ? '+' : '-'} ${shorten(s.statement, 140)}`);
      if (statements.length === 0) {
        for (const p of r.properties.filter((prop) => prop.security || r.properties.length <= 3)) {
          const values = p.before !== undefined || p.after !== undefined ? `: ${shorten(p.before ?? '(none)', 60)} -> ${shorten(p.after ?? '(none)', 60)}` : '';
          lines.push(`      ~ ${p.path}${values}`);
        }
      }
    }
  }
  return lines.join('\n');
}
