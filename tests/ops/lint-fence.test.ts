// The layers hold because the linter refuses what crosses them, wherever the file sits: each probe
// here is a file the linter must refuse (it is linted as if it lay at that path, and never kept),
// and the tree as it stands must pass, so the probes fail for what they import and not for where.
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';

const root = join(import.meta.dirname, '..', '..');
const eslint = new ESLint({ cwd: root });

// the first lint loads the parsers and the resolver: seconds, longer on a busy machine
beforeAll(() => eslint.lintText('export {};\n', { filePath: 'src/lib/server/probe.ts' }), 120_000);

/** The rules that `text` breaks when it lies at `filePath`, one entry per message. */
async function refusals(filePath: string, text: string): Promise<string[]> {
  const [result] = await eslint.lintText(text, { filePath });
  return result.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

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
      expect(found, probe).toHaveLength(2);
      expect(found.every((m) => m.startsWith('import-x/no-restricted-paths')), probe).toBe(true);
    }
  });

  it('lets a service import another room of the services', async () => {
    const found = await refusals('src/lib/server/terrace/probe.ts', "import { AppError } from '../errors.ts';\nimport { orderTotals } from '../../domain/pricing.ts';\nexport const both = [AppError, orderTotals];\n");
    expect(found.filter((m) => m.startsWith('import-x/no-restricted-paths'))).toEqual([]);
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
    const found = await refusals('src/lib/domain/probe.ts', "import { roomFor } from '../realtime/contract.ts';\nimport { AppError } from '../server/errors.ts';\nexport const both = [roomFor, AppError];\n");
    expect(found).toHaveLength(2);
    expect(found.every((m) => m.startsWith('import-x/no-restricted-paths') && m.includes('the domain is pure'))).toBe(true);
  });

  it('refuses an import that reaches no file, as it would pass any fence', async () => {
    expect(await refusals('src/lib/server/terrace/probe.ts', "import { x } from '../../../../server/nowhere.ts';\nexport const y = x;\n")).toEqual([
      expect.stringMatching(/^import-x\/no-unresolved:/),
    ]);
  });

  it('keeps server-only code out of the pages, shapes (types) excepted', async () => {
    const found = await refusals(
      'src/lib/probe.ts',
      "import type { Pizzeria } from './server/catalogue.ts';\nimport { readMenu } from '$lib/server/catalogue.ts';\nimport { createHub } from '../../server/hub.ts';\nexport const both: [Pizzeria?, unknown?, unknown?] = [undefined, readMenu, createHub];\n",
    );
    expect(found).toHaveLength(2);
    expect(found.every((m) => m.includes('pages run in the browser'))).toBe(true);
  });
});

describe('the sizes of the rooms', () => {
  it('refuses a service file over 400 lines', async () => {
    const text = Array.from({ length: 401 }, (_, i) => `export const line${i} = ${i};`).join('\n') + '\n';
    expect(await refusals('src/lib/server/terrace/probe.ts', text)).toEqual([expect.stringMatching(/^max-lines: .*\(401\)/)]);
  });

  it('counts neither blank lines nor comments', async () => {
    const text = Array.from({ length: 400 }, (_, i) => `// why ${i}\nexport const line${i} = ${i};\n`).join('\n');
    expect(await refusals('src/lib/server/terrace/probe.ts', text)).toEqual([]);
  });

  it('refuses a function over 80 lines in the hub, the services and the workers', async () => {
    const text = `export function long() {\n  let total = 0;\n${lines(77)}\n  return total;\n}\n`;
    for (const probe of ['server/probe.ts', 'src/lib/server/orders/probe.ts', 'workers/probe.ts']) {
      expect(await refusals(probe, text), probe).toEqual([expect.stringMatching(/^max-lines-per-function: .*\(81\)/)]);
    }
    const fits = `export function short() {\n  let total = 0;\n${lines(76)}\n  return total;\n}\n`;
    expect(await refusals('workers/probe.ts', fits)).toEqual([]);
  });

  it('leaves the tests their length', async () => {
    const text = `import { it } from 'vitest';\nit('is long', () => {\n  let total = 0;\n${lines(100)}\n  void total;\n});\n`;
    expect(await refusals('src/lib/server/terrace/probe.test.ts', text)).toEqual([]);
  });
});

describe('circles between the services', () => {
  it('refuses two services that import each other', async () => {
    // a circle is only seen through files that exist: these two live for the length of the test
    const dir = join(root, 'src/lib/server', `circle-probe-${process.pid}`);
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
    const results = await eslint.lintFiles(['server', 'workers', 'db', 'src/lib/server', 'src/lib/domain']);
    const found = results.flatMap((r) => r.messages.map((m) => `${r.filePath.slice(root.length + 1)}:${m.line} ${m.ruleId}: ${m.message}`));
    expect(results.length).toBeGreaterThan(200);
    expect(found).toEqual([]);
  }, 300_000);
});
