import { z } from 'zod';
import { regionSchema, stackNameSchema } from '../src/config/schema.js';

// Loaded when a command runs, never for --help or --version (zod is most of the CLI's start-up).
/** Flags every command takes. Validated once here; commands add their own on top. */
export const globalOptionsSchema = z.object({
  json: z.boolean().default(false),
  yes: z.boolean().default(false),
  color: z.boolean().default(true),
  debug: z.boolean().default(false),
  profile: z.string().min(1).optional(),
  region: regionSchema.optional(),
  stack: stackNameSchema.optional(),
  env: z.string().min(1).optional(),
  local: z.boolean().default(false),
  config: z.string().min(1).optional(),
});
export type GlobalOptions = z.infer<typeof globalOptionsSchema>;
