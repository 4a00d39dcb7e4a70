import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import svelteConfig from './svelte.config.js';

// the code that runs on the server: the hub, the services and the workers, with the db scripts
const serverSide = ['server/**/*.ts', 'workers/**/*.ts', 'db/**/*.ts', 'src/lib/server/**/*.ts', 'src/lib/domain/**/*.ts'];

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
  // which layer may import which (docs/architecture.md): the domain is pure; services know neither
  // the server nor the workers; the server and the workers meet only in src/lib/server (the queue
  // map too); db scripts use the services. Each import is resolved to the file it reaches and
  // fenced by the folder that file is in, so a room added under any of these folders is fenced the
  // day it appears; an import that resolves to nothing is refused, as it could pass any fence.
  {
    files: serverSide,
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json'] })],
    },
    rules: {
      'import-x/no-unresolved': 'error',
      'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones: [
        { target: 'src/lib/domain', from: '.', except: ['./src/lib/domain', './node_modules'], message: 'the domain is pure rules: it imports only the domain' },
        { target: 'src/lib/server', from: ['server', 'workers'], message: 'services are used by the server and the workers, never the other way round' },
        { target: 'src/lib/server', from: ['db', 'src/routes'], message: 'services are used by the db scripts and the pages, never the other way round' },
        { target: 'server', from: 'workers', message: 'the server and the workers share src/lib/server (the queue map too), not each other' },
        { target: 'workers', from: 'server', message: 'the workers share src/lib/server with the server, not the server itself' },
        { target: 'db', from: ['server', 'workers'], message: 'db scripts use the services, not the server or the workers' },
      ] }],
    },
  },
  {
    files: ['src/lib/domain/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['$lib/*', '$app/*', '$env/*', '@sveltejs/*'], message: 'the domain is pure rules: no I/O, no framework' },
        { group: ['pg', 'ioredis', 'bullmq', 'socket.io', 'socket.io-client', 'express', 'node:*'], message: 'the domain is pure rules: no I/O' },
      ] }],
    },
  },
  // within the services, rooms import one another downwards only: no file imports one that,
  // through others, imports it back (tests/ops/import-graph.test.ts checks the same between rooms)
  {
    files: ['src/lib/server/**/*.ts'],
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  // the sizes the rooms reached: a file or a function that grows back past them is split
  {
    files: ['server/**/*.ts', 'src/lib/server/**/*.ts', 'workers/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'max-lines': ['error', { max: 400, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: ['src/routes/**/*.svelte', 'src/routes/**/*.svelte.ts', 'src/lib/components/**', 'src/lib/realtime/**', 'src/lib/*.ts', 'src/lib/shared/**', 'src/lib/shapes/**', 'src/lib/faces/**'],
    ignores: ['**/*.test.ts'],
    rules: {
      // a type is erased before the browser sees it: shapes may come from the services
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ group: ['$lib/server', '$lib/server/**', '**/server', '**/server/**', '**/workers', '**/workers/**'], message: 'pages run in the browser: no server-only code', allowTypeImports: true }] }],
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
  // who may do what and which statuses go together are named once, in the domain: a list of roles
  // or of statuses typed anywhere else is a copy the next role or status would miss. Tests may
  // build their fixtures from plain lists.
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs', '**/*.svelte'],
    ignores: ['src/lib/domain/**', 'tests/**', '**/*.test.ts', 'eslint.config.js'],
    rules: { 'no-restricted-syntax': ['error', ...namedOnce()] },
  },
);

/** The selectors that refuse a list of roles or of order statuses: in an array (a `new Set` too), a union type, SQL. */
function namedOnce() {
  const role = '/^(admin|manager|kitchen|counter|driver)$/';
  const status = '/^(pending_payment|received|preparing|ready|out_for_delivery|delivered|collected|cancelled)$/';
  const sqlStatus = "/IN \\(\\s*'(pending_payment|received|preparing|ready|out_for_delivery|delivered|collected|cancelled)'/";
  // an array with one of these strings and no other string (a tuple like ['Cuisine', 'kitchen'] is not a list of roles)
  const list = (re) => `ArrayExpression:has(> Literal[value=${re}]):not(:has(> Literal:not([value=${re}])))`;
  const union = (re) => `TSUnionType:not(:has(> :not(TSLiteralType[literal.value=${re}])))`;
  const roles = 'a list of roles: name the capability in src/lib/domain/permissions.ts (can.cook, can.runShop…)';
  const statuses = 'a list of order statuses: name the set in src/lib/domain/order-states.ts (FINAL_STATUSES…; sqlList() for SQL)';
  return [
    { selector: list(role), message: roles },
    { selector: union(role), message: roles },
    { selector: list(status), message: statuses },
    { selector: union(status), message: statuses },
    { selector: `TemplateElement[value.raw=${sqlStatus}]`, message: statuses },
    { selector: `Literal[value=${sqlStatus}]`, message: statuses },
    { selector: "TSUnionType:has(> TSLiteralType[literal.value='delivery']):has(> TSLiteralType[literal.value='pickup'])", message: 'the fulfilment pair: use Fulfilment from src/lib/domain/order-states.ts' },
  ];
}
