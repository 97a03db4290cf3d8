/**
 * Every code a message, a progress step or a question of the IO port carries: one list, one style
 * (`<command or area>.<what>`, lower case, dots between levels, hyphens inside a word). Tests and
 * `--debug` output match on these, and a refused question names its code in the error's details,
 * so a code is renamed only with care. The port's types accept nothing else.
 */
export const MESSAGE_CODES = [
  'demo.publish', 'demo.seed',
  'deploy.adopt', 'deploy.adopt-retained', 'deploy.approval-needed', 'deploy.approve',
  'deploy.change-set', 'deploy.check', 'deploy.confirm-subscription', 'deploy.diff',
  'deploy.downgrade', 'deploy.execute', 'deploy.failed-create', 'deploy.local',
  'deploy.local.runner-switched', 'deploy.paused-unknown', 'deploy.preflight.enforcement',
  'deploy.preflight.identity-unverified', 'deploy.preflight.max-send-rate',
  'deploy.preflight.sandbox', 'deploy.preflight.send-rate', 'deploy.preflight.sending-disabled',
  'deploy.preflight.skipped', 'deploy.recreate', 'deploy.region', 'deploy.retained',
  'deploy.stays-paused', 'deploy.upload', 'deploy.wait-busy',
  'destroy.absent', 'destroy.confirm', 'destroy.delete-messages', 'destroy.empty-bucket',
  'destroy.plan', 'destroy.retry', 'destroy.unexpected', 'destroy.wait-busy',
  'dlq.redrive.confirm',
  'doctor.run',
  'domain.dkim-missing', 'domain.wait',
  'erase.confirm', 'erase.delete', 'erase.find', 'erase.suppression-forgotten',
  'info.read',
  'local.down', 'local.down.killed', 'local.provision.no-template', 'local.up',
  'local.up.cleanup-failed', 'local.up.exposed', 'local.up.listening-unknown',
  'local.up.stale-pid',
  'pause.confirm',
  'resume.note',
  'send.test.no-sample-data', 'send.test.published', 'send.test.template-missing',
  'send.test.wait',
  'send.test.attachment-uploaded',
  'stack.delete', 'stack.event.failed',
  'stats.read',
  'suppression.account-list-skipped',
  'templates.list', 'templates.list.incomplete', 'templates.preview.change',
  'templates.preview.html', 'templates.preview.serving', 'templates.preview.stopped',
  'templates.preview.inline-images',
  'templates.preview.watch', 'templates.problem', 'templates.pull.download',
  'templates.pull.incomplete', 'templates.push.compare', 'templates.push.confirm',
  'templates.push.plan', 'templates.push.write',
  'whoami.lookup',
] as const;

/** A deploy parameter asked for by name: `deploy.parameter.DefaultFromEmail`. */
export type ParameterQuestionCode = `deploy.parameter.${string}`;

export type MessageCode = (typeof MESSAGE_CODES)[number] | ParameterQuestionCode;
