// The layers hold because the linter refuses what crosses them, wherever the file sits: each probe
// here is a file the linter must refuse (it is linted as if it lay at that path, and never kept),
// and the tree as it stands must pass, so the probes fail for what they import and not for where.
// Every folder is in a zone of eslint/zones.js; a file in no zone is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { ESLint } from 'eslint';
import { rooms } from '../../eslint/rooms.js';

const root = join(import.meta.dirname, '..', '..');
const eslint = new ESLint({ cwd: root });

// the first lint loads the parsers and the resolver: seconds, longer on a busy machine
beforeAll(() => eslint.lintText('export {};\n', { filePath: 'src/lib/server/probe.ts' }), 120_000);

/** The rules that `text` breaks when it lies at `filePath`, one entry per message. */
async function refusals(filePath: string, text: string): Promise<string[]> {
  const [result] = await eslint.lintText(text, { filePath });
  return result.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

/** How a file at `probe` imports `target` (both from the root): a relative path that reaches the file. */
const importOf = (probe: string, target: string) => {
  const path = relative(dirname(probe), target);
  return path.startsWith('.') ? path : `./${path}`;
};

const HUB = 'server/hub.ts';
const WORKERS = 'workers/workers.ts';
const IMPORTED = { hub: ['createHub', HUB], workers: ['startWorkers', WORKERS] } as const;

/** A file at `probe` that imports what `these` name (the hub, the workers) and uses it. */
const importing = (probe: string, these: readonly (keyof typeof IMPORTED)[]) =>
  these.map((t) => `import { ${IMPORTED[t][0]} } from '${importOf(probe, IMPORTED[t][1])}';\n`).join('') +
  `export const these = [${these.map((t) => IMPORTED[t][0]).join(', ')}];\n`;

const hubAndWorkers = (up: string) =>
  `import { createHub } from '${up}server/hub.ts';\nimport { startWorkers } from '${up}workers/workers.ts';\nexport const both = [createHub, startWorkers];\n`;

/** `n` statements of a function body, each a line of its own. */
const lines = (n: number) => Array.from({ length: n }, (_, i) => `  total += ${i};`).join('\n');

describe('the fence between the layers', () => {
  it('refuses a service in the orders room that imports the hub or the workers', async () => {
    const found = await refusals('src/lib/server/orders/probe.ts', hubAndWorkers('../../../../'));
    expect(found).toEqual([
      expect.stringMatching(/^import-x\/no-restricted-paths: .*server\/hub\.ts.*never the other way round/),
      expect.stringMatching(/^import-x\/no-restricted-paths: .*workers\/workers\.ts.*never the other way round/),
    ]);
  });

  it('refuses the same from a room that does not exist yet, and from the services\' own floor', async () => {
    for (const probe of ['src/lib/server/terrace/probe.ts', 'src/lib/server/terrace/tables/probe.ts', 'src/lib/server/probe.ts']) {
      const up = '../'.repeat(probe.split('/').length - 1);
      const found = await refusals(probe, hubAndWorkers(up));
      // the file's place is refused as well (project/rooms), below
      expect(found.filter((m) => !m.startsWith('project/rooms')), probe).toHaveLength(2);
      expect(found.filter((m) => !m.startsWith('project/rooms')).every((m) => m.startsWith('import-x/no-restricted-paths')), probe).toBe(true);
    }
  });

  it('lets a service import a room below it, the domain and the shapes', async () => {
    const found = await refusals('src/lib/server/stock/probe.ts', "import { AppError } from '../kernel/errors.ts';\nimport { orderTotals } from '../../domain/pricing.ts';\nexport const both = [AppError, orderTotals];\n");
    expect(found).toEqual([]);
  });

  it('keeps the hub and the workers apart, and the db scripts off both', async () => {
    expect(await refusals('server/api/probe.ts', "import { startWorkers } from '../../workers/workers.ts';\nexport const w = startWorkers;\n")).toEqual([
      expect.stringMatching(/^import-x\/no-restricted-paths: .*not each other/),
    ]);
    expect(await refusals('workers/probe.ts', "import { createHub } from '../server/hub.ts';\nexport const h = createHub;\n")).toEqual([
      expect.stringMatching(/^import-x\/no-restricted-paths: .*not the server itself/),
    ]);
    expect(await refusals('db/probe.ts', "import { createHub } from '../server/hub.ts';\nexport const h = createHub;\n")).toEqual([
      expect.stringMatching(/^import-x\/no-restricted-paths: .*db scripts use the services/),
    ]);
  });

  it('keeps the domain pure: it imports only the domain', async () => {
    const found = await refusals('src/lib/domain/probe.ts', "import { roomFor } from '../realtime/contract.ts';\nimport { AppError } from '../server/kernel/errors.ts';\nexport const both = [roomFor, AppError];\n");
    expect(found).toHaveLength(2);
    expect(found.every((m) => m.startsWith('import-x/no-restricted-paths') && m.includes('the domain is pure'))).toBe(true);
  });

  it('refuses an import that reaches no file, as it would pass any fence', async () => {
    expect(await refusals('src/lib/server/stock/probe.ts', "import { x } from '../../../../server/nowhere.ts';\nexport const y = x;\n")).toEqual([
      expect.stringMatching(/^import-x\/no-unresolved:/),
    ]);
  });

  it('keeps server-only code out of the pages, shapes (types) excepted', async () => {
    const found = await refusals(
      'src/lib/probe.ts',
      "import type { Pizzeria } from './server/shops/catalogue.ts';\nimport { readMenu } from '$lib/server/shops/catalogue.ts';\nimport { createHub } from '../../server/hub.ts';\nexport const both: [Pizzeria?, unknown?, unknown?] = [undefined, readMenu, createHub];\n",
    );
    // the value from the services and the hub, refused as browser code; the hub refused by its zone as well
    expect(found.filter((m) => m.includes('pages run in the browser'))).toHaveLength(2);
    expect(found.filter((m) => m.startsWith('import-x/no-restricted-paths'))).toEqual([expect.stringMatching(/server\/hub\.ts.*never import the hub/)]);
    expect(found).toHaveLength(3);
  });
});

describe('every zone of eslint/zones.js', () => {
  // a file in each zone, and which of the hub and the workers it may not import: nothing SvelteKit runs
  // or the browser loads, no src/lib folder, no db script imports either; the hub and the workers not each other
  const both = ['hub', 'workers'] as const;
  const probes: [zone: string, probe: string, refused: readonly (keyof typeof IMPORTED)[]][] = [
    ['the domain', 'src/lib/domain/probe.ts', both],
    ['the services\' kernel', 'src/lib/server/kernel/probe.ts', both],
    ['a room of the services', 'src/lib/server/stock/probe.ts', both],
    ['a flow of the services', 'src/lib/server/flows/probe.ts', both],
    ['the shapes', 'src/lib/shapes/probe.ts', both],
    ['the realtime contract', 'src/lib/realtime/probe.ts', both],
    ['the texts', 'src/lib/i18n/probe.ts', both],
    ['what the faces share', 'src/lib/shared/components/probe.ts', both],
    ['a face', 'src/lib/faces/terrace/probe.ts', both],
    ['the rest of src/lib', 'src/lib/probe.ts', both],
    ['a page\'s own file', 'src/routes/terrace/probe.ts', both],
    ['a page\'s universal load', 'src/routes/terrace/+page.ts', both],
    ['a page loader', 'src/routes/terrace/[id]/+page.server.ts', both],
    ['a layout loader', 'src/routes/+layout.server.ts', both],
    ['an endpoint', 'src/routes/terrace/menu/+server.ts', both],
    ['the app\'s hooks', 'src/hooks.server.ts', both],
    ['the service worker', 'src/service-worker.ts', both],
    ['the db scripts', 'db/probe.ts', both],
    ['the hub', 'server/api/probe.ts', ['workers']],
    ['the workers', 'workers/probe.ts', ['hub']],
  ];

  for (const [zone, probe, refused] of probes) {
    it(`refuses ${refused.map((r) => `the ${r}`).join(' and ')} in ${zone} (${probe})`, async () => {
      const found = await refusals(probe, importing(probe, refused));
      // each import reaches its file (no-unresolved would say otherwise) and is refused by the zone's fence
      expect(found.filter((m) => !m.startsWith('@typescript-eslint/no-restricted-imports')), probe).toEqual(
        refused.map((r) => expect.stringMatching(new RegExp(`^import-x/no-restricted-paths: Unexpected path "[./]*${IMPORTED[r][1].replace('.', '\\.')}"`))),
      );
    });
  }

  it('lets the scripts and the tests import the hub and the workers (benchmarks and drills start them)', async () => {
    for (const probe of ['scripts/probe.ts', 'scripts/ha/probe.ts', 'tests/road/probe.test.ts']) {
      expect(await refusals(probe, importing(probe, both)), probe).toEqual([]);
    }
  });

  it('refuses a file in a folder no zone lists, the day the folder appears', async () => {
    for (const folder of ['src/lib/terrace/', 'src/terrace/', 'terrace/', 'static/']) {
      expect(await refusals(`${folder}probe.ts`, 'export const x = 1;\n'), folder).toEqual([
        `project/zones: this folder is in no zone: add it to eslint/zones.js (${folder}, with what it may import)`,
      ]);
    }
    // a new room of a listed folder is in that folder's zone
    expect(await refusals('src/lib/faces/terrace/probe.ts', 'export const x = 1;\n')).toEqual([]);
  });
});

describe('pages and components, as .svelte files', () => {
  // the .svelte parser reads the project's types, which know only files on disk: these probes are
  // files for the length of these tests, in folders of their own
  const folder = `fence-probe-${process.pid}`;
  const at = { page: `src/routes/${folder}`, face: `src/lib/faces/${folder}` };
  /** A .svelte file of `n` lines, nearly all script: a list, an entry a line, and a line of markup using it. */
  const svelteOf = (n: number) => `<script lang="ts">\n  const lines = [\n${Array.from({ length: n - 5 }, (_, i) => `    ${i},`).join('\n')}\n  ];\n</script>\n<p>{lines.length}</p>\n`;
  let svelteLint: ESLint;
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
    return path;
  };
  const messages = async (path: string) => (await svelteLint.lintFiles([join(root, path)]))[0].messages.map((m) => `${m.ruleId}: ${m.message}`);

  beforeAll(async () => {
    const hubAndWorkersIn = (dir: string, file: string) => {
      const probe = `${dir}/${file}`;
      return write(probe, `<script lang="ts">\n  import { createHub } from '${importOf(probe, HUB)}';\n  import { startWorkers } from '${importOf(probe, WORKERS)}';\n  const both = [createHub, startWorkers];\n</script>\n<p>{both.length}</p>\n`);
    };
    hubAndWorkersIn(at.page, '+page.svelte');
    hubAndWorkersIn(at.face, 'Importing.svelte');
    write(`${at.page}/long/+page.svelte`, svelteOf(301));
    write(`${at.page}/short/+page.svelte`, svelteOf(300));
    write(`${at.face}/Long.svelte`, svelteOf(401));
    write(`${at.face}/Short.svelte`, svelteOf(400));
    svelteLint = new ESLint({ cwd: root });
    await svelteLint.lintFiles([join(root, at.face, 'Short.svelte')]);
  }, 120_000);

  afterAll(() => {
    rmSync(join(root, at.page), { recursive: true, force: true });
    rmSync(join(root, at.face), { recursive: true, force: true });
  });

  it('refuses the hub and the workers in a page and in a face\'s component', async () => {
    for (const probe of [`${at.page}/+page.svelte`, `${at.face}/Importing.svelte`]) {
      expect((await messages(probe)).filter((m) => m.startsWith('import-x/no-restricted-paths')), probe).toEqual([
        expect.stringMatching(/server\/hub\.ts.*never import the hub/),
        expect.stringMatching(/workers\/workers\.ts.*never import the hub/),
      ]);
    }
  });

  it('refuses a page over 300 lines, markup and all', async () => {
    expect((await messages(`${at.page}/long/+page.svelte`)).filter((m) => m.startsWith('max-lines'))).toEqual([expect.stringMatching(/^max-lines: .*\(301\)\. Maximum allowed is 300/)]);
    expect((await messages(`${at.page}/short/+page.svelte`)).filter((m) => m.startsWith('max-lines'))).toEqual([]);
  });

  it('refuses a component over 400 lines of script', async () => {
    expect((await messages(`${at.face}/Long.svelte`)).filter((m) => m.startsWith('max-lines'))).toEqual([expect.stringMatching(/^max-lines: .*\(401\)\. Maximum allowed is 400/)]);
    expect((await messages(`${at.face}/Short.svelte`)).filter((m) => m.startsWith('max-lines'))).toEqual([]);
  });
});

