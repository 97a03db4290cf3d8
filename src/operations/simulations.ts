/**
 * The SES mailbox simulator as `send --test --simulate` names it. Kept apart from the send code
 * (and free of AWS SDK imports) so the command can list the choices in `--help` without loading it.
 */
export const SIMULATOR_MAILBOXES = {
  success: 'success',
  bounce: 'bounce',
  complaint: 'complaint',
  ooto: 'ooto',
  suppressed: 'suppressionlist',
} as const;

export type Simulation = keyof typeof SIMULATOR_MAILBOXES;
export const SIMULATIONS = Object.keys(SIMULATOR_MAILBOXES) as [Simulation, ...Simulation[]];

/** What a test email should end as. An out-of-office answer is still a delivery. */
export type ExpectedOutcome = 'delivered' | 'bounced' | 'complained';

export const EXPECTED_OUTCOME: Record<Simulation, ExpectedOutcome> = {
  success: 'delivered',
  bounce: 'bounced',
  complaint: 'complained',
  ooto: 'delivered',
  // SES answers a send to suppressionlist@ with a bounce (bounceSubType Suppressed).
  suppressed: 'bounced',
};
