import { z } from 'zod';

/** AWS region names: `eu-west-1`, `us-gov-west-1`, `ap-southeast-5`, `cn-north-1`. */
export const REGION_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;

/**
 * Stack names become prefixes of resource names (`<stack>-sender`, `<stack>-tracking`), so they
 * stay within CloudFormation's alphabet and leave room under Lambda's 64-character name limit.
 */
export const STACK_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9-]{0,39}$/;

export const regionSchema = z
  .string()
  .regex(REGION_PATTERN, { message: 'is not an AWS region name (for example eu-west-1)' });

export const stackNameSchema = z
  .string()
  .regex(STACK_NAME_PATTERN, { message: 'must start with a letter and hold at most 40 letters, digits or hyphens' });

const environmentNameSchema = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, {
  message: 'environment names are lower-case letters, digits and hyphens (for example prod)',
});

/** CloudFormation parameter values are strings on the wire; numbers and booleans are accepted for convenience. */
const parameterValueSchema = z.union([z.string(), z.number(), z.boolean()]);

export const environmentSchema = z.strictObject({
  stackName: stackNameSchema.optional(),
  region: regionSchema.optional(),
  profile: z.string().min(1).optional(),
  parameters: z
    .record(z.string().regex(/^[A-Za-z0-9]{1,255}$/, { message: 'is not a CloudFormation parameter name' }), parameterValueSchema)
    .optional(),
});

export const configFileSchema = z
  .strictObject({
    $schema: z.string().optional(),
    defaultEnvironment: environmentNameSchema.optional(),
    environments: z.record(environmentNameSchema, environmentSchema),
  })
  .superRefine((config, ctx) => {
    if (config.defaultEnvironment && !(config.defaultEnvironment in config.environments)) {
      ctx.addIssue({
        code: 'custom',
        path: ['defaultEnvironment'],
        message: `names "${config.defaultEnvironment}", which is not one of the environments (${Object.keys(config.environments).join(', ') || 'none'})`,
      });
    }
  });

export type EnvironmentConfig = z.infer<typeof environmentSchema>;
export type ConfigFile = z.infer<typeof configFileSchema>;
