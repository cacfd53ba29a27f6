// @ts-check
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

const barrelImports = {
  regex: '^(\\.{1,2}/?|(\\.{1,2}/)+(\\.\\.)?|.*/index)$',
  message: 'Import a concrete file, not a folder barrel (keeps the import graph acyclic).',
};

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'dist-sample/**',
      'coverage/**',
      'node_modules/**',
      '.tmp/**',
      '**/*.js',
      '**/*.mjs',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-restricted-imports': ['error', { patterns: [barrelImports] }],
    },
  },
  {
    files: ['lib/**/*.ts'],
    ignores: ['lib/**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'nestjs-observability', message: 'Inside lib/, import concrete files.' }],
          patterns: [barrelImports],
        },
      ],
    },
  },
  {
    files: ['sample-app/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)lib(/|$)',
              message:
                "The sample app imports the library as a user would: from 'nestjs-observability'.",
            },
          ],
        },
      ],
    },
  },
);
