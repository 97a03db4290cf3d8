import { buildFeedbackDeps } from '../deps.js';
import { createFeedback } from '../feedback.js';
import { engineSettingsFromEnvironment } from './lambda-env.js';

const feedback = createFeedback(buildFeedbackDeps(await engineSettingsFromEnvironment()));

export const handler = feedback;
