/**
 * A template's `Fn::Sub` JSON string (a policy document, a dashboard body) with every `${…}`
 * replaced by `1`, parsed: Fn::Sub strings are opaque to the resource database, so a test reads
 * their shape with sample values instead.
 */
export function parseSubJson(value: unknown): Record<string, unknown> {
  const text = (value as { 'Fn::Sub'?: unknown } | undefined)?.['Fn::Sub'];
  if (typeof text !== 'string') throw new Error(`expected a Fn::Sub string, got ${JSON.stringify(value)}`);
  return JSON.parse(text.replace(/\$\{[^}]+\}/g, '1')) as Record<string, unknown>;
}
