/**
 * The transcripts of the built CLI (dist/cli.js): templates on disk, then everything on a real
 * local stack started in a fresh directory on free ports (shown as the default ports).
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findFreePorts } from '../src/local/index.js';
import { CLI, ROOT, TranscriptText, baseEnv, substitute, type CommandRun, type Substitution } from './transcripts-lib.js';
import { inProcessRunner } from './transcripts-deploy.js';
import { Session, builtCli, pathSubstitutions, scratchDir, type Log } from './transcripts-session.js';

const DEFAULT_PORTS = [4510, 4511, 4512, 4513];

/** `templates init`, `validate` and `preview` on a folder, with the mistakes the docs show. */
export async function templatesScene(out: Map<string, string>, log: Log): Promise<void> {
  const cwd = scratchDir('templates');
  try {
    const s = new Session(cwd, builtCli(cwd), out, pathSubstitutions(cwd), log);
    s.begin('templates-init');
    await s.run('mailengine templates init');
    s.end();

    s.begin('templates-validate');
    await s.run('mailengine templates validate');
    s.end();

    s.begin('templates-preview');
    await s.run('mailengine templates preview password-reset');
    s.end();

    out.set('templates-preview-serve', await previewServe(cwd));
    log('  templates-preview-serve');

    // A misspelt variable and a relative link in welcome.
    const welcome = 'templates/welcome/template.html';
    const original = s.file(welcome);
    s.edit(welcome, (t) => t.replace('Welcome aboard, {{ userName }}', 'Welcome aboard, {{ username }}').replace('href="{{ helpUrl }}"', 'href="/help"'));
    s.begin('templates-validate-problems');
    await s.run('mailengine templates validate', { expect: 2, exit: true });
    s.end();
    s.write(welcome, original);

    // An {% if %} left open in invoice.
    const invoice = 'templates/invoice/template.html';
    const invoiceOriginal = s.file(invoice);
    s.edit(invoice, (t) => t.replace('</p>\n{% endif %}\n{% set details', '</p>\n{% set details'));
    s.begin('templates-validate-unclosed');
    await s.run('mailengine templates validate', { expect: 2, exit: true });
    s.end();
    s.write(invoice, invoiceOriginal);

    // order-confirmation against its contract: a price written as text in the sample data, and
    // a variable the template reads that the contract does not declare.
    const orderMetadata = 'templates/order-confirmation/metadata.json';
    const orderHtml = 'templates/order-confirmation/template.html';
    const [metadataOriginal, htmlOriginal] = [s.file(orderMetadata), s.file(orderHtml)];
    s.edit(orderMetadata, (t) => t.replace('"quantity": 2, "price": 18 }', '"quantity": 2, "price": "18.00" }'));
    s.edit(orderHtml, (t) => t.replace('for {{ total | money(currency, locale) }}', 'for {{ total | money(currency, locale) }}{{ giftNote }}'));
    s.begin('templates-validate-contract');
    await s.run('mailengine templates validate', { expect: 2, exit: true });
    s.end();
    s.write(orderMetadata, metadataOriginal);
    s.write(orderHtml, htmlOriginal);

    s.begin('templates-types');
    await s.run('mailengine templates types --out mail-types.ts');
    s.end();
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

/** Everything that needs the local stack, in one stack's life: up, templates, sends, lookups, suppression, erasure, down. */
export async function localScene(out: Map<string, string>, log: Log): Promise<void> {
  const cwd = scratchDir('local');
  const ports = await findFreePorts(4);
  const portFlags = ['--dynamodb-port', '--s3-port', '--ses-port', '--eventbridge-port'].flatMap((flag, i) => [flag, String(ports[i])]);
  const portSubstitutions: Substitution[] = ports.map((p, i) => [new RegExp(`\\b${p}\\b`, 'g'), String(DEFAULT_PORTS[i])]);
  const s = new Session(cwd, builtCli(cwd), out, [...pathSubstitutions(cwd), ...portSubstitutions], log);
  let up = false;
  try {
    s.begin('deploy-local');
    await s.run('mailengine local up --no-provision', { extra: portFlags });
    up = true;
    await s.run('mailengine deploy --local');
    await s.run('mailengine info --local');
    await s.run('mailengine deploy --local');
    await s.run('mailengine local down');
    up = false;
    s.end();

    // A stack of its own for everything else: `local up` provisions stack mailengine and the runner serves it.
    await s.run('mailengine local up', { extra: portFlags, hidden: true });
    up = true;
    await s.run('mailengine templates init', { hidden: true });
    await templatesInTheEngine(s);
    await sendTests(s);
    await lookups(s);
    await suppression(s);
    await erasure(s);
    s.begin('stats');
    await s.run('mailengine stats --local');
    s.end();
    s.begin('doctor-local');
    await s.run('mailengine doctor --local', { exit: true });
    s.end();
    await againstADeployedStack(cwd, out, log);
    await s.run('mailengine local down', { hidden: true });
    up = false;
  } finally {
    if (up) await s.run('mailengine local down', { hidden: true }).catch(() => undefined);
    rmSync(cwd, { recursive: true, force: true });
  }
}

async function templatesInTheEngine(s: Session): Promise<void> {
  s.begin('templates-push-first');
  await s.run('mailengine templates push --local');
  s.gap();
  await s.run('mailengine templates push --local');
  s.end();

  // A new version of welcome, and magic-link no longer in the folder.
  s.edit('templates/welcome/metadata.json', (t) => t.replace('"version": "1.0.0"', '"version": "1.1.0"'));
  s.edit('templates/welcome/template.html', (t) => t.replace('Your account is ready to use.', 'Your account is ready.'));
  s.edit('templates/welcome/template.txt', (t) => t.replace('Your account is ready to use.', 'Your account is ready.'));
  rmSync(join(s.cwd, 'templates/magic-link'), { recursive: true });
  s.begin('templates-push-changes');
  await s.run('mailengine templates push --local');
  s.gap();
  await s.run('mailengine templates push --local --prune', { expect: 2, exit: true });
  s.gap();
  await s.run('mailengine templates push --local --prune --yes');
  s.gap();
  s.edit('templates/invoice/template.txt', (t) => t.replace('You are receiving this email because', 'You receive this email because'));
  await s.run('mailengine templates push --local templates invoice');
  s.end();

  s.begin('templates-pull');
  await s.run('mailengine templates pull pulled --local');
  s.gap();
  s.edit('pulled/welcome/template.txt', (t) => `${t.trimEnd()}\n\nEdited by hand.\n`);
  await s.run('mailengine templates pull pulled --local', { expect: 2, exit: true });
  s.gap();
  await s.run('mailengine templates pull pulled welcome --local --force');
  s.end();

  s.begin('templates-list');
  await s.run('mailengine templates list --local');
  s.gap();
  await s.run('mailengine templates list --local --json');
  s.end();

  // An expression that climbs to JavaScript: refused by validate and by push.
  const welcome = 'templates/welcome/template.html';
  const original = s.file(welcome);
  s.edit(welcome, (t) => t.replace('{% if nextSteps %}', '{{ userName.constructor.constructor("return process")() }}\n{% if nextSteps %}'));
  s.begin('templates-unsafe');
  await s.run('mailengine templates validate', { expect: 2, exit: true });
  await s.run('mailengine templates push --local', { expect: 2, exit: true });
  s.end();
  s.write(welcome, original);
}

async function sendTests(s: Session): Promise<void> {
  s.begin('send-test-complaint');
  await s.run('mailengine send --test --simulate complaint --template order-confirmation --local', { exit: true });
  s.end();
  s.begin('send-test-refused');
  await s.run('mailengine send --test --simulate success --template no-such-template --local', { expect: 1, exit: true });
  s.end();
  s.begin('send-test-bad-address');
  await s.run('mailengine send --test --to nope --template welcome --local', { expect: 2, exit: true });
  s.end();
  // Data that breaks the order-confirmation contract: the engine refuses it before rendering.
  s.write('order.json', `${JSON.stringify({ customerName: 'Maya', orderId: 10482, orderTime: 'yesterday', items: [{ name: 'Trail running shoes', quantity: 1, price: '98.00' }], total: 98 })}\n`);
  s.begin('send-test-contract');
  await s.run('mailengine send --test --simulate success --template order-confirmation --data-file order.json --local', { expect: 1, exit: true });
  s.end();
  s.begin('send-test-json');
  await s.run('mailengine send --test --simulate complaint --template order-confirmation --local --json');
  s.end();

  s.begin('pause-resume');
  await s.run('mailengine pause --local', { expect: 2, exit: true });
  await s.run('mailengine pause --local --yes', { exit: true });
  await s.run('mailengine send --test --simulate success --template password-reset --local --timeout 5', { expect: 1, exit: true });
  await s.run('mailengine resume --local', { exit: true });
  await s.run('mailengine resume --local --json', { exit: true });
  s.end();
}

async function lookups(s: Session): Promise<void> {
  await s.run('mailengine send --test --to ann@customer.example --template order-confirmation --email-id order-1001-confirmation --local', { hidden: true });
  await s.run('mailengine send --test --to ann@customer.example --template order-confirmation --email-id order-1002-confirmation --local', { hidden: true });
  await s.run('mailengine send --test --simulate bounce --template order-confirmation --email-id order-1003-confirmation --local', { hidden: true });
  await s.run('mailengine send --test --simulate ooto --template shipping-notification --email-id ship-4411-out-of-office --local', { hidden: true });

  s.begin('lookup-recipient');
  await s.run('mailengine status lookup --local --recipient ann@customer.example');
  s.gap();
  await s.run('mailengine status lookup --local --since 1h --limit 2');
  s.end();
  s.begin('lookup-email-id');
  await s.run('mailengine status lookup --local --email-id order-1003-confirmation');
  s.end();
  s.begin('lookup-wide');
  await s.run('mailengine status lookup --local --email-id ship-4411-out-of-office');
  await s.run('mailengine status lookup --local --email-id ship-4411-out-of-office --wide');
  s.end();
  s.begin('lookup-json');
  await s.run('mailengine status lookup --local --recipient ann@customer.example --limit 1 --json');
  s.end();
  s.begin('lookup-errors');
  await s.run('mailengine status lookup --local --email-id order-9999', { expect: 4, exit: true });
  s.gap();
  await s.run('mailengine status lookup --local --recipient ann.customer.example', { expect: 2, exit: true });
  s.end();
}

async function suppression(s: Session): Promise<void> {
  await s.run('mailengine suppression add cat@customer.example --reason complaint --local', { hidden: true });
  s.begin('suppression-remove-complaint');
  await s.run('mailengine suppression remove --local cat@customer.example', { expect: 2, exit: true });
  s.gap();
  await s.run('mailengine suppression remove --local cat@customer.example --force');
  s.end();

  s.write('list.csv', 'address,reason\nfay@customer.example,bounce\nnot-an-address,bounce\ngus@customer.example,\nfay@customer.example,complaint\n');
  s.begin('suppression-import');
  s.shell('cat list.csv', s.file('list.csv'));
  s.gap();
  await s.run('mailengine suppression import --local list.csv', { expect: 2, exit: true });
  s.end();

  s.begin('suppression-export');
  await s.run('mailengine suppression export --local');
  s.gap();
  await s.run('mailengine suppression export --local --format ndjson --out suppressed.ndjson');
  s.end();
  s.begin('suppression-export-exists');
  await s.run('mailengine suppression export --local --format ndjson --out suppressed.ndjson', { expect: 2, exit: true });
  await s.run('mailengine suppression export --local --format ndjson --out suppressed.ndjson --force');
  s.end();
}

async function erasure(s: Session): Promise<void> {
  await s.run('mailengine send --test --to bob@customer.example --template order-confirmation --email-id order-2001-confirmation --local', { hidden: true });
  await s.run('mailengine suppression add bob@customer.example --reason bounce --local', { hidden: true });
  s.begin('erase-local');
  await s.run('mailengine erase --local bob@customer.example', { expect: 2, exit: true });
  s.gap();
  await s.run('mailengine erase --local bob@customer.example --yes --receipt erasure-bob.json');
  s.gap();
  await s.run('mailengine status lookup --local --recipient bob@customer.example', { expect: 4 });
  s.gap();
  await s.run('mailengine suppression check --local bob@customer.example');
  s.gap();
  await s.run('mailengine erase --local bob@customer.example --yes');
  s.end();
  s.begin('erase-receipt');
  s.shell('cat erasure-bob.json', s.file('erasure-bob.json'));
  s.end();

  await s.run('mailengine send --test --to dot@customer.example --template welcome --email-id signup-77-welcome --local', { hidden: true });
  await s.run('mailengine suppression add dot@customer.example --reason complaint --local', { hidden: true });
  s.begin('erase-forget-complaint');
  await s.run('mailengine erase --local dot@customer.example --forget-suppression --yes', { expect: 2, exit: true });
  s.gap();
  await s.run('mailengine erase --local dot@customer.example --forget-suppression --force --yes');
  s.end();
}

/**
 * `npm run demo`, as a reader runs it in a checkout: the demo script under tsx, in a fresh
 * directory (the demo keeps its stack in the current directory). npm's own two header lines are
 * written as npm prints them for the script in package.json; the rest is the run's output. The
 * demo picks free ports when the defaults are taken; the ports it used are shown as the defaults.
 */
export async function demoScene(out: Map<string, string>, log: Log): Promise<void> {
  const cwd = scratchDir('demo');
  try {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; scripts: Record<string, string> };
    const run = await new Promise<CommandRun>((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', 'exec "$0" "$@" 2>&1', join(ROOT, 'node_modules', '.bin', 'tsx'), join(ROOT, 'scripts', 'demo.ts')], {
        cwd,
        env: baseEnv(),
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? 1, output }));
    });
    if (run.code !== 0) throw new Error(`npm run demo exited ${run.code}:\n${run.output}`);
    const parts = ['DynamoDB Local', 'S3 \\(s3rver\\)', 'SES v2 \\(aws-ses-v2-local\\)', 'Engine runner \\(EventBridge\\)'];
    const ports: Substitution[] = parts.flatMap((part, i) => {
      const used = new RegExp(`Waiting for ${part} on port (\\d+)`).exec(run.output)?.[1];
      return used === undefined ? [] : [[new RegExp(`\\b${used}\\b`, 'g'), String(DEFAULT_PORTS[i])] as Substitution];
    });
    const text = new TranscriptText();
    text.raw('npm run demo', `\n> ${pkg.name}@${pkg.version} demo\n> ${pkg.scripts.demo}\n\n${run.output}`);
    out.set('demo', substitute(text.toString(), [...pathSubstitutions(cwd), ...ports]));
    log('  demo');
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * `templates preview --serve`, as a reader uses it: start it, save a template (the page reloads),
 * press Ctrl-C. It listens on a free port here, shown as the default 4400.
 */
