import type { AwsClientFactory } from '../aws/clients.js';
import type { CfnTemplate } from '../cfn/template.js';
import { REGION_PATTERN } from '../config/schema.js';
import { ExitCode, MailengineError, usageError } from '../errors.js';
import type { IoHost } from '../io/io-host.js';
import { checkParameterValue, type ParameterPlan, type PlannedParameter } from './parameters.js';

/**
 * The region the clients will use: whatever the flags, config file, environment or profile say,
 * else asked on a terminal. Returns the factory to use from here on.
 */
export async function resolveRegion(aws: AwsClientFactory, io: IoHost, withRegion: (region: string) => AwsClientFactory): Promise<{ aws: AwsClientFactory; region: string }> {
  if (aws.settings.region) return { aws, region: aws.settings.region };
  let region: string | undefined;
  try {
    region = await (await aws.sts()).config.region();
  } catch {
    region = undefined;
  }
  if (region) return { aws, region };
  const answer = await io.requestResponse({
    kind: 'input',
    code: 'deploy.region',
    message: 'AWS region to install the engine in (for example eu-west-1):',
    flag: '--region',
    refusal: () =>
      new MailengineError('REGION_MISSING', 'No AWS region is set, and there is no terminal to ask for one.', {
        exitCode: ExitCode.Environment,
        suggestion: 'Pass --region, set "region" for the environment in mailengine.config.json, or set AWS_REGION.',
      }),
    validate: (value) => REGION_PATTERN.test(value.trim()) || 'That is not an AWS region name; for example eu-west-1 or us-east-1.',
  });
  return { aws: withRegion(answer.trim()), region: answer.trim() };
}

const EMAIL = /^[^@\s]+@([A-Za-z0-9-]+\.)+[A-Za-z]{2,}$/;

function domainOf(identity: string): string {
  return identity.includes('@') ? identity.slice(identity.indexOf('@') + 1).toLowerCase() : identity.toLowerCase();
}

/**
 * SES lets an address send when it is the verified address itself or lies in the verified
 * domain (subdomains included); the Sender's IAM policy allows exactly that identity.
 */
export function belongsToIdentity(email: string, identity: string): boolean {
  if (identity.includes('@')) return email.toLowerCase() === identity.toLowerCase();
  const domain = domainOf(email);
  const root = identity.toLowerCase();
  return domain === root || domain.endsWith(`.${root}`);
}

interface Question {
  message: string;
  default?: (known: Record<string, string>) => string | undefined;
  validate?: (value: string, known: Record<string, string>) => true | string;
}

/** How to ask for the parameters a first install cannot do without. */
const QUESTIONS: Record<string, Question> = {
  SenderIdentity: {
    message: 'SES identity the engine sends as (a domain such as example.com, or one email address):',
  },
  DefaultFromEmail: {
    message: 'Default From address (used when a request names none):',
    default: (known) => (known.SenderIdentity ? (known.SenderIdentity.includes('@') ? known.SenderIdentity : `no-reply@${known.SenderIdentity}`) : undefined),
    validate: (value, known) =>
      !known.SenderIdentity || belongsToIdentity(value, known.SenderIdentity) || `It must be ${known.SenderIdentity.includes('@') ? known.SenderIdentity : `an address at ${known.SenderIdentity}`}, the identity the engine sends as.`,
  },
  AdminEmail: {
    message: 'Email address for alarms and budget alerts:',
    validate: (value) => EMAIL.test(value) || 'That is not an email address.',
  },
};

/**
 * Fills in the missing required parameters by asking (on a terminal), each answer checked against
 * the template's own constraints. Without a terminal, the first missing one stops the deploy with
 * exit 2, naming `--parameters Name=value`.
 */
export async function askForMissingParameters(plan: ParameterPlan, template: CfnTemplate, io: IoHost): Promise<PlannedParameter[]> {
  const parameters = [...plan.parameters];
  const known = () => Object.fromEntries(parameters.map((p) => [p.name, p.value ?? '']));
  for (const name of plan.missing) {
    const spec = template.Parameters?.[name];
    if (!spec) continue;
    const question = QUESTIONS[name] ?? { message: `${name} (${spec.Description ?? 'no description'}):` };
    const answer = await io.requestResponse({
      kind: 'input',
      code: `deploy.parameter.${name}`,
      message: question.message,
      flag: `--parameters ${name}=<value>`,
      default: question.default?.(known()),
      validate: (value) => {
        const problem = checkParameterValue(name, spec, value.trim());
        if (problem) return problem;
        return question.validate?.(value.trim(), known()) ?? true;
      },
    });
    parameters.push({ name, value: answer.trim(), source: 'prompt' });
  }
  const values = known();
  if (values.SenderIdentity && values.DefaultFromEmail && !belongsToIdentity(values.DefaultFromEmail, values.SenderIdentity)) {
    throw usageError(
      'PARAMETER_INVALID',
      `DefaultFromEmail ${values.DefaultFromEmail} does not belong to SenderIdentity ${values.SenderIdentity}: SES would reject every email sent from it.`,
      'Pass matching values, for example --parameters SenderIdentity=example.com DefaultFromEmail=no-reply@example.com',
    );
  }
  return parameters;
}
