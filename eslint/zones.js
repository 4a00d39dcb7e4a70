// Every folder of code, and what its files may import (docs/architecture.md, "Layout"). The linter
// builds its fences from this table alone: an import that reaches a folder the zone does not list
// is refused, with the row's reason (or a reason of its own for a crossing named in `refuse`), and
// a file that lies in no zone is refused too, so a new folder is fenced the day it appears: it has
// to be added here, with what it may import. A zone's folders include their subfolders (a new
// room of the services is a room of the services); when two rows name the same file the lower
// one wins (a loader in src/routes is a loader, not a page). Tests beside the code (`*.test.ts`)
// are in their folder's zone, and may also import the tests' helpers (tests/).
//
// - files: the zone's files, as ESLint globs from the repository's root
// - mayImport: the folders (or files) its imports may reach, its own included; packages always
//   may; `anything` for the zones the fences do not apply to
// - refuse: crossings refused with a reason of their own ({ from, why }), before the row's
// - why: the reason given for any other import outside `mayImport`
// - browser: the code runs in the browser (too): of the services it may import types only
//   (`import type`, erased before the browser sees it), not one value

const DOMAIN = 'src/lib/domain';
const SERVICES = 'src/lib/server';
const SHAPES = 'src/lib/shapes';
const SHARED = 'src/lib/shared';
const FACES = 'src/lib/faces';
const REALTIME = 'src/lib/realtime';
const I18N = 'src/lib/i18n';
const ROUTES = 'src/routes';
const HUB = 'server';
const WORKERS = 'workers';
const DB = 'db';
const SCRIPTS = 'scripts';
const TESTS = 'tests';

/** The hub and the workers are the product's processes: what SvelteKit runs or the browser loads never imports them. */
const notTheProcesses = (who, verb = 'import') => ({
  from: [HUB, WORKERS],
  why: `${who} never ${verb} the hub (server/) or the workers (workers/): those stand on src/lib, never the other way round`,
});

