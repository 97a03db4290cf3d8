import { randomUUID } from 'node:crypto';
import type { AwsClientFactory } from '../aws/clients.js';
import { ExitCode, MailengineError, isMailengineError } from '../errors.js';
import { say, type IoHost } from '../io/io-host.js';
import { VERSION } from '../version.js';
import { WaitInterrupted, interrupted } from './abortable.js';
import { approvalReasons, installNeedsApproval, type ApprovalPolicy } from './approval.js';
import { artifactsBucketName } from './artifacts-bucket.js';
import { createChangeSet, deleteChangeSet, executeChangeSet, changeSetName, type ChangeSetResult } from './change-set.js';
import { askForMissingParameters, resolveRegion } from './deploy-settings.js';
import { buildDiff, type StackDiff } from './diff.js';
import { loadEngineTemplate, stackTags, uploadEngine, type EngineUpload } from './engine-package.js';
import { compareVersions, stackEngineVersion } from './engine-version.js';
import { packageFiles, type PackageFiles } from './package-files.js';
import { checkGivenParameters, effectiveValues, planParameters, toCfnParameters } from './parameters.js';
import { preflight } from './preflight.js';
import { planMaxSendRate } from './send-rate.js';
import { prepareStack, type PreparedStack } from './prepare-stack.js';
import { renderDiff } from './render-diff.js';
import { dataResources, findExistingData, importTemplate, retainedDataError, type ExistingResource } from './retained-resources.js';
import { adoptRetained } from './adopt-retained.js';
import { readSendingState } from './sending-state.js';
import { firstFailure } from './stack-events.js';
import { writeOutputsFile } from './stack-outputs.js';
import { consoleUrl, describeStack } from './stack-status.js';
import { operationFailedError } from './stack-trouble.js';
import { waitForStack } from './wait-for-stack.js';
import { cfnScope } from '../local/cfn-values.js';

export interface DeployOptions {
  aws: AwsClientFactory;
  io: IoHost;
  stackName: string;
  /** Parameter values from the config file's environment. */
  configParameters: Record<string, string>;
  /** Parameter values from `--parameters`. */
  flagParameters: Record<string, string>;
  /** Builds clients for a region chosen at a prompt. */
  withRegion: (region: string) => AwsClientFactory;
  /** Approvals and defaults are the IO host's to give (`--yes` makes it answer them). */
  requireApproval: ApprovalPolicy;
  /** False for `--no-execute`: stop after showing the change set. */
  execute: boolean;
  /** False for `--no-wait`: refuse when another operation is running on the stack. */
  wait: boolean;
  /** `--adopt-retained`: import tables and secret left by an earlier destroy. */
  adoptRetained: boolean;
  outputsFile?: string;
  cwd: string;
  signal?: AbortSignal;
  /** Tests: where the template and Lambda zips are, the version deployed, how fast to poll. */
  files?: PackageFiles;
  version?: string;
  pollMs?: { stack: number; changeSet: number };
}

export type DeployAction = 'created' | 'updated' | 'no-changes' | 'change-set-created';

export interface DeployResult {
  action: DeployAction;
  stackName: string;
  region: string;
  account: string;
  engineVersion: string;
  previousEngineVersion?: string;
  stackStatus?: string;
  changeSet?: { name: string; id: string; executeCommand: string; consoleUrl: string };
  diff?: StackDiff;
  outputs: Record<string, string>;
  outputsFile?: string;
  artifacts: EngineUpload;
  recreated: boolean;
  adopted: string[];
  warnings: string[];
  seconds: number;
}

const DEFAULT_POLL = { stack: 5000, changeSet: 2000 };

/**
 * Installs or upgrades the engine through a CloudFormation change set: checks, uploads the code,
 * shows what will change, asks when the change needs it, executes and follows it to the end.
 * Every refusal happens before the stack is touched; an empty change set is a success.
 */
