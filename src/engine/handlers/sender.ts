import { buildSenderDeps } from '../deps.js';
import { createSender } from '../sender.js';
import { engineSettingsFromEnvironment } from './lambda-env.js';

// Built once per execution environment: clients, the template cache and the hash key are reused
// across invocations.
const send = createSender(buildSenderDeps(await engineSettingsFromEnvironment()));

export const handler = send;