export const zones = [
  {
    zone: 'the domain',
    files: ['src/lib/domain/**'],
    mayImport: [DOMAIN],
    why: 'the domain is pure rules: it imports only the domain',
  },
  {
    zone: 'the services',
    files: ['src/lib/server/**'],
    // package.json: the version a receipt prints
    mayImport: [SERVICES, DOMAIN, SHAPES, REALTIME, I18N, 'package.json'],
    refuse: [
      { from: [HUB, WORKERS], why: 'services are used by the server and the workers, never the other way round' },
      { from: [DB, ROUTES], why: 'services are used by the db scripts and the pages, never the other way round' },
    ],
    why: 'services stand on the domain, the shapes, the realtime contract and the texts',
  },
  {
    zone: 'the shapes',
    files: ['src/lib/shapes/**'],
    mayImport: [SHAPES, DOMAIN, I18N],
    refuse: [notTheProcesses('the shapes')],
    why: 'the shapes are what the pages and the services share: they stand on the domain and the texts alone',
    browser: true,
  },
  {
    zone: 'the realtime contract',
    files: ['src/lib/realtime/**'],
    mayImport: [REALTIME, SHAPES, DOMAIN],
    refuse: [notTheProcesses('the realtime contract and the live connection')],
    why: 'the realtime contract stands on the shapes and the domain alone',
    browser: true,
  },
  {
    zone: 'the texts',
    files: ['src/lib/i18n/**'],
    // each face's own words live beside it (src/lib/faces/<face>/texts/), gathered by the catalogue
    mayImport: [I18N, `${FACES}/*/texts`],
    refuse: [notTheProcesses('the texts')],
    why: 'the texts import only the texts (the shared words, and each face\'s own words beside the face)',
    browser: true,
  },
  {
    zone: 'what the faces share',
    files: ['src/lib/shared/**'],
    mayImport: [SHARED, SHAPES, DOMAIN, REALTIME, I18N, SERVICES],
    refuse: [notTheProcesses('what the faces share', 'imports')],
    why: 'what the faces share stands below the faces: the shapes, the domain, the live connection, the texts (and the services\' types)',
    browser: true,
  },
  {
    zone: 'the faces',
    files: ['src/lib/faces/**'],
    mayImport: [FACES, SHARED, SHAPES, DOMAIN, REALTIME, I18N, SERVICES],
    refuse: [notTheProcesses('the faces')],
    why: 'a face stands on what the faces share, the shapes, the domain, the live connection and the texts (and the services\' types)',
    browser: true,
  },
  {
    zone: 'the rest of src/lib',
    files: ['src/lib/*'],
    mayImport: ['src/lib/*', SHARED, SHAPES, DOMAIN, REALTIME, I18N, SERVICES],
    refuse: [notTheProcesses('the files of src/lib')],
    why: 'a file of src/lib stands on what the faces share, the shapes, the domain, the live connection and the texts (and the services\' types)',
    browser: true,
  },
  {
    zone: 'the pages',
    files: ['src/routes/**'],
    mayImport: [ROUTES, FACES, SHARED, SHAPES, DOMAIN, REALTIME, I18N, SERVICES, 'src/app.css'],
    refuse: [notTheProcesses('the pages')],
    why: 'a page is layout and wiring over its face: it stands on src/lib (the services\' types only)',
    browser: true,
  },
  {
    zone: 'the loaders',
    files: ['src/routes/**/+page.server.ts', 'src/routes/**/+layout.server.ts'],
    // faces: a face's pure helper the loader shares with it (a form's fields)
    mayImport: [SERVICES, DOMAIN, SHAPES, REALTIME, I18N, FACES],
    refuse: [notTheProcesses('page loaders')],
    why: 'a loader reads through the services: it stands on src/lib',
  },
  {
    zone: 'the endpoints',
    files: ['src/routes/**/+server.ts'],
    mayImport: [SERVICES, DOMAIN, SHAPES, REALTIME, I18N],
    refuse: [notTheProcesses('endpoints')],
    why: 'an endpoint answers through the services: it stands on src/lib',
  },
  {
    zone: 'the app\'s hooks',
    files: ['src/hooks.server.ts', 'src/app.d.ts'],
    mayImport: [SERVICES, DOMAIN, SHAPES, I18N],
    refuse: [notTheProcesses('the app\'s hooks')],
    why: 'the app\'s hooks stand on the services',
  },
  {
    zone: 'the service worker',
    files: ['src/service-worker.ts'],
    mayImport: [DOMAIN, SHAPES, I18N],
    refuse: [notTheProcesses('the service worker', 'imports')],
    why: 'the service worker runs in the browser, beside the pages: it stands on the domain, the shapes and the texts',
    browser: true,
  },
  {
    zone: 'the hub',
    files: ['server/**'],
    // db: the migrations' runner, which the readiness check and the metrics ask
    mayImport: [HUB, SERVICES, DOMAIN, SHAPES, REALTIME, I18N, 'db/migrate-runner.ts'],
    refuse: [{ from: WORKERS, why: 'the server and the workers share src/lib/server (the queue map too), not each other' }],
    why: 'the hub stands on src/lib: the services, the domain, the shapes, the realtime contract and the texts',
  },
  {
    zone: 'the workers',
    files: ['workers/**'],
    mayImport: [WORKERS, SERVICES, DOMAIN, SHAPES, REALTIME, I18N],
    refuse: [{ from: HUB, why: 'the workers share src/lib/server with the server, not the server itself' }],
    why: 'the workers stand on src/lib: the services, the domain, the shapes, the realtime contract and the texts',
  },
  {
    zone: 'the db scripts',
    files: ['db/**'],
    mayImport: [DB, SERVICES, DOMAIN, SHAPES],
    refuse: [{ from: [HUB, WORKERS], why: 'db scripts use the services, not the server or the workers' }],
    why: 'the db scripts stand on the services and the domain',
  },
  {
    zone: 'the scripts',
    files: ['scripts/**'],
    // benchmarks and drills start the hub and the workers in their process, and borrow the tests' fakes
    mayImport: [SCRIPTS, HUB, WORKERS, DB, SERVICES, DOMAIN, SHAPES, REALTIME, I18N, TESTS],
    why: 'the scripts drive the product from outside: they stand on everything but the pages',
  },
  { zone: 'the tests', files: ['tests/**'], mayImport: 'anything' },
  { zone: 'the lint\'s own rules', files: ['eslint/**'], mayImport: 'anything' },
  { zone: 'the tools\' configuration', files: ['*.js', '*.ts', '*.mjs', '*.cjs'], mayImport: 'anything' },
];
