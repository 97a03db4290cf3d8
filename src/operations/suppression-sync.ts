import type { SESv2Client, SuppressionListReason } from '@aws-sdk/client-sesv2';
import type { AwsClientFactory } from '../aws/clients.js';
import { isMailengineError } from '../errors.js';
import type { SuppressionReason } from '../suppression/suppression-store.js';

/** Why the SES account-level list was left alone, when it was. */
export type AccountListSkip = 'local' | 'sandbox' | 'engine-only';

/** The SES account-level suppression list, or why it is not used in this run. */
export type AccountListAccess = { list: AccountSuppressionList; skipped?: undefined } | { list?: undefined; skipped: AccountListSkip; note: string };

/** An address on the SES account-level list (GetSuppressedDestination / ListSuppressedDestinations). */
export interface AccountEntry {
  address: string;
  reason: SuppressionListReason;
  lastUpdate: string;
  messageId?: string;
  feedbackId?: string;
}

/**
 * The account list knows only BOUNCE and COMPLAINT. Every engine reason that is not a complaint
 * goes there as BOUNCE: for SES both simply mean "do not send".
 */
export function accountReasonFor(reason: SuppressionReason): SuppressionListReason {
  return reason === 'complaint' ? 'COMPLAINT' : 'BOUNCE';
}

export function engineReasonFor(reason: SuppressionListReason | string): SuppressionReason {
  return reason === 'COMPLAINT' ? 'complaint' : 'bounce';
}

/** NotFoundException, whether the client translated it (the factory's clients) or not. */
const isNotFound = (err: unknown) => (isMailengineError(err) ? err.details?.awsError : (err as { name?: string } | undefined)?.name) === 'NotFoundException';

/** The run leaves the account list alone (`--engine-only`). */
export const ENGINE_ONLY: AccountListAccess = { skipped: 'engine-only', note: 'The SES account-level list was left alone (--engine-only).' };

/**
 * The SES account-level suppression list of the account the clients act in, when this run may
 * use it: in the SES sandbox (GetAccount ProductionAccessEnabled false) SES disables the
 * suppression list API, so only the engine's table is edited and the run says so.
 */
export async function sesAccountList(aws: AwsClientFactory): Promise<AccountListAccess> {
  const ses = await aws.sesv2();
  const { GetAccountCommand } = await import('@aws-sdk/client-sesv2');
  const account = await ses.send(new GetAccountCommand({}));
  if (account.ProductionAccessEnabled !== true) {
    return {
      skipped: 'sandbox',
      note: `This SES account is in the sandbox${aws.settings.region ? ` in ${aws.settings.region}` : ''}, where SES disables the account-level suppression list API: only the engine's table was used. Request production access to keep both lists in step.`,
    };
  }
  return { list: new AccountSuppressionList(ses) };
}

/** SESv2 PutSuppressedDestination, GetSuppressedDestination, DeleteSuppressedDestination and ListSuppressedDestinations. */
export class AccountSuppressionList {
  constructor(private readonly ses: Pick<SESv2Client, 'send'>) {}

  async get(address: string): Promise<AccountEntry | undefined> {
    const { GetSuppressedDestinationCommand } = await import('@aws-sdk/client-sesv2');
    try {
      const out = await this.ses.send(new GetSuppressedDestinationCommand({ EmailAddress: address }));
      const d = out.SuppressedDestination;
      if (!d?.EmailAddress || !d.Reason) return undefined;
      return {
        address: d.EmailAddress.toLowerCase(),
        reason: d.Reason,
        lastUpdate: toIso(d.LastUpdateTime),
        ...(d.Attributes?.MessageId ? { messageId: d.Attributes.MessageId } : {}),
        ...(d.Attributes?.FeedbackId ? { feedbackId: d.Attributes.FeedbackId } : {}),
      };
    } catch (err) {
      // GetSuppressedDestination answers NotFoundException (404) for an address not on the list.
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async put(address: string, reason: SuppressionListReason): Promise<void> {
    const { PutSuppressedDestinationCommand } = await import('@aws-sdk/client-sesv2');
    await this.ses.send(new PutSuppressedDestinationCommand({ EmailAddress: address, Reason: reason }));
  }

  /** False when the address was not on the list (NotFoundException). */
  async remove(address: string): Promise<boolean> {
    const { DeleteSuppressedDestinationCommand } = await import('@aws-sdk/client-sesv2');
    try {
      await this.ses.send(new DeleteSuppressedDestinationCommand({ EmailAddress: address }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** Pages through the list (newest updates are not guaranteed first: SES returns its own order). */
  async list(filter: { reasons?: SuppressionListReason[]; since?: string; until?: string; limit?: number }): Promise<{ entries: AccountEntry[]; truncated: boolean }> {
    const { ListSuppressedDestinationsCommand } = await import('@aws-sdk/client-sesv2');
    const entries: AccountEntry[] = [];
    let token: string | undefined;
    do {
      const out = await this.ses.send(
        new ListSuppressedDestinationsCommand({
          Reasons: filter.reasons,
          StartDate: filter.since ? new Date(filter.since) : undefined,
          EndDate: filter.until ? new Date(filter.until) : undefined,
          NextToken: token,
          PageSize: 100,
        }),
      );
      for (const s of out.SuppressedDestinationSummaries ?? []) {
        if (s.EmailAddress && s.Reason) entries.push({ address: s.EmailAddress.toLowerCase(), reason: s.Reason, lastUpdate: toIso(s.LastUpdateTime) });
      }
      token = out.NextToken;
      if (filter.limit !== undefined && entries.length >= filter.limit) return { entries: entries.slice(0, filter.limit), truncated: entries.length > filter.limit || token !== undefined };
    } while (token);
    return { entries, truncated: false };
  }
}

function toIso(value: Date | string | number | undefined): string {
  if (value === undefined) return '';
  const date = value instanceof Date ? value : new Date(typeof value === 'number' ? value * 1000 : value);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString();
}