describe('the sizes of the rooms', () => {
  it('refuses a service file over 400 lines', async () => {
    const text = Array.from({ length: 401 }, (_, i) => `export const line${i} = ${i};`).join('\n') + '\n';
    expect(await refusals('src/lib/server/stock/probe.ts', text)).toEqual([expect.stringMatching(/^max-lines: .*\(401\)/)]);
  });

  it('counts neither blank lines nor comments', async () => {
    const text = Array.from({ length: 400 }, (_, i) => `// why ${i}\nexport const line${i} = ${i};\n`).join('\n');
    expect(await refusals('src/lib/server/stock/probe.ts', text)).toEqual([]);
  });

  it('refuses a file over 400 lines in every folder of code', async () => {
    const text = Array.from({ length: 401 }, (_, i) => `export const line${i} = ${i};`).join('\n') + '\n';
    for (const probe of ['src/lib/domain/probe.ts', 'src/lib/faces/terrace/probe.ts', 'src/routes/terrace/+page.server.ts', 'db/probe.ts', 'scripts/probe.ts']) {
      expect(await refusals(probe, text), probe).toEqual([expect.stringMatching(/^max-lines: .*\(401\)/)]);
    }
  });

  it('refuses a function over 80 lines in every folder of code', async () => {
    const text = `export function long() {\n  let total = 0;\n${lines(77)}\n  return total;\n}\n`;
    for (const probe of ['server/probe.ts', 'src/lib/server/orders/probe.ts', 'workers/probe.ts', 'src/lib/domain/probe.ts', 'src/lib/shared/probe.ts', 'src/routes/terrace/+server.ts', 'db/probe.ts', 'scripts/ha/probe.ts']) {
      expect(await refusals(probe, text), probe).toEqual([expect.stringMatching(/^max-lines-per-function: .*\(81\)/)]);
    }
    const fits = `export function short() {\n  let total = 0;\n${lines(76)}\n  return total;\n}\n`;
    expect(await refusals('workers/probe.ts', fits)).toEqual([]);
  });

  it('leaves the tests their length', async () => {
    const text = `import { it } from 'vitest';\nit('is long', () => {\n  let total = 0;\n${lines(100)}\n  void total;\n});\n`;
    for (const probe of ['src/lib/server/terrace/probe.test.ts', 'src/lib/faces/terrace/probe.test.ts', 'tests/road/probe.test.ts']) {
      expect(await refusals(probe, text), probe).toEqual([]);
    }
  });
});

