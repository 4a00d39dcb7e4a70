import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import svelteConfig from './svelte.config.js';
import project from './eslint/plugin.js';
import { zones } from './eslint/zones.js';
import { domainLists } from './eslint/domain-lists.js';

const root = import.meta.dirname;
const code = ['**/*.js', '**/*.mjs', '**/*.cjs', '**/*.ts', '**/*.svelte'];
const tests = ['tests/**', '**/*.test.ts'];

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
  // which folder may import which (eslint/zones.js, docs/architecture.md): every file lies in a zone
  // of the table, or is refused, so a new folder is fenced the day it appears. Each import is
  // resolved to the file it reaches ($lib too) and fenced by the folder that file is in; an import
  // that resolves to nothing is refused, as it could pass any fence (SvelteKit's own modules and a
  // route's generated `./$types` excepted: they are no files).
  {
    files: code,
    plugins: { 'import-x': importX, project },
    settings: {
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json', '.svelte'], conditionNames: ['node', 'import', 'require', 'default'], alias: { $lib: [`${root}/src/lib`] } })],
    },
    rules: { 'project/zones': 'error' },
  },
  ...zones.flatMap(zoneConfigs),
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
  // within the services, every file lies in a room and the rooms import one another downwards
  // only, in the order of eslint/rooms.js (the kernel first, the flows last); no file imports one
  // that, through others, imports it back (tests/ops/import-graph.test.ts reads the same graph)
  {
    files: ['src/lib/server/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }], 'project/rooms': 'error' },
  },
  // the sizes the rooms reached, in every folder of code: a file or a function that grows past them
  // is split along its seams. A .svelte file counts whole (markup and style too); a page is layout
  // and wiring over its face, and stays shorter. Tests are as long as their story.
  {
    files: code,
    ignores: tests,
    rules: {
      'max-lines': ['error', { max: 400, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: ['src/routes/**/+page.svelte'],
    rules: { 'max-lines': ['error', { max: 300, skipBlankLines: true, skipComments: true }] },
  },
  // .svelte files are parsed without the TypeScript project (no type information): with it, the lint
  // took 200 s instead of 53 s on CI's two cores, for no rule we use that needs it; svelte-check
  // (npm run check) checks their types
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { extraFileExtensions: ['.svelte'], parser: ts.parser, svelteConfig } },
    rules: {
      // links here are plain hrefs inside one app; resolve() adds nothing without a base path
      'svelte/no-navigation-without-resolve': 'off',
    },
  },
  // the closed lists of the domain (who may do what, which statuses go together, the fiscal entry
  // kinds, the ways to pay…) are named once, in the domain: a copy typed anywhere else is one the
  // next word would miss. The lists are read from src/lib/domain/ itself (eslint/domain-lists.js):
  // a list the domain exports is enforced the day it appears. Tests may build fixtures from plain lists.
  {
    files: code,
    ignores: ['src/lib/domain/**', ...tests],
    rules: {
      'project/named-once': ['error', {
        domain: 'src/lib/domain',
        say: {
          ROLES: 'a list of roles: name the capability in src/lib/domain/permissions.ts (can.cook, can.runShop…)',
          ORDER_STATUSES: 'a list of order statuses: name the set in src/lib/domain/order-states.ts (FINAL_STATUSES…; sqlList() for SQL)',
          FULFILMENTS: 'the fulfilment pair: use Fulfilment from src/lib/domain/order-states.ts',
        },
      }],
    },
  },
  // and a role is asked about by what it may do, in src/lib/domain/permissions.ts alone: code that
  // compares a role by name (`user.role === 'admin'`) is a duty the next role would not get.
  // And a field a person types into shows what the server drew with defaultValue: `value={…}` is set
  // again as the page's scripts start, and wipes what was typed on a slow tablet before they came
  // (a sign-in, twice in CI). bind:value and the fields no one types into are left alone.
  {
    files: code,
    ignores: ['src/lib/domain/permissions.ts', ...tests],
    rules: { 'no-restricted-syntax': ['error', ...roleComparisons(), ...typedFieldValues()] },
  },
);

/** The comparisons of a role with one of the domain's roles by name, either way round. */
function roleComparisons() {
  const roles = domainLists(`${root}/src/lib/domain`, root).find((l) => l.name === 'ROLES').words;
  const role = `/^(${roles.join('|')})$/`;
  const named = "[name='role'], [property.name='role']";
  const message = 'a role compared by name: ask what it may do, in src/lib/domain/permissions.ts (may(role, can.cook), mayFor(member, can.runShop, shop), runsChain(member), shopsOf(member, shops))';
  return [
    { selector: `BinaryExpression[operator=/^[!=]==?$/]:has(> Literal[value=${role}]):has(> :matches(${named}))`, message },
  ];
}

/** A typed field (input or textarea) whose shown value is given as `value={…}` rather than `defaultValue={…}`, and that no handler of its own steers. */
function typedFieldValues() {
  const notTyped = "SvelteStartTag > SvelteAttribute[key.name='type'] > SvelteLiteral[value=/^(hidden|radio|checkbox|submit|button|range|color)$/]";
  // a field its own oninput steers (a card's expiry typed as MM/AA, a quantity kept within bounds)
  // holds its state and shows it: value={…} is what it means
  const steered = "SvelteStartTag > SvelteAttribute[key.name=/^on(input|change)$/]";
  const message = 'a typed field given value={…}: the page\'s scripts set it again as they start and wipe what was typed before them; use defaultValue={…} (or bind:value)';
  return [
    { selector: `SvelteElement[name.name=/^(input|textarea)$/]:not(:has(${notTyped})):not(:has(${steered})) > SvelteStartTag > SvelteAttribute[key.name='value']:has(SvelteMustacheTag)`, message },
  ];
}

/** A zone's fences: what its files may import, the browser's limit, and no "in no zone" for them. */
function zoneConfigs(zone) {
  const fenced = zone.mayImport !== 'anything';
  const rules = (withTests) => ({
    'project/zones': 'off',
    'import-x/no-restricted-paths': fenced ? ['error', { basePath: root, zones: restrictions(zone, withTests) }] : 'off',
    'import-x/no-unresolved': fenced ? ['error', { ignore: ['^\\$app/', '^\\$env/', '^\\$service-worker$', '/\\$types(\\.js)?$'] }] : 'off',
    // a type is erased before the browser sees it: shapes may come from the services
    '@typescript-eslint/no-restricted-imports': zone.browser && !withTests ? ['error', { patterns: [{ group: ['$lib/server', '$lib/server/**', '**/server', '**/server/**', '**/workers', '**/workers/**'], message: 'pages run in the browser: no server-only code', allowTypeImports: true }] }] : 'off',
  });
  return [
    { name: `zone: ${zone.zone}`, files: zone.files, rules: rules(false) },
    // its unit tests may also import the tests' helpers (a fake printer…)
    { name: `zone: ${zone.zone}, tests`, files: zone.files.map((f) => [f, '**/*.test.ts']), rules: rules(true) },
  ];
}

/**
 * The import-x zones of one row: its own refusals first, then whatever else lies outside what it may
 * import. Paths are globs from the root (`{,/**}`: the folder or file and all under it).
 */
function restrictions(zone, withTests) {
  const under = (p) => `${root}/${p}{,/**}`;
  const named = (zone.refuse ?? []).flatMap((r) => [r.from].flat());
  const allowed = [...zone.mayImport, ...named, 'node_modules', ...(withTests ? ['tests'] : [])];
  return [
    ...(zone.refuse ?? []).map((r) => ({ target: '.', from: [r.from].flat().map(under), message: r.why })),
    { target: '.', from: `${root}/**`, except: allowed.map(under), message: zone.why },
  ];
}
