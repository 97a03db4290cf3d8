/** What an erasure found or deleted. Kept apart from erase.ts so the shell can word it without loading the SDK. */
export interface ErasureCounts {
  emails: number;
  trackingRecords: number;
  historyEntries: number;
  suppressionEntries: number;
  /** Attachment objects; present only when some were found. */
  attachments?: number;
}

const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** "2 emails (2 records, 5 history entries) and 1 suppression entry". */
export function describeCounts(c: ErasureCounts): string {
  const parts = [`${count(c.emails, 'email', 'emails')} (${count(c.trackingRecords, 'record', 'records')}, ${count(c.historyEntries, 'history entry', 'history entries')})`];
  if (c.suppressionEntries > 0) parts.push(count(c.suppressionEntries, 'suppression entry', 'suppression entries'));
  if (c.attachments) parts.push(count(c.attachments, 'attachment', 'attachments'));
  return parts.join(' and ');
}
