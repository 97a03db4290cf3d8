import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Terminal libraries belong to the shell (commands/terminal/): the core reports and asks through
// the IoHost port, whichever host the shell picked.
const TERMINAL_LIBRARIES = [
  { name: 'chalk', message: 'Colour is the terminal host\'s business (commands/terminal/).' },
  { name: 'ora', message: 'Report progress through the IoHost (io.progress).' },
  { name: 'cli-table3', message: 'Return data; commands/terminal/render.ts draws tables.' },
];
const INQUIRER = { group: ['@inquirer/*'], message: 'Ask through the IoHost (requestResponse).' };

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.mailengine/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The core talks through the IO port: no console, no exiting, no prompts of its own.
    files: ['src/**/*.ts'],
    rules: {
      'no-console': 'error',
      'no-restricted-properties': ['error', { object: 'process', property: 'exit', message: 'Throw a MailengineError; commands/main.ts decides the exit code.' }],
      'no-restricted-imports': [
        'error',
        {
          paths: TERMINAL_LIBRARIES,
          patterns: [
            INQUIRER,
            { group: ['**/tools/**'], message: 'tools/ holds development tools; the product never imports them.' },
          ],
        },
      ],
    },
  },
  {
    // The lowest floor: everything may use src/util, so it imports nothing of ours above it.
    files: ['src/util/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: TERMINAL_LIBRARIES,
          patterns: [
            INQUIRER,
            { group: ['../*', '**/src/*', '**/commands/*'], message: 'src/util imports nothing else of ours: it is the floor every other module stands on.' },
          ],
        },
      ],
    },
  },
  {
    // mailengine/client runs inside apps: of the packages, only the EventBridge client. zod comes
    // with the request schema of src/model, whichever zod that is written with. The one exception
    // is not a static import: `cancel` and `reschedule` import the DynamoDB clients when an app
    // first calls them (src/client/schedule.ts), so an app that only sends never loads them.
    files: ['src/client/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...TERMINAL_LIBRARIES, { name: 'commander', message: 'The client is no command line.' }, { name: 'zod', message: 'Validate with the schema in src/model/request.ts.' }],
          patterns: [
            INQUIRER,
            { group: ['@aws-sdk/*', '!@aws-sdk/client-eventbridge'], message: 'The client loads only the EventBridge client of the AWS SDK.' },
            { group: ['zod/*'], message: 'Validate with the schema in src/model/request.ts.' },
          ],
        },
      ],
    },
  },
);
