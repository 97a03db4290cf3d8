import type { PlannedParameter } from './parameters.js';

export interface SendRatePlan {
  parameters: PlannedParameter[];
  /** Set when the value given is above what the account allows. */
  warning?: string;
}

/**
 * The `MaxSendRate` parameter, which the Senders pace themselves to: the value the user gave
 * (flag or config file), else the account's own SES maximum send rate as GetAccount reports it
 * now (so a raised quota is picked up by the next deploy), else whatever the stack or the
 * template has. A given value above the account's is kept, with a warning: SES would throttle
 * the sends over it.
 */
export function planMaxSendRate(parameters: PlannedParameter[], accountRate: number | undefined): SendRatePlan {
  const current = parameters.find((p) => p.name === 'MaxSendRate');
  if (!current || accountRate === undefined || !(accountRate > 0)) return { parameters };
  if (current.source === 'flag' || current.source === 'config') {
    const given = Number(current.value);
    if (!(given > accountRate)) return { parameters };
    return {
      parameters,
      warning: `MaxSendRate ${given} is above your SES maximum send rate of ${accountRate} per second: SES throttles the sends over it (they wait and go out later, never lost, but slower than paced). Leave MaxSendRate out to use the account's rate.`,
    };
  }
  return { parameters: parameters.map((p) => (p === current ? { name: p.name, value: String(accountRate), source: 'deploy' as const } : p)) };
}
