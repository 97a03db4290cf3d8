/**
 * Deploy, upgrade, info and destroy, on the in-memory CloudFormation and AWS stand-ins of the test
 * suite (test/fixtures/stack/aws-world.ts): the CLI's own entry (`main`, which dist/cli.js
 * bundles) runs in this process, where those stand-ins answer its AWS calls, and deploys the
 * template and the Lambda zips of the build.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Runtime } from '../commands/runtime.js';
import { ROOT, type CommandRun, type Substitution } from './transcripts-lib.js';
import { Session, pathSubstitutions, scratchDir, type Log, type Runner } from './transcripts-session.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

/** The version the build stamps into dist/cli.js; `main` run from source reads it from here. */
(globalThis as { __MAILENGINE_VERSION__?: string }).__MAILENGINE_VERSION__ ??= pkg.version;

/**
 * Where the in-memory CloudFormation answers with a placeholder (it resolves no ARNs and makes up
 * physical ids), the docs show a value in the shape AWS gives. Nothing else is rewritten.
 */
const SHOWN_AS_AWS: Substitution[] = [
  [/arn:aws:fake:eu-west-1:123456789012:EventBus\/Arn/g, 'arn:aws:events:eu-west-1:123456789012:event-bus/mailengine-bus'],
  [/(AlarmTopicArn +)mailengine-alarms/g, '$1arn:aws:sns:eu-west-1:123456789012:mailengine-alarms'],
  [/aaaa\d{4}-fake-4fak-8fak-000000000000-esm/g, '6a1c3f0e-2b7d-4c59-9e1a-5d8f0b3c7e21'],
  [/mailengine-templatesbucket-aaaa\d{4}/g, 'mailengine-templatesbucket-1x4k9q2w7e3r'],
];

/** The release before this one, for the upgrade: same template, other code. */
const PREVIOUS_VERSION = '0.0.9';

/** Credentials that only ever reach the stand-ins in this process. */
const TEST_CREDENTIALS = { accessKeyId: 'AKIDTESTONLY', secretAccessKey: 'transcripts' };

/**
 * Runs the CLI's own entry in this process (no terminal, CI=true), with stdout and stderr on one
 * stream as a terminal shows them, and AWS clients from `awsFactory`.
 */
export async function inProcessRunner(cwd: string, awsFactory: Runtime['awsFactory']): Promise<Runner> {
  const { main } = await import('../commands/main.js');
  return async (argv, options) => {
    let output = '';
    const write = (chunk: string) => {
      output += chunk;
      return true;
    };
    const code = await main(argv, {
      env: { CI: 'true', FORCE_COLOR: '0', ...options.env },
      cwd,
      streams: { stdout: { write }, stderr: { write, isTTY: false } },
      stdinIsTTY: false,
      signal: new AbortController().signal,
      awsFactory,
    });
    return { code, output } satisfies CommandRun;
  };
}

export async function deployScene(out: Map<string, string>, log: Log): Promise<void> {
  const { AwsClientFactory } = await import('../src/aws/clients.js');
  const { createWorld, REGION, lambdaDir } = await import('../test/fixtures/stack/aws-world.js');
  const { install } = await import('../test/fixtures/stack/harness.js');

  const cwd = scratchDir('deploy');
  // Each poll settles an operation's next resources; the events still come one line each.
  const world = createWorld({ cfn: { stepsPerPoll: 100_000, changeSetPolls: 1 } });
  const runner = await inProcessRunner(cwd, (settings) => new AwsClientFactory({ ...settings, region: settings.region ?? REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 }));
  const s = new Session(cwd, runner, out, [...pathSubstitutions(cwd), ...SHOWN_AS_AWS], log);
  const INSTALL = 'mailengine deploy --region eu-west-1 --parameters SenderIdentity=example.com DefaultFromEmail=no-reply@example.com AdminEmail=ops@example.com';
  try {
    s.begin('deploy-no-terminal');
    await s.run(INSTALL, { expect: 2, exit: true });
    s.end();

    s.begin('deploy-install');
    await s.run(`${INSTALL} --yes --outputs-file outputs.json`);
    s.end();

    s.begin('deploy-info');
    await s.run('mailengine info --region eu-west-1');
    s.end();

    s.begin('deploy-needs-approval');
    await s.run('mailengine deploy --region eu-west-1 --parameters SendConcurrency=12 --require-approval any-change', { expect: 2, exit: true });
    s.end();

    s.begin('deploy-parameter-change');
    await s.run('mailengine deploy --region eu-west-1 --parameters SendConcurrency=20');
    s.end();

    s.begin('deploy-nothing-to-do');
    await s.run('mailengine deploy --region eu-west-1');
    s.end();

    s.begin('destroy-waiting');
    const outputs = world.cfn.liveStack('mailengine')?.outputs ?? {};
    world.queueDepths[outputs.SendQueueUrl] = { waiting: 42 };
    world.queueDepths[outputs.SendDeadLetterQueueUrl] = { waiting: 3 };
    await s.run('mailengine destroy --region eu-west-1 --yes', { expect: 2, exit: true });
    s.end();
    world.queueDepths[outputs.SendQueueUrl] = 0;
    world.queueDepths[outputs.SendDeadLetterQueueUrl] = 0;

    s.begin('destroy');
    await s.run('mailengine destroy --region eu-west-1 --yes');
    s.end();

    s.begin('deploy-kept-data');
    await s.run(`${INSTALL} --require-approval never`, { expect: 2, exit: true });
    s.end();

    // The upgrade: a stack the previous release installed (other Lambda code, older version),
    // then this release's `deploy`.
    world.restore();
    const previous = createWorld({ cfn: { stepsPerPoll: 100_000, changeSetPolls: 1 } });
    try {
      await install(previous, {
        version: PREVIOUS_VERSION,
        files: { template: join(ROOT, 'cfn', 'mailengine.yaml'), lambdaDir: lambdaDir({ sender: `sender ${PREVIOUS_VERSION}`, feedback: `feedback ${PREVIOUS_VERSION}`, pause: `pause ${PREVIOUS_VERSION}` }) },
      });
      s.begin('deploy-upgrade');
      await s.run('mailengine deploy --region eu-west-1');
      s.end();
    } finally {
      previous.restore();
    }
  } finally {
    world.restore();
    rmSync(cwd, { recursive: true, force: true });
  }
}
