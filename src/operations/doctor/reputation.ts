import { ENGINE_DEFAULTS } from '../../engine/defaults.js';
import { check, percent, type DoctorCheck } from './report.js';

export interface RateThresholds {
  warn: number;
  pause: number;
}

/** The stack's thresholds (its parameters), or the template's defaults where it does not say. */
export function reputationThresholds(parameters: Record<string, string>): { bounce: RateThresholds; complaint: RateThresholds } {
  const number = (key: string, fallback: number) => {
    const n = Number(parameters[key]);
    return parameters[key] !== undefined && parameters[key] !== '' && Number.isFinite(n) ? n : fallback;
  };
  return {
    bounce: { warn: number('BounceRateWarnThreshold', ENGINE_DEFAULTS.bounceRateWarnThreshold), pause: number('BounceRatePauseThreshold', ENGINE_DEFAULTS.bounceRatePauseThreshold) },
    complaint: { warn: number('ComplaintRateWarnThreshold', ENGINE_DEFAULTS.complaintRateWarnThreshold), pause: number('ComplaintRatePauseThreshold', ENGINE_DEFAULTS.complaintRatePauseThreshold) },
  };
}

/**
 * A reputation rate (AWS/SES Reputation.BounceRate or ComplaintRate of the configuration set)
 * against the stack's thresholds: under the warning passes, from the warning warns, from the
 * auto-pause threshold fails. No datapoint is healthy: SES publishes the rate only once there is
 * a bounce or complaint to count.
 */
export function rateCheck(kind: 'bounce' | 'complaint', value: number | undefined, thresholds: RateThresholds): DoctorCheck {
  const id = `${kind}-rate`;
  const limits = `warns at ${percent(thresholds.warn)}, pauses at ${percent(thresholds.pause)}`;
  const Kind = kind === 'bounce' ? 'Bounce' : 'Complaint';
  if (value === undefined) return check(id, 'reputation', 'pass', `${Kind} rate: no ${kind}s recorded`, { detail: `SES publishes Reputation.${Kind}Rate after the first ${kind}; ${limits}` });
  const summary = `${Kind} rate ${percent(value)}`;
  const find =
    kind === 'bounce'
      ? 'See what bounces (`mailengine stats`): bad imports and old lists are the usual cause; the engine suppresses hard bounces itself.'
      : 'Find what recipients mark as spam (`mailengine stats`): mail they did not ask for, or too much of it; the engine suppresses complainers itself.';
  if (value >= thresholds.pause) return check(id, 'reputation', 'fail', `${summary}: at or over the auto-pause threshold of ${percent(thresholds.pause)}`, { detail: limits, fix: `${find} Then \`mailengine resume\` if it paused.` });
  if (value >= thresholds.warn) return check(id, 'reputation', 'warn', `${summary}: over the warning threshold of ${percent(thresholds.warn)}`, { detail: limits, fix: find });
  return check(id, 'reputation', 'pass', summary, { detail: limits });
}
