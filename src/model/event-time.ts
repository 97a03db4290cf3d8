/**
 * An ISO time in one format (UTC, milliseconds, `Z`), so times from different sources compare as
 * strings: SES writes `…38.237Z`, EventBridge `…38Z`, and `'…38Z' > '…38.237Z'` as text. Text
 * that is not a time is returned unchanged.
 */
export function canonicalTime(time: string): string {
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? time : new Date(ms).toISOString();
}
