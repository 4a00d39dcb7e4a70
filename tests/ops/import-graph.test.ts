// The services are rooms (the folders of src/lib/server, eslint/rooms.js), and the rooms stand on floors: each imports only rooms below it, so a room can be
// read, tested and changed knowing only what is under it. An import that runs back up to a room
// that (through others) imports it is a circle between rooms, even when no two files import each
// other (the linter refuses the circles between files); this lists every such import by its files.
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const services = join(import.meta.dirname, '..', '..', 'src/lib/server');

interface Import {
  from: string;
  to: string;
}

/** Every import (types too: a shape is a dependency) between the files of the services, tests left out. */
function serviceImports(): Import[] {
  const files = (readdirSync(services, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  return files.flatMap((file) => {
    const { importedFiles } = ts.preProcessFile(readFileSync(join(services, file), 'utf8'), true, true);
    return importedFiles
      .filter((i) => i.fileName.startsWith('.'))
      .map((i) => {
        const target = resolve(dirname(join(services, file)), i.fileName);
        // an import that reaches no file would leave a hole in the graph
        if (!existsSync(target)) throw new Error(`${file} imports ${i.fileName}, which is no file`);
        return { from: file, to: relative(services, target) };
      })
      .filter((i) => !i.to.startsWith('..'));
  });
}

/** The room a file of the services is in: its folder. */
const roomOf = (file: string) => file.split('/')[0];

/** The imports between rooms that lie on a circle of rooms (rooms that reach one another), by their files. */
function upwardImports(imports: readonly Import[]): string[] {
  const next = new Map<string, Set<string>>();
  for (const { from, to } of imports) {
    const [a, b] = [roomOf(from), roomOf(to)];
    if (a === b) continue;
    if (!next.has(a)) next.set(a, new Set());
    next.get(a)!.add(b);
  }
  const reaches = (a: string, b: string) => {
    const seen = new Set<string>();
    const todo = [a];
    while (todo.length) {
      const room = todo.pop()!;
      if (room === b) return true;
      if (seen.has(room)) continue;
      seen.add(room);
      todo.push(...(next.get(room) ?? []));
    }
    return false;
  };
  return imports
    .filter(({ from, to }) => roomOf(from) !== roomOf(to) && reaches(roomOf(to), roomOf(from)))
    .map(({ from, to }) => `${from} -> ${to}`)
    .sort();
}

describe('the rooms of the services', () => {
  const imports = serviceImports();

  it('reads the imports of every room', () => {
    const rooms = new Set(imports.map((i) => roomOf(i.from)));
    for (const room of ['kernel', 'orders', 'kitchen', 'customers', 'menu', 'printing', 'flows']) expect(rooms, room).toContain(room);
    expect(imports.length).toBeGreaterThan(300);
  });

  it('finds an import that runs back up, and only the imports on the circle', () => {
    const loop = [
      { from: 'orders/place.ts', to: 'offers/promos.ts' },
      { from: 'offers/promos.ts', to: 'orders/lines.ts' },
      { from: 'offers/promos.ts', to: 'kernel/db.ts' },
      { from: 'orders/index.ts', to: 'orders/place.ts' },
    ];
    expect(upwardImports(loop)).toEqual(['offers/promos.ts -> orders/lines.ts', 'orders/place.ts -> offers/promos.ts']);
    expect(upwardImports(loop.slice(1))).toEqual([]);
  });

  it('stand on floors: no import runs back up to a room that imports it', () => {
    expect(upwardImports(imports)).toEqual([]);
  });
});
