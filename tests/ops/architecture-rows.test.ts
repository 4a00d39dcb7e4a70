// docs/architecture.md says where to change what: each row of its table names the files to edit, and
// its layout names each face's folder. A row that names a file moved or gone, or a face the layout
// does not name, sends the next person to the wrong place: these checks read the rows against the tree.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const doc = readFileSync(join(root, 'docs/architecture.md'), 'utf8');
const tracked = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);
const folders = new Set(tracked.flatMap((f) => f.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/'))));

/** The table's rows, by what they are for ("an order state", "a page"…). */
const rows = new Map(
  doc.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| ---') && !l.startsWith('| to add or change')).map((l) => [l.split('|')[1].trim(), l]),
);

/** The paths a row names in backquotes: a file (with its extension) or a folder (ending in /). */
const named = (row: string): string[] =>
  [...row.matchAll(/`([\w.[\]+-]+(?:\/[\w.[\]+-]+)*(?:\.(?:ts|svelte|json|sql|js|mjs|yml|md)|\/))`/g)].map((m) => m[1]).filter((p) => p.includes('/') || /\.(ts|svelte|sql)$/.test(p));

/** Whether a named path is in the tree: from the root, or as the end of a path a row names from its room ("money/provider.ts"). */
const exists = (p: string): boolean => {
  if (p.endsWith('/')) {
    const dir = p.slice(0, -1);
    return folders.has(dir) || [...folders].some((f) => f.endsWith(`/${dir}`));
  }
  if (p.includes('*')) return true;
  return tracked.includes(p) || tracked.some((f) => f.endsWith(`/${p}`));
};

describe("docs/architecture.md's where to change what", () => {
  for (const what of ['an order state', 'a delivery platform', 'a page', 'a payment provider', 'who may do what, or a role', 'a kitchen feature']) {
    it(`names, for ${what}, files and folders that are in the tree`, () => {
      const row = rows.get(what) ?? [...rows].find(([k]) => k.startsWith(what))?.[1];
      expect(row, what).toBeDefined();
      const paths = named(row!);
      expect(paths.length, what).toBeGreaterThan(2);
      expect(paths.filter((p) => !exists(p)), what).toEqual([]);
    });
  }

  it('names, for a fiscal event, files that are in the tree', () => {
    const [, row] = [...rows].find(([k]) => k.startsWith('a fiscal event'))!;
    expect(named(row).filter((p) => !exists(p))).toEqual([]);
    expect(named(row)).toContain('src/lib/domain/fiscal-facts.ts');
  });

  it('names every face folder in the layout, and no face that is not there', () => {
    const faces = readdirSync(join(root, 'src/lib/faces'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(faces.length).toBeGreaterThanOrEqual(6);
    const line = doc.split('\n').find((l) => l.startsWith('src/lib/faces'))!;
    const listed = line.match(/\(([^)]*)/)![1].split(/[,;]\s*/).map((w) => w.trim().split(/\s/)[0]).filter((w) => /^[a-z-]+$/.test(w));
    for (const face of faces) expect(listed, face).toContain(face);
  });
});

describe("docs/architecture.md's rooms of the services", () => {
  it('lists the rooms of eslint/rooms.js, in their order, and each is a folder of src/lib/server', async () => {
    const { rooms } = await import('../../eslint/rooms.js');
    const at = doc.split('\n').findIndex((l) => l.startsWith('src/lib/server'));
    const listed: string[] = [];
    for (const line of doc.split('\n').slice(at + 1)) {
      const m = line.match(/^ {2}([a-z-]+)\/\s/);
      if (!m) break;
      listed.push(m[1]);
    }
    expect(listed).toEqual(rooms.map((r: { room: string }) => r.room));
    for (const room of listed) expect(folders.has(`src/lib/server/${room}`), room).toBe(true);
  });
});
