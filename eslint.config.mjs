// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import storepulse from './eslint-rules/no-sql-interpolation.mjs';
import { SQL_ALLOW_LIST } from './eslint-rules/sql-allow-list.mjs';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '.data/**',
      '.cache/**',
      'infra/**/*.mjs',
      'scripts/**',
      'eslint.config.mjs',
      'eslint-rules/**',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['describe', 'it', 'test', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Read configuration through @storepulse/config only.',
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='it'][callee.property.name='only']",
          message: 'no it.only',
        },
        {
          selector: "CallExpression[callee.object.name='describe'][callee.property.name='only']",
          message: 'no describe.only',
        },
      ],
    },
  },
  {
    // No SQL built from input (issue 14): SQL template literals interpolate constants only, or
    // reviewed expressions (eslint-rules/sql-allow-list.mjs). Tests and benches build fixtures.
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    plugins: { storepulse },
    rules: { 'storepulse/no-sql-interpolation': ['error', { allow: SQL_ALLOW_LIST }] },
  },
  {
    files: ['libs/config/src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // One TensorFlow provider: only libs/ml/src/tf-provider.ts imports @tensorflow/* (use getTf()).
    ignores: ['libs/ml/src/tf-provider.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@tensorflow/*'],
              message: "Use getTf() / types from '@storepulse/ml' (libs/ml/src/tf-provider.ts).",
            },
          ],
        },
      ],
    },
  },
);
