// Who may do what, which statuses go together, and every other closed list the domain exports are
// named once, in the domain; the linter refuses a copy typed anywhere else, reading the lists from the
// domain's files (eslint/domain-lists.js). Each probe is linted as if it lay at that path, and never kept.
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ESLint } from 'eslint';
import { ORDER_STATUSES, ROLES } from '../../src/lib/domain/order-states.ts';

const root = join(import.meta.dirname, '..', '..');
const eslint = new ESLint({ cwd: root });

/** What the named-once rule says about `text` when it lies at `filePath`. */
async function refusals(filePath: string, text: string): Promise<string[]> {
  const [result] = await eslint.lintText(text, { filePath });
  return result.messages.filter((m) => m.ruleId === 'project/named-once').map((m) => m.message);
}

const roleList = "export const managers = ['manager', 'admin'];\nexport const crew = new Set(['kitchen', 'counter']);\n";
const statusList = [
  "export const done = ['delivered', 'collected'];",
  "export type Bumped = 'ready' | 'collected';",
  'export const sql = `SELECT id FROM orders WHERE status IN (\'ready\', \'out_for_delivery\')`;',
  "export const sql2 = \"SELECT id FROM orders WHERE status NOT IN ('delivered', 'collected')\";",
  '',
].join('\n');

describe('permissions and status sets, named once', () => {
  // the first lint loads the config and its parsers: slow on a busy machine
  beforeAll(() => eslint.lintText('', { filePath: 'src/lib/server/kernel/probe.ts' }), 120_000);

  it('refuses a list of roles typed in a service, an API route or a page', async () => {
    for (const at of ['src/lib/server/stock/probe.ts', 'server/api/probe.ts', 'src/routes/terrace/+page.server.ts', 'workers/probe.ts']) {
      expect(await refusals(at, roleList), at).toEqual([expect.stringMatching(/^a list of roles/), expect.stringMatching(/^a list of roles/)]);
    }
  });

  it('refuses a list of statuses in code, in a type and in SQL', async () => {
    const found = await refusals('src/lib/server/stock/probe.ts', statusList);
    expect(found).toHaveLength(4);
    expect(found.every((m) => m.startsWith('a list of order statuses'))).toBe(true);
  });

  it('refuses the fulfilment pair spelled out', async () => {
    expect(await refusals('src/lib/server/stock/probe.ts', "export type How = 'pickup' | 'delivery';\n")).toEqual([expect.stringMatching(/Fulfilment/)]);
  });

  it('accepts the same lists in the domain, where they are named', async () => {
    expect(await refusals('src/lib/domain/probe.ts', roleList + statusList)).toEqual([]);
  });

  it('accepts the names, and a list that only happens to hold a role among other words', async () => {
    const text = [
      "import { can, may } from '../../domain/permissions.ts';",
      "import { FINAL_STATUSES, sqlList } from '../../domain/order-states.ts';",
      'export const managers = can.runShop;',
      "export const allowed = (role: 'admin') => may(role, can.cook);",
      'export const sql = `SELECT id FROM orders WHERE status IN (${sqlList(FINAL_STATUSES)})`;',
      "export const seat = ['Cuisine', 'kitchen'];",
      "export const channels = ['online', 'phone', 'counter'];",
      '',
    ].join('\n');
    expect(await refusals('src/lib/server/stock/probe.ts', text)).toEqual([]);
  });

  it('knows every role and every status of the domain (the rule cannot drift from them)', async () => {
    for (const role of ROLES) {
      expect(await refusals('src/lib/server/kernel/probe.ts', `export const who = ['${role}'];\n`), role).toHaveLength(1);
    }
    for (const status of ORDER_STATUSES) {
      expect(await refusals('src/lib/server/kernel/probe.ts', `export const which = ['${status}'];\n`), status).toHaveLength(1);
      expect(await refusals('src/lib/server/kernel/probe.ts', `export const sql = \`WHERE status IN ('${status}')\`;\n`), status).toHaveLength(1);
    }
  });
});

