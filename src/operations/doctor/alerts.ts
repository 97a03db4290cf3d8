import type { AwsClientFactory } from '../../aws/clients.js';
import { describeAlarm, type StackAlarm } from '../../stack/alarms.js';
import { check, type DoctorCheck } from './report.js';

/** SNS ListSubscriptionsByTopic names an unconfirmed subscription with this instead of an ARN. */
export const PENDING_CONFIRMATION = 'PendingConfirmation';

export interface TopicSubscription {
  arn: string;
  protocol: string;
  endpoint: string;
}

/** Every subscription of the topic (SNS ListSubscriptionsByTopic, 100 a page). */
export async function readSubscriptions(aws: AwsClientFactory, topicArn: string): Promise<TopicSubscription[]> {
  const { ListSubscriptionsByTopicCommand } = await import('@aws-sdk/client-sns');
  const sns = await aws.sns();
  const found: TopicSubscription[] = [];
  let next: string | undefined;
  do {
    const page = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken: next }));
    for (const s of page.Subscriptions ?? []) found.push({ arn: s.SubscriptionArn ?? '', protocol: s.Protocol ?? '', endpoint: s.Endpoint ?? '' });
    next = page.NextToken;
  } while (next);
  return found;
}

const subscribe = (region: string, topicArn: string, email: string) => `\`aws sns subscribe --region ${region} --topic-arn ${topicArn} --protocol email --notification-endpoint ${email}\``;

/**
 * The alarm topic's email subscription: AWS mails a confirmation link when the stack is created,
 * and until someone clicks it every alarm (an automatic pause among them) reaches nobody. With no
 * subscription left, redeploying the same AdminEmail changes nothing (so CloudFormation does not
 * subscribe it again): the fix subscribes the stack's admin address directly.
 */
export function subscriptionCheck(topicArn: string, subscriptions: TopicSubscription[], region: string, adminEmail?: string): DoctorCheck {
  const email = subscriptions.filter((s) => s.protocol === 'email' || s.protocol === 'email-json');
  const topicName = topicArn.split(':').at(-1) ?? topicArn;
  if (email.length === 0) {
    return check('alarm-subscription', 'alerts', 'fail', `No email subscription on the alarm topic ${topicName}: alarms reach nobody`, {
      fix: `Subscribe the admin address, then click the link in the email AWS sends it: ${subscribe(region, topicArn, adminEmail || 'you@example.com')}. To use another address, deploy with it: \`mailengine deploy --parameters AdminEmail=you@example.com\`.`,
    });
  }
  const pending = email.filter((s) => s.arn === PENDING_CONFIRMATION);
  const confirmed = email.filter((s) => s.arn !== PENDING_CONFIRMATION);
  if (confirmed.length > 0) {
    return check('alarm-subscription', 'alerts', pending.length > 0 ? 'warn' : 'pass', `Alarms are emailed to ${confirmed.map((s) => s.endpoint).join(', ')}${pending.length > 0 ? `; ${pending.map((s) => s.endpoint).join(', ')} never confirmed` : ''}`, {
      fix: pending.length > 0 ? `Confirm with the link in the "AWS Notification - Subscription Confirmation" email sent to ${pending.map((s) => s.endpoint).join(', ')}.` : undefined,
    });
  }
  const to = pending.map((s) => s.endpoint).join(', ');
  return check('alarm-subscription', 'alerts', 'warn', `The alarm email subscription for ${to} is pending confirmation: alarms, an automatic pause among them, reach nobody`, {
    detail: `topic ${topicArn}`,
    fix: `Click "Confirm subscription" in the email from AWS Notifications sent to ${to}. To send it again: ${subscribe(region, topicArn, pending[0].endpoint)}.`,
  });
}

/** An alarm in ALARM: an auto-pause one (the engine paused itself) or a failure alarm fails; a warning-level one warns. */
export function alarmsCheck(alarms: StackAlarm[]): DoctorCheck {
  const firing = alarms.filter((a) => a.state === 'ALARM');
  if (alarms.length === 0) return check('alarms', 'alerts', 'warn', 'The stack has no alarms', { fix: 'Redeploy with `mailengine deploy`: the template creates them.' });
  if (firing.length === 0) {
    const noData = alarms.filter((a) => a.state === 'INSUFFICIENT_DATA').length;
    return check('alarms', 'alerts', 'pass', `None of ${alarms.length} alarms is in ALARM${noData ? ` (${noData} without data yet)` : ''}`);
  }
  const warningOnly = firing.every((a) => !a.pauses && a.name.endsWith('-warning'));
  const detail = firing.map((a) => (a.metric?.startsWith('Reputation.') ? describeAlarm(a).replace('auto-pause threshold', a.pauses ? 'auto-pause threshold' : 'warning threshold') : `${a.name}: ${a.reason ?? a.metric ?? 'in ALARM'}`)).join('\n');
  const pausing = firing.some((a) => a.pauses);
  return check('alarms', 'alerts', warningOnly ? 'warn' : 'fail', `${firing.length} alarm${firing.length === 1 ? '' : 's'} in ALARM: ${firing.map((a) => a.name).join(', ')}`, {
    detail,
    fix: pausing
      ? 'Sending was paused for the rate named: see which emails bounce or complain (`mailengine stats`), stop sending to those addresses, then `mailengine resume`.'
      : warningOnly
        ? 'A rate is nearing its auto-pause threshold: look at recent bounces and complaints (`mailengine stats`) before it pauses sending.'
        : 'Each alarm says what failed; the stack dashboard in the CloudWatch console shows its metric. `mailengine dlq list` shows requests that could not be sent.',
  });
}
