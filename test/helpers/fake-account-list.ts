import {
  DeleteSuppressedDestinationCommand,
  GetAccountCommand,
  GetSuppressedDestinationCommand,
  ListSuppressedDestinationsCommand,
  NotFoundException,
  PutSuppressedDestinationCommand,
  SESv2Client,
  type SuppressionListReason,
} from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';

/**
 * The SES account-level suppression list in memory, answering through aws-sdk-client-mock with
 * the shapes (and the NotFoundException) the SESv2 API reference documents for
 * GetAccount, Put/Get/Delete SuppressedDestination and ListSuppressedDestinations.
 *
 * Behaviour: addresses are kept as given; Put replaces the reason and the time; Get and Delete of
 * an address not listed fail with NotFoundException (HTTP 404); List pages `pageSize` at a time
 * with a NextToken, filtered by Reasons. `production: false` is the sandbox.
 */
export function fakeAccountList(options: { production?: boolean; pageSize?: number } = {}) {
  const ses = mockClient(SESv2Client);
  const state = { production: options.production ?? true };
  const entries = new Map<string, { Reason: SuppressionListReason; LastUpdateTime: Date }>();
  const notFound = (address: string) => new NotFoundException({ message: `Email address ${address} does not exist on your suppression list.`, $metadata: { httpStatusCode: 404 } });
  const install = () => {
    ses.on(GetAccountCommand).callsFake(() => ({
      ProductionAccessEnabled: state.production,
      SendingEnabled: true,
      EnforcementStatus: 'HEALTHY',
      SendQuota: { Max24HourSend: state.production ? 50_000 : 200, MaxSendRate: state.production ? 14 : 1, SentLast24Hours: 0 },
      SuppressionAttributes: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
    }));
    ses.on(PutSuppressedDestinationCommand).callsFake((input: { EmailAddress: string; Reason: SuppressionListReason }) => {
      entries.set(input.EmailAddress, { Reason: input.Reason, LastUpdateTime: new Date('2026-05-01T12:00:00Z') });
      return {};
    });
    ses.on(GetSuppressedDestinationCommand).callsFake((input: { EmailAddress: string }) => {
      const entry = entries.get(input.EmailAddress);
      if (!entry) throw notFound(input.EmailAddress);
      return { SuppressedDestination: { EmailAddress: input.EmailAddress, ...entry, Attributes: { MessageId: '0100018f-msg', FeedbackId: '0100018f-fb' } } };
    });
    ses.on(DeleteSuppressedDestinationCommand).callsFake((input: { EmailAddress: string }) => {
      if (!entries.delete(input.EmailAddress)) throw notFound(input.EmailAddress);
      return {};
    });
    ses.on(ListSuppressedDestinationsCommand).callsFake((input: { Reasons?: SuppressionListReason[]; NextToken?: string }) => {
      const all = [...entries.entries()].filter(([, e]) => !input.Reasons || input.Reasons.includes(e.Reason));
      const start = input.NextToken ? Number(input.NextToken) : 0;
      const size = options.pageSize ?? 100;
      const page = all.slice(start, start + size).map(([EmailAddress, e]) => ({ EmailAddress, ...e }));
      return { SuppressedDestinationSummaries: page, ...(start + size < all.length ? { NextToken: String(start + size) } : {}) };
    });
  };
  install();
  return {
    ses,
    entries,
    reset(production = true) {
      ses.reset();
      entries.clear();
      state.production = production;
      install();
    },
    calls: (command: unknown) => ses.commandCalls(command as typeof PutSuppressedDestinationCommand),
  };
}