describe('roles asked about by what they may do, not by name', () => {
  /** What the linter says of `text` at `filePath` about a role compared by name. */
  const byName = async (filePath: string, text: string) =>
    (await eslint.lintText(text, { filePath }))[0].messages.filter((m) => m.message.startsWith('a role compared by name'));

  it('refuses a role compared by name anywhere but the permissions module, either way round', async () => {
    for (const [probe, text] of [
      ['src/lib/server/stock/probe.ts', "export const office = (u: { role: string }) => u.role === 'admin';\n"],
      ['server/api/probe.ts', "export const driving = (role: string) => 'driver' !== role;\n"],
      ['src/routes/manager/probe/+page.server.ts', "export const load = ({ locals }: { locals: { user: { role: string } } }) => ({ all: locals.user.role == 'manager' });\n"],
    ]) {
      expect(await byName(probe, text), probe).toHaveLength(1);
    }
    // a word that is no role, and the permissions module itself, pass
    expect(await byName('src/lib/server/stock/probe.ts', "export const odd = (u: { role: string }) => u.role === 'pizzaiolo';\n")).toEqual([]);
    expect(await byName('src/lib/domain/permissions.ts', "export const office = (u: { role: string }) => u.role === 'admin';\n")).toEqual([]);
  });
});

describe('every closed list the domain exports, named once', () => {
  it('refuses a copy of a list the domain exports, in code, in a type and in SQL', async () => {
    const text = [
      "export const ways = ['cash', 'card'];",
      "export type Level = 'day' | 'month' | 'year';",
      "export const sql = `SELECT id FROM fiscal_entries WHERE kind IN ('sale', 'refund')`;",
      '',
    ].join('\n');
    expect(await refusals('src/lib/faces/terrace/probe.ts', text)).toEqual([
      expect.stringMatching(/HANDOVER_METHODS.*src\/lib\/domain\/payment-split\.ts.*TIP_WAYS/),
      expect.stringMatching(/^a list of closing levels: use CLOSING_LEVELS .*src\/lib\/domain\/fiscal-closing\.ts/),
      expect.stringMatching(/^a list of sales kinds: use SALES_KINDS .*src\/lib\/domain\/fiscal-chain\.ts/),
    ]);
  });

  it('enforces a list the domain exports tomorrow, without a word of the lint configuration', async () => {
    // a new closed list, exported by a domain file of its own for the length of the test
    const file = join(root, 'src/lib/domain', `table-states-probe-${process.pid}.ts`);
    const copy = "export const open = ['free', 'seated'];\nexport type Bill = 'seated' | 'paying';\n";
    expect(await refusals('src/lib/server/stock/probe.ts', copy)).toEqual([]);
    try {
      writeFileSync(file, "// The states of a table in the dining room.\nexport const TABLE_STATES = ['free', 'seated', 'paying'] as const;\nexport type TableState = (typeof TABLE_STATES)[number];\n");
      const named = `a list of table states: use TABLE_STATES (or its type, or a set named beside it) from src/lib/domain/table-states-probe-${process.pid}.ts`;
      for (const at of ['src/lib/server/stock/probe.ts', 'src/routes/terrace/+page.server.ts', 'src/lib/faces/terrace/probe.ts', 'scripts/probe.ts']) {
        expect(await refusals(at, copy), at).toEqual([named, named]);
      }
      // in the domain, where it is named, and built from the list, it stands
      expect(await refusals('src/lib/domain/probe.ts', copy)).toEqual([]);
      const built = `import { TABLE_STATES } from '../../domain/table-states-probe-${process.pid}.ts';\nexport const open = TABLE_STATES.filter((s) => s !== 'paying');\n`;
      expect(await refusals('src/lib/server/stock/probe.ts', built)).toEqual([]);
    } finally {
      rmSync(file, { force: true });
    }
    expect(await refusals('src/lib/server/stock/probe.ts', copy)).toEqual([]);
  });

  it('reads every list the domain exports as a closed vocabulary (a set that satisfies one is not one of its own)', async () => {
    const { domainLists } = await import('../../eslint/domain-lists.js');
    const names = domainLists(join(root, 'src/lib/domain'), root).map((l: { name: string }) => l.name);
    for (const name of ['ROLES', 'ORDER_STATUSES', 'FULFILMENTS', 'SALES_KINDS', 'JET_KINDS', 'PAYMENT_WAYS', 'HANDOVER_METHODS', 'TIP_WAYS', 'REFUND_METHODS', 'CLOSING_LEVELS']) {
      expect(names, name).toContain(name);
    }
    for (const set of ['FINAL_STATUSES', 'MARKETPLACE_STEPS', 'NO_MONEY_KINDS', 'REPORTED_KINDS', 'SCREEN_FORMS']) expect(names, set).not.toContain(set);
  });
});