export async function deploy(options: DeployOptions): Promise<DeployResult> {
  const began = Date.now();
  const { io, stackName } = options;
  const version = options.version ?? VERSION;
  const poll = options.pollMs ?? DEFAULT_POLL;
  const files = options.files ?? packageFiles();

  // Everything local first: a broken install fails before any AWS call.
  const engine = await loadEngineTemplate(files);
  checkGivenParameters(engine.template, options.configParameters, options.flagParameters);
  const { aws, region } = await resolveRegion(options.aws, io, options.withRegion);
  const follow = `mailengine info --stack ${stackName} --region ${region}`;

  const checking = io.progress('deploy.check', `Checking stack ${stackName} in ${region}`);
  let account: string;
  let prepared: PreparedStack;
  try {
    const { GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
    account = (await (await aws.sts()).send(new GetCallerIdentityCommand({}))).Account ?? '';
    checking.stop();
    prepared = await prepareStack({ aws, io, stackName, region, noWait: !options.wait, pollMs: poll.stack, signal: options.signal, followCommand: follow });
  } catch (err) {
    checking.stop();
    throw err;
  }
  const { type } = prepared;

  // A first install always creates IAM roles. Where no person can be shown the changes first, the
  // host answers now (--yes) or refuses, before anything is uploaded; a person is asked after the diff.
  let approvedUpFront = false;
  if (type === 'CREATE' && options.execute && installNeedsApproval(options.requireApproval) && !io.interactive) {
    approvedUpFront = await io.requestResponse({
      kind: 'confirm',
      code: 'deploy.approve',
      message: `Install stack ${stackName}, creating IAM roles?`,
      default: false,
      refusal: () =>
        new MailengineError('APPROVAL_REQUIRED', `Installing stack ${stackName} creates IAM roles, which --require-approval ${options.requireApproval} asks about, and there is no terminal to ask.`, {
          exitCode: ExitCode.Usage,
          suggestion: 'Nothing was changed. Re-run with --yes to approve, with --no-execute to create the change set for review only, or with --require-approval never.',
        }),
    });
    if (!approvedUpFront) throw declined('Not installed; nothing was changed.', 'Run `mailengine deploy` again when ready, or with --no-execute to create the change set for review only.');
  }

  const previous = prepared.stack?.parameters;
  const previousEngineVersion = prepared.stack ? stackEngineVersion(prepared.stack) : undefined;

  const bucketName = artifactsBucketName(account, region);
  const managed: Record<string, string> = { CodeBucket: bucketName, EngineVersion: version };
  for (const zip of engine.zips) managed[zip.parameter] = `${stackName}/${zip.key}`;
  const plan = planParameters({ template: engine.template, previous, config: options.configParameters, flags: options.flagParameters, managed });
  let parameters = await askForMissingParameters(plan, engine.template, io);
  let values = effectiveValues(parameters);

  if (previousEngineVersion && compareVersions(previousEngineVersion, version) > 0) {
    const downgrade = await io.requestResponse({
      kind: 'confirm',
      code: 'deploy.downgrade',
      message: `Stack ${stackName} runs engine ${previousEngineVersion}, newer than this CLI (${version}). Deploy the older engine over it?`,
      default: false,
    });
    if (!downgrade) throw declined(`Stack ${stackName} keeps engine ${previousEngineVersion}; nothing was changed.`, `Update the CLI first: npm i -g mailengine@${previousEngineVersion}`);
  }

  const pre = await preflight(aws, io, { region, senderIdentity: values.SenderIdentity, sendConcurrency: values.SendConcurrency });
  const warnings = [...pre.warnings];
  const rate = planMaxSendRate(parameters, pre.ses?.maxSendRate);
  parameters = rate.parameters;
  values = effectiveValues(parameters);
  if (rate.warning) {
    warnings.push(rate.warning);
    say.warn(io, 'deploy.preflight.max-send-rate', rate.warning);
  }
  if (prepared.stack) await notePaused(aws, io, prepared.stack.outputs);

  let adopt: ExistingResource[] = [];
  if (type === 'CREATE') {
    const resources = dataResources(engine.template, { ...cfnScope(engine.template, { stackName, region, parameters: values }), accountId: account });
    const existing = await findExistingData(aws, resources).catch((err: unknown) => {
      if (!isMailengineError(err) || err.code !== 'ACCESS_DENIED') throw err;
      warnings.push(`Could not check for data left by an earlier stack: ${err.message}`);
      say.warn(io, 'deploy.preflight.skipped', warnings[warnings.length - 1]);
      return [];
    });
    if (existing.length > 0) {
      if (!options.adoptRetained) {
        say.warn(io, 'deploy.retained', `Data from an earlier stack ${stackName} still exists: ${existing.map((r) => r.name).join(', ')}.`);
        const adopting = await io.requestResponse({
          kind: 'confirm',
          code: 'deploy.adopt-retained',
          message: `Adopt ${existing.length === 1 ? 'it' : 'them'} into the new stack, keeping the data?`,
          default: true,
          refusal: () => retainedDataError(stackName, region, existing, false),
        });
        if (!adopting) throw retainedDataError(stackName, region, existing, true);
      }
      if (!options.execute) {
        throw new MailengineError('ADOPT_NEEDS_EXECUTE', 'Adopting retained data is itself a change to the account, so it cannot be left as a change set for review.', {
          exitCode: ExitCode.Usage,
          suggestion: 'Nothing was changed. Run the deploy without --no-execute to adopt the data and install, or delete the retained data first.',
        });
      }
      adopt = existing;
    }
  }

  const uploading = io.progress('deploy.upload', `Uploading the engine code to ${bucketName}`);
  let artifacts: EngineUpload;
  try {
    artifacts = await uploadEngine(aws, { account, region, stackName, engine, ...(adopt.length ? { importTemplate: importTemplate(engine.template, adopt, values) } : {}) });
    const sent = artifacts.files.filter((f) => f.state === 'uploaded').length;
    const total = artifacts.files.length;
    const what = sent === total ? `uploaded ${total} files` : sent === 0 ? `all ${total} files were already there` : `uploaded ${sent} of ${total} files (the rest were already there)`;
    uploading.succeed(artifacts.bucketCreated ? `Created the artifacts bucket ${bucketName}; ${what}` : `${bucketName}: ${what}`);
  } catch (err) {
    uploading.fail('Uploading the engine code failed');
    throw err;
  }

  // Retained data goes into the stack first (an IMPORT change set); the rest is then an update.
  let current = prepared.stack;
  let changeSetType: 'CREATE' | 'UPDATE' = type;
  const tags = stackTags(prepared.stack?.tags, version);
  if (adopt.length > 0) {
    current = await adoptRetained({ aws, io, stackName, region, existing: adopt, templateUrl: artifacts.importTemplateUrl!, tags, version, pollMs: poll, signal: options.signal });
    changeSetType = 'UPDATE';
  }

  const preparing = io.progress('deploy.change-set', `Working out what changes in stack ${stackName}`);
  let changeSet: ChangeSetResult;
  const removeReviewStack = changeSetType === 'CREATE' && !prepared.reviewStackId;
  const cleanUp = async (cs?: ChangeSetResult) => {
    if (cs) await deleteChangeSet(aws, cs.stackId, cs.id);
    if (removeReviewStack) await deleteReviewStack(aws, cs?.stackId ?? stackName);
  };
  try {
    changeSet = await createChangeSet(
      aws,
      {
        stackName,
        changeSetName: changeSetName(),
        type: changeSetType,
        templateUrl: artifacts.templateUrl,
        parameters: toCfnParameters(parameters),
        tags,
        description: `mailengine ${version}: ${type === 'CREATE' ? 'install' : 'upgrade'}`,
      },
      { pollMs: poll.changeSet, signal: options.signal },
    );
    preparing.stop();
  } catch (err) {
    preparing.stop();
    if (removeReviewStack) await deleteReviewStack(aws, stackName);
    if (err instanceof WaitInterrupted) throw interrupted('Interrupted before anything changed; the change set was deleted.', 'Run `mailengine deploy` again when ready.');
    throw err;
  }

  const adopted = adopt.map((r) => r.logicalId);
  const base = { stackName, region, account, engineVersion: version, ...(previousEngineVersion ? { previousEngineVersion } : {}), artifacts, recreated: prepared.recreated, warnings };
  const seconds = () => Math.round((Date.now() - began) / 1000);
  if (!changeSet.hasChanges) {
    return { ...base, action: 'no-changes', stackStatus: current?.status, outputs: current?.outputs ?? {}, adopted, seconds: seconds() };
  }

  // After an adoption the change is still an install as far as the reader is concerned.
  const diff = buildDiff(type, changeSet.changes, previous ?? {}, values, prepared.stack?.givenParameters);
  // CloudFormation may hand back an executable change set that changes no resource and no
  // parameter value we can see (tags, resolved or masked values): executing it would do nothing.
  if (type === 'UPDATE' && adopt.length === 0 && diff.resources.length === 0 && diff.parameters.length === 0) {
    await deleteChangeSet(aws, changeSet.stackId, changeSet.id);
    return { ...base, action: 'no-changes', stackStatus: current?.status, outputs: current?.outputs ?? {}, adopted, seconds: seconds() };
  }
  const heading =
    type === 'CREATE'
      ? `Install stack ${stackName} in ${region} (account ${account}), engine ${version}${adopt.length ? `, around the adopted ${adopt.map((r) => r.name).join(', ')}` : ''}:`
      : `${previousEngineVersion === version ? 'Update' : 'Upgrade'} stack ${stackName} in ${region} (account ${account}), engine ${previousEngineVersion === version ? version : `${previousEngineVersion ?? '?'} -> ${version}`}:`;
  io.notify({ code: 'deploy.diff', level: 'info', message: renderDiff(diff, heading), data: { diff } });

  if (!options.execute) {
    const executeCommand = `aws cloudformation execute-change-set --change-set-name ${changeSet.id} --region ${region}`;
    return {
      ...base,
      action: 'change-set-created',
      stackStatus: prepared.stack?.status ?? 'REVIEW_IN_PROGRESS',
      changeSet: { name: changeSet.name, id: changeSet.id, executeCommand, consoleUrl: consoleUrl(region, changeSet.stackId) },
      diff,
      outputs: prepared.stack?.outputs ?? {},
      adopted,
      seconds: seconds(),
    };
  }

  const reasons = approvalReasons(diff, options.requireApproval);
  if (reasons.length > 0 && !approvedUpFront) {
    let approved: boolean;
    try {
      say.info(io, 'deploy.approval-needed', `Approval needed: ${reasons.join('; ')}.`, { reasons });
      approved = await io.requestResponse({
        kind: 'confirm',
        code: 'deploy.approve',
        message: `Deploy these changes to stack ${stackName}?`,
        default: false,
        refusal: () =>
          new MailengineError('APPROVAL_REQUIRED', `The change to stack ${stackName} needs approval (${reasons.join('; ')}), and there is no terminal to ask.`, {
            exitCode: ExitCode.Usage,
            suggestion: 'Nothing was changed; the change set was deleted. Review the changes above, then re-run with --yes, or with --no-execute to keep the change set for review.',
            details: { reasons },
          }),
      });
    } catch (err) {
      await cleanUp(changeSet);
      throw err;
    }
    if (!approved) {
      await cleanUp(changeSet);
      const state = adopt.length > 0 ? `stack ${stackName} holds only the adopted data` : `stack ${stackName} is as it was`;
      throw declined(`Not deployed; the change set was deleted and ${state}.`, 'Run `mailengine deploy` again when ready, or with --no-execute to keep the change set for review.');
    }
  }

  const token = `mailengine-deploy-${randomUUID()}`;
  const since = new Date();
  await executeChangeSet(aws, changeSet.stackId, changeSet.id, token);
  const verb = type === 'CREATE' ? 'Creating' : 'Updating';
  const progress = io.progress('deploy.execute', `${verb} stack ${stackName}`);
  let settled;
  try {
    settled = await waitForStack({ aws, io, progress, stackId: changeSet.stackId, since, token, label: `${verb} stack ${stackName}`, total: changeSet.changes.length, pollMs: poll.stack, signal: options.signal });
  } catch (err) {
    progress.stop();
    if (err instanceof WaitInterrupted) {
      throw interrupted(
        `Stopped watching; CloudFormation goes on ${verb.toLowerCase()} stack ${stackName}.`,
        `Follow it with \`${follow}\`, or in the console: ${consoleUrl(region, changeSet.stackId)}`,
      );
    }
    throw err;
  }
  const status = settled.stack?.status ?? 'unknown';
  if (!['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'IMPORT_COMPLETE'].includes(status)) {
    progress.fail(`${verb} stack ${stackName} failed (${status})`);
    throw operationFailedError(settled.stack, firstFailure(settled.events), changeSetType === 'CREATE' ? 'install' : 'upgrade', region, stackName);
  }
  progress.succeed(`Stack ${stackName} ${type === 'CREATE' ? 'created' : 'updated'} in ${seconds()} s`);

  const outputs = settled.stack?.outputs ?? {};
  const outputsFile = options.outputsFile ? await writeOutputsFile(options.cwd, options.outputsFile, outputs) : undefined;
  if (type === 'CREATE' && values.AdminEmail) {
    say.info(io, 'deploy.confirm-subscription', `AWS has emailed ${values.AdminEmail} a subscription confirmation: confirm it, or alarms will not reach you.`);
  }
  return {
    ...base,
    action: type === 'CREATE' ? 'created' : 'updated',
    stackStatus: status,
    diff,
    outputs,
    ...(outputsFile ? { outputsFile } : {}),
    adopted,
    seconds: seconds(),
  };
}

function declined(message: string, suggestion: string): MailengineError {
  return new MailengineError('DEPLOY_DECLINED', message, { exitCode: ExitCode.Failed, suggestion });
}

/** An upgrade leaves a paused engine paused (the template never sets either switch); say so. */
async function notePaused(aws: AwsClientFactory, io: IoHost, outputs: Record<string, string>): Promise<void> {
  try {
    const sending = await readSendingState(aws, outputs);
    if (sending.state === 'paused' || sending.state === 'partly-paused') {
      say.info(io, 'deploy.stays-paused', `The engine is ${sending.state.replace('-', ' ')}; this upgrade keeps it that way. Run \`mailengine resume\` when you want sending back.`);
    }
  } catch (err) {
    if (!isMailengineError(err)) throw err;
    say.debug(io, 'deploy.paused-unknown', `Could not read whether the engine is paused: ${err.message}`);
  }
}

/**
 * A CREATE change set makes a REVIEW_IN_PROGRESS stack; when the install goes no further, remove
 * it. Only ever a stack in that status: it holds no resources, and nothing else is deleted here.
 */
async function deleteReviewStack(aws: AwsClientFactory, stackNameOrId: string): Promise<void> {
  const { DeleteStackCommand } = await import('@aws-sdk/client-cloudformation');
  try {
    const stack = await describeStack(aws, stackNameOrId);
    if (stack?.status !== 'REVIEW_IN_PROGRESS') return;
    await (await aws.cloudformation()).send(new DeleteStackCommand({ StackName: stack.stackId }));
  } catch {
    // Best effort: a REVIEW_IN_PROGRESS stack costs nothing and the next deploy reuses it.
  }
}
