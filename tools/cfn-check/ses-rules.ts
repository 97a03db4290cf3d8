import type { Finding, RuleContext } from './types.js';
import { resourcesOfType } from './values.js';

/**
 * `mailengine pause` turns sending off on the configuration set outside CloudFormation. A
 * template that states SendingOptions would switch it back on at the next deploy, so the
 * engine's template never states it.
 */
export function checkSesSending({ template }: RuleContext): Finding[] {
  return resourcesOfType(template, 'AWS::SES::ConfigurationSet')
    .filter(([, properties]) => properties.SendingOptions !== undefined)
    .map(([id]) => ({
      rule: 'ses-sending-hardcoded' as const,
      resource: id,
      message: 'sets SendingOptions; leave it out so an upgrade cannot resume a paused engine',
    }));
}
