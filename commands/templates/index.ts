import type { Command } from 'commander';
import type { Runtime } from '../runtime.js';
import { registerTemplatesInit } from './init.js';
import { registerTemplatesList } from './list.js';
import { registerTemplatesPreview } from './preview.js';
import { registerTemplatesPull } from './pull.js';
import { registerTemplatesPush } from './push.js';
import { registerTemplatesTypes } from './types.js';
import { registerTemplatesValidate } from './validate.js';

/** The `templates` command group. Each subcommand loads its core code only when it runs. */
export function registerTemplates(program: Command, runtime: Runtime, subcommands = true): void {
  const templates = program.command('templates').description('email templates: copy the starters, validate and preview them, generate their TypeScript types, push them to the engine, pull and list what it has');
  // Without its subcommands the group still lists itself in the parent's help (see createProgram).
  if (!subcommands) return;
  registerTemplatesInit(templates, runtime);
  registerTemplatesValidate(templates, runtime);
  registerTemplatesPreview(templates, runtime);
  registerTemplatesPush(templates, runtime);
  registerTemplatesPull(templates, runtime);
  registerTemplatesList(templates, runtime);
  registerTemplatesTypes(templates, runtime);
}