describe('circles between the services', () => {
  it('refuses two services that import each other', async () => {
    // a circle is only seen through files that exist: these two live for the length of the test
    const dir = join(root, 'src/lib/server/stock', `circle-probe-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    try {
      writeFileSync(join(dir, 'a.ts'), "import { b } from './b.ts';\nexport const a = () => b();\n");
      writeFileSync(join(dir, 'b.ts'), "import { a } from './a.ts';\nexport const b = (): unknown => a;\n");
      const [result] = await eslint.lintFiles([join(dir, 'a.ts')]);
      expect(result.messages.map((m) => m.ruleId)).toEqual(['import-x/no-cycle']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the tree as it stands', () => {
  it('passes the fence, the sizes and the circles', async () => {
    const results = await eslint.lintFiles(['server', 'workers', 'db', 'src/lib/server', 'src/lib/domain', 'scripts', 'eslint']);
    const found = results.flatMap((r) => r.messages.map((m) => `${r.filePath.slice(root.length + 1)}:${m.line} ${m.ruleId}: ${m.message}`));
    expect(results.length).toBeGreaterThan(200);
    expect(found).toEqual([]);
  }, 300_000);
});

describe('the floors of the services (eslint/rooms.js)', () => {
  const table = rooms.map((r) => r.room);
  const upward = (from: string, to: string) =>
    `project/rooms: the room ${from}/ stands below ${to}/ (eslint/rooms.js): it may not import it; move the use case that needs both up (a flow, in flows/) or the piece both need down`;

  it('lists every room of src/lib/server, and no folder that is not one', () => {
    const folders = readdirSync(join(root, 'src/lib/server'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    expect([...folders].sort()).toEqual([...table].sort());
    expect(table[0]).toBe('kernel');
    expect(table.at(-1)).toBe('flows');
  });

  it('leaves no file loose in src/lib/server', () => {
    const loose = readdirSync(join(root, 'src/lib/server'), { withFileTypes: true }).filter((d) => d.isFile()).map((d) => d.name);
    expect(loose).toEqual([]);
  });

  it('refuses a file loose in src/lib/server, and one in a room the table does not list', async () => {
    expect(await refusals('src/lib/server/probe.ts', 'export const x = 1;\n')).toEqual([
      'project/rooms: a file of the services lies in a room: move it into the folder of the room it serves (eslint/rooms.js)',
    ]);
    expect(await refusals('src/lib/server/terrace/probe.ts', 'export const x = 1;\n')).toEqual([
      'project/rooms: the room terrace/ is not in eslint/rooms.js: add it, at the floor it stands on',
    ]);
  });

  it('refuses a room that imports a room above it, relative or through $lib, types too', async () => {
    expect(await refusals('src/lib/server/orders/probe.ts', "import { placeOrder } from '../flows/placing.ts';\nexport const p = placeOrder;\n")).toEqual([upward('orders', 'flows')]);
    expect(await refusals('src/lib/server/kernel/probe.ts', "import type { Pizzeria } from '$lib/server/shops/catalogue.ts';\nexport const p: Pizzeria | null = null;\n")).toEqual([upward('kernel', 'shops')]);
    expect(await refusals('src/lib/server/money/probe.ts', "export { listStations } from '../kitchen/stations.ts';\n")).toEqual([upward('money', 'kitchen')]);
  });

  it('lets a flow compose the features below it, and a test beside the code read any room', async () => {
    const composing = "import { placeOrder } from '../flows/placing.ts';\nimport { getMenu } from '../shops/catalogue.ts';\nimport { listStations } from '../kitchen/stations.ts';\nexport const all = [placeOrder, getMenu, listStations];\n";
    expect(await refusals('src/lib/server/flows/probe.ts', composing)).toEqual([]);
    expect((await refusals('src/lib/server/kernel/probe.test.ts', composing)).filter((m) => m.startsWith('project/rooms'))).toEqual([]);
  });

  it('is an order the tree keeps: each room imports only the rooms listed before it', async () => {
    const results = await eslint.lintFiles([join(root, 'src/lib/server')]);
    expect(results.length).toBeGreaterThan(150);
    const broken = results.flatMap((r) => r.messages.filter((m) => m.ruleId === 'project/rooms').map((m) => `${relative(root, r.filePath)}: ${m.message}`));
    expect(broken).toEqual([]);
  }, 120_000);
});
