import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import svelteConfig from './svelte.config.js';

export default ts.config(
  { ignores: ['build/', 'dist/', '.svelte-kit/', 'node_modules/', 'coverage/', 'test-results/', 'backups/'] },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // rows from pg and JSON bodies in tests are untyped by nature
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  // which layer may import which (DESIGN.md): the domain is pure; services know neither the
  // server nor the workers; the server and the workers meet only in src/lib/server (the queue map
  // too); pages never reach server-only code
  {
    files: ['src/lib/domain/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['../server/**', '../realtime/**', '../../../**', '$lib/server/*', '$app/*', '@sveltejs/*'], message: 'the domain is pure rules: no I/O, no framework' },
        { group: ['pg', 'ioredis', 'bullmq', 'socket.io', 'socket.io-client', 'express', 'node:*'], message: 'the domain is pure rules: no I/O' },
      ] }],
    },
  },
  {
    files: ['src/lib/server/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['../../../server/**', '../../../workers/**'], message: 'services are used by the server and the workers, never the other way round' },
      ] }],
    },
  },
  {
    files: ['db/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['../server/**', '../workers/**'], message: 'db scripts use the services, not the server or the workers' }] }],
    },
  },
  {
    files: ['server/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['../workers/**', '../../workers/**'], message: 'the server and the workers share src/lib/server (the queue map too), not each other' }] }],
    },
  },
  {
    files: ['workers/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['../server/**'], message: 'the workers share src/lib/server with the server, not the server itself' }] }],
    },
  },
  {
    files: ['src/routes/**/*.svelte', 'src/routes/**/*.svelte.ts', 'src/lib/components/**', 'src/lib/realtime/**', 'src/lib/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      // a type is erased before the browser sees it: shapes may come from the services
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ group: ['$lib/server/*', '../server/**', './server/**', '../../../server/**', '../../../workers/**'], message: 'pages run in the browser: no server-only code', allowTypeImports: true }] }],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { projectService: true, extraFileExtensions: ['.svelte'], parser: ts.parser, svelteConfig } },
    rules: {
      // links here are plain hrefs inside one app; resolve() adds nothing without a base path
      'svelte/no-navigation-without-resolve': 'off',
    },
  },
);
