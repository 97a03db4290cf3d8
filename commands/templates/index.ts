import type { Command } from 'commander';
import type { Runtime } from '../runtime.js';
import { registerTemplatesInit } from './init.js';
import { registerTemplatesPreview } from './preview.js';
import { registerTemplatesValidate } from './validate.js';

/** The `templates` command group. Each subcommand loads its core code only when it runs. */
export function registerTemplates(program: Command, runtime: Runtime): void {
  const templates = program.command('templates').description('email templates: copy the starters, validate them, preview them');
  registerTemplatesInit(templates, runtime);
  registerTemplatesValidate(templates, runtime);
  registerTemplatesPreview(templates, runtime);
}
