import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.mjs', 'scripts/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
        Buffer: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  { files: ['**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  {
    // HTTP at the edge (docs/architecture.md): only the http/ part of a feature, and the bootstrap that
    // builds the Fastify app, know Fastify; services and repositories take and return plain values, and
    // only the modules (the wiring) and the bootstrap import from http/.
    files: ['src/**/*.ts'],
    ignores: ['src/**/http/**', 'src/main.ts', 'src/app.factory.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['fastify', '@fastify/*', '@nestjs/platform-fastify'],
              message: 'Only http/ files may use Fastify: pass plain values to services.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/**/http/**', 'src/main.ts', 'src/app.factory.ts', 'src/**/*.module.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['fastify', '@fastify/*', '@nestjs/platform-fastify'],
              message: 'Only http/ files may use Fastify: pass plain values to services.',
            },
            {
              group: ['**/http/*', '**/http/**'],
              message: 'The arrows point one way: http → service → repository.',
            },
          ],
        },
      ],
    },
  },
  {
    // A repository owns its table and answers plain data; it calls no service.
    files: ['src/**/*.repository.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/*.service.js'], message: 'Repositories import no service.' },
            {
              group: ['fastify', '@fastify/*', '@nestjs/platform-fastify', '**/http/*', '**/http/**'],
              message: 'A repository knows nothing of HTTP.',
            },
          ],
        },
      ],
    },
  },
  {
    // Tests read untyped JSON bodies; `any` there keeps assertions readable without hiding product types.
    files: ['test/**/*.ts', 'src/**/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