async function previewServe(cwd: string): Promise<string> {
  const [port] = await findFreePorts(1);
  const child = spawn('/bin/sh', ['-c', 'exec "$0" "$@" 2>&1', process.execPath, CLI, 'templates', 'preview', '--serve', '--port', String(port)], {
    cwd,
    env: baseEnv(),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  const closed = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
  try {
    await waitFor(() => output.includes('Press Ctrl-C'), 'the preview server to start');
    const file = join(cwd, 'templates', 'invoice', 'template.txt');
    writeFileSync(file, readFileSync(file, 'utf8'));
    await waitFor(() => output.includes('changed'), 'the preview to notice the saved file');
    await new Promise((r) => setTimeout(r, 500));
  } finally {
    child.kill('SIGINT');
  }
  const code = await closed;
  // 130: interrupted, as every command exits on Ctrl-C.
  if (code !== 130) throw new Error(`templates preview --serve exited ${code} on Ctrl-C:\n${output}`);
  const text = new TranscriptText();
  // A terminal echoes the Ctrl-C as ^C before the last line.
  text.raw('mailengine templates preview --serve', output.replace(/\n(?=[^\n]*\n?$)/, '\n^C'));
  return substitute(text.toString(), [[new RegExp(`\\b${port}\\b`, 'g'), '4400']]);
}

/**
 * Suppression and erasure against a deployed stack: the CLI's own entry in this process, the
 * stack's tables being the local stack's DynamoDB tables, and CloudFormation, Secrets Manager and
 * the SES account (its suppression list, production or sandbox) answered by the test suite's
 * stand-ins (test/helpers/deployed-stack.ts, fake-account-list.ts). Run last: it writes to the
 * same tables as the local transcripts.
 */
async function againstADeployedStack(cwd: string, out: Map<string, string>, log: Log): Promise<void> {
  const { cfn, secrets, mockDeployedStack } = await import('../test/helpers/deployed-stack.js');
  const { fakeAccountList } = await import('../test/helpers/fake-account-list.js');
  const { awsWithLocalDynamoDb } = await import('../test/helpers/in-process.js');
  const { readLocalEndpoints } = await import('../src/local/endpoints.js');
  const account = fakeAccountList();
  try {
    mockDeployedStack('mailengine-prod', 'eu-west-1', { trackingTable: 'mailengine-tracking', suppressionTable: 'mailengine-suppression' }, 'a-key-only-these-transcripts-use');
    // The account list already holds an address SES suppressed on its own, earlier.
    account.entries.set('ivy@customer.example', { Reason: 'BOUNCE', LastUpdateTime: new Date('2026-10-02T14:03:11Z') });
    const endpoints = readLocalEndpoints(cwd);
    // The stack's templates bucket is a bucket on the local S3 that refuses one upload, as a
    // bucket policy denying the caller would.
    const { AwsClientFactory } = await import('../src/aws/clients.js');
    const { serviceError } = await import('../test/helpers/in-process.js');
    const { CreateBucketCommand, PutObjectCommand } = await import('@aws-sdk/client-s3');
    const localS3 = await new AwsClientFactory({ region: 'us-east-1', local: endpoints, maxAttempts: 1 }).s3();
    await localS3.send(new CreateBucketCommand({ Bucket: 'mailengine-prod-templates-abc123' }));
    const refused = 'templates/order-confirmation/metadata.json';
    let refusing = false;
    const send = localS3.send.bind(localS3) as (command: unknown) => Promise<unknown>;
    localS3.send = ((command: unknown) =>
      refusing && command instanceof PutObjectCommand && command.input.Key === refused
        ? Promise.reject(serviceError('AccessDenied', 'Access Denied', 403))
        : send(command)) as typeof localS3.send;
    const withLocalDynamoDb = awsWithLocalDynamoDb(endpoints);
    if (!withLocalDynamoDb) throw new Error('awsWithLocalDynamoDb gave no factory');
    const awsFactory: NonNullable<Parameters<typeof inProcessRunner>[1]> = (settings) => {
      const factory = withLocalDynamoDb(settings);
      factory.s3 = async () => localS3;
      return factory;
    };
    const s = new Session(cwd, await inProcessRunner(cwd, awsFactory), out, pathSubstitutions(cwd), log);
    const target = '--stack mailengine-prod --region eu-west-1';

    await s.run(`mailengine templates push ${target}`, { hidden: true });
    s.edit('templates/order-confirmation/metadata.json', (t) => t.replace('"version": "1.0.0"', '"version": "1.0.1"'));
    refusing = true;
    s.begin('templates-push-refused');
    await s.run(`mailengine templates push ${target}`, { expect: 1, exit: true });
    s.end();
    refusing = false;

    s.begin('suppression-aws');
    await s.run(`mailengine suppression add hal@customer.example --reason complaint ${target}`);
    s.gap();
    await s.run(`mailengine suppression check ivy@customer.example ${target}`);
    s.gap();
    await s.run(`mailengine suppression list --limit 2 ${target}`);
    s.end();

    s.begin('erase-aws');
    await s.run(`mailengine erase hal@customer.example --yes ${target}`);
    s.end();

    account.reset(false);
    s.begin('suppression-aws-sandbox');
    await s.run(`mailengine suppression add joe@customer.example ${target}`);
    s.end();
  } finally {
    account.ses.restore();
    cfn.restore();
    secrets.restore();
  }
}
