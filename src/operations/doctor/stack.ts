import type { VersionComparison } from '../../stack/engine-version.js';
import type { StackSnapshot } from '../../stack/stack-status.js';
import { check, type DoctorCheck } from './report.js';

/** The stack's CloudFormation status, as the next `deploy` would see it. */
export function stackCheck(stack: StackSnapshot, region: string): DoctorCheck {
  const status = `${stack.status}${stack.statusReason ? ` (${stack.statusReason})` : ''}`;
  const name = `Stack ${stack.stackName} in ${region}`;
  switch (stack.condition) {
    case 'ready':
      return check('stack', 'stack', stack.status === 'UPDATE_ROLLBACK_COMPLETE' ? 'warn' : 'pass', `${name}: ${stack.status}`, {
        detail: stack.status === 'UPDATE_ROLLBACK_COMPLETE' ? `the last update was rolled back${stack.statusReason ? `: ${stack.statusReason}` : ''}` : undefined,
        fix: stack.status === 'UPDATE_ROLLBACK_COMPLETE' ? 'The stack runs the previous version; `mailengine deploy` tries the update again (the CloudFormation console\'s Events tab says why it failed).' : undefined,
      });
    case 'busy':
      return check('stack', 'stack', 'warn', `${name}: ${status}, an operation is running`, { fix: 'Wait for it to finish; `mailengine info` shows the status.' });
    case 'review':
      return check('stack', 'stack', 'fail', `${name} was never installed (${stack.status})`, { fix: 'Run `mailengine deploy` to install it.' });
    case 'failed-create':
      return check('stack', 'stack', 'fail', `${name}: ${status}, the first install failed`, { fix: 'Run `mailengine deploy`: it deletes the failed stack and installs again (the CloudFormation console\'s Events tab says what failed).' });
    default:
      return check('stack', 'stack', 'fail', `${name} is stuck: ${status}`, { fix: 'Run `mailengine deploy` for the recovery step, or see the stack\'s Events tab in the CloudFormation console.' });
  }
}

const sentence = (text: string | undefined) => (text ? text.charAt(0).toUpperCase() + text.slice(1) : undefined);

/** The engine the stack runs against this CLI: the same version passes; either side older warns, with the command that fixes it. */
export function versionCheck(version: VersionComparison): DoctorCheck {
  switch (version.relation) {
    case 'same':
      return check('engine-version', 'stack', 'pass', `Engine ${version.engine ?? version.cli}, the same as this CLI`);
    case 'unknown':
      return check('engine-version', 'stack', 'warn', `The stack records no engine version (this CLI: ${version.cli})`, { fix: 'Run `mailengine deploy` to install this version.' });
    default:
      return check('engine-version', 'stack', 'warn', `Engine ${version.engine} and this CLI ${version.cli} differ`, { fix: sentence(version.advice?.replace(/^.*?: /, '')) });
  }
}