describe("docs/architecture.md's row for a new order state", () => {
  const row = readFileSync(join(root, 'docs/architecture.md'), 'utf8').split('\n').find((l) => l.startsWith('| an order state |'))!;
  const named = [...row.matchAll(/`([\w./[\]+-]+\/|[\w./[\]+-]+\.(?:ts|svelte|json|sql))`/g)].map((m) => m[1]).filter((p) => p.includes('/') && !p.startsWith('tests/'));
  /** The places a new status may touch: the domain, a migration, the i18n files, the screens (routes, faces and what they share). */
  const allowed = /^(src\/lib\/domain\/|db\/migrations\/|src\/lib\/i18n\/|src\/routes\/|src\/lib\/(faces|shared)\/)/;

  it('names files that exist, all in the domain, a migration, the i18n files or the screens', () => {
    expect(named.length).toBeGreaterThan(10);
    for (const path of named) {
      expect(existsSync(join(root, path)), path).toBe(true);
      expect(path, path).toMatch(allowed);
    }
  });

  it('names every status set the domain exports, and the file that holds them', () => {
    const sets = [...readFileSync(join(root, 'src/lib/domain/order-states.ts'), 'utf8').matchAll(/^export const (\w+_STATUSES)\b/gm)].map((m) => m[1]);
    expect(sets).toContain('FINAL_STATUSES');
    for (const set of sets) expect(row, set).toContain(`\`${set}\``);
    expect(named).toContain('src/lib/domain/order-states.ts');
  });

  it('names every screen that spells a status', () => {
    const status = new RegExp(`['"](${ORDER_STATUSES.join('|')})['"]`);
    const screens = (dir: string): string[] =>
      readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
        .filter((e) => e.isFile() && /\.(svelte|ts)$/.test(e.name) && !e.name.endsWith('.test.ts'))
        .map((e) => relative(root, join(e.parentPath, e.name)));
    const spelling = [...screens('src/routes'), ...screens('src/lib/shared'), ...screens('src/lib/faces')].filter((f) => status.test(readFileSync(join(root, f), 'utf8')));
    expect(spelling.length).toBeGreaterThan(0);
    for (const file of spelling) expect(named.some((p) => file === p || (p.endsWith('/') && file.startsWith(p))), file).toBe(true);
  });
});

describe('every Redis connection of the product, made in one place', () => {
  // one Redis or the master behind Sentinel: a connection made elsewhere would miss REDIS_SENTINELS
  // (and TLS), and stay on a dead master after a failover
  const factory = 'src/lib/server/kernel/redis-options.ts';
  const sources = (dir: string): string[] =>
    readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? sources(join(dir, e.name)) : /\.(ts|js|svelte)$/.test(e.name) && !/\.test\.ts$/.test(e.name) ? [join(dir, e.name)] : [],
    );

  it('no Redis client is made outside src/lib/server/kernel/redis-options.ts', () => {
    const found = ['server', 'workers', 'src']
      .flatMap(sources)
      .filter((f) => relative(root, join(root, f)) !== factory)
      .flatMap((f) =>
        readFileSync(join(root, f), 'utf8')
          .split('\n')
          .flatMap((line, i) => (/\bnew\s+(IO)?Redis\s*\(|\bcreate(Client|Sentinel|Cluster)\s*\(\s*\{[^}]*url|\bcreate(Sentinel|Cluster)\s*\(/.test(line) ? [`${f}:${i + 1}: ${line.trim()}`] : [])),
      );
    expect(found).toEqual([]);
    expect(readFileSync(join(root, factory), 'utf8')).toMatch(/new Redis\(redisOptions/);
  });
});
