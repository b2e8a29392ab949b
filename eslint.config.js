// ESLint flat config: typescript-eslint's recommended rules, plus a ban on wall-clock timers and
// clocks in library code. Time in src/ must go through a SchedulerLike so that every timed
// behaviour can be tested in virtual time.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const timerMessage =
  'Use the injected SchedulerLike (scheduler.schedule / scheduler.now()) so the behaviour runs in virtual time.';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/results/**', 'docs/api/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: timerMessage },
        { name: 'setInterval', message: timerMessage },
        { name: 'setImmediate', message: timerMessage },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: timerMessage },
        { object: 'globalThis', property: 'setTimeout', message: timerMessage },
        { object: 'globalThis', property: 'setInterval', message: timerMessage },
        { object: 'performance', property: 'now', message: timerMessage },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: timerMessage },
      ],
    },
  },
  {
    // One concept per file: a source file past 300 lines holds more than one, and is due a split.
    // Blank lines and comments count, since they are part of what a reader has to take in.
    files: ['src/**/*.ts'],
    rules: { 'max-lines': ['error', { max: 300, skipBlankLines: false, skipComments: false }] },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'bench/**/*.mjs', 'examples/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // CommonJS config files (.dependency-cruiser.cjs).
    files: ['*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },
  {
    files: ['bench/**/*.mjs', 'bench/**/*.js', '*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', globalThis: 'readonly' } },
  },
);
