import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
          paths: [{ name: '@inquirer/prompts', message: 'Ask through the IoHost (requestResponse).' }],
          patterns: [{ group: ['**/tools/**'], message: 'tools/ holds development tools; the product never imports them.' }],
        },
      ],
    },
  },
  {
    files: ['src/io/interactive-io-host.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
