import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import en from './en.json' with { type: 'json' };
import fr from './fr.json' with { type: 'json' };
import { createI18n } from './index.ts';

type Tree = { [k: string]: string | Tree };
const flatten = (t: Tree, prefix = ''): string[] =>
  Object.entries(t).flatMap(([k, v]) => (typeof v === 'string' ? [prefix + k] : flatten(v, `${prefix}${k}.`)));
const base = (k: string) => k.replace(/_(one|other|zero|few|many)$/, '');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sourceFiles(p) : /\.(svelte|ts)$/.test(f) && !f.endsWith('.test.ts') ? [p] : [];
  });
}

describe('messages', () => {
  it('has the same keys in French and English', () => {
    expect(flatten(en as Tree).sort()).toEqual(flatten(fr as Tree).sort());
  });

  it('has a message for every literal key the pages use', () => {
    const keys = new Set(flatten(fr as Tree).map(base));
    const used = new Set<string>();
    for (const file of ['src/routes', 'src/lib/faces', 'src/lib/shared'].flatMap(sourceFiles)) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\bt\(\s*'([a-zA-Z0-9_.]+)'/g)) used.add(m[1]);
    }
    expect(used.size).toBeGreaterThan(50);
    expect([...used].filter((k) => !keys.has(k))).toEqual([]);
  });

  it('formats prices and plurals per locale', () => {
    const f = createI18n('fr');
    const e = createI18n('en');
    expect(f.price(1290).replace(/\s/g, ' ')).toBe('12,90 €');
    expect(e.price(1290)).toBe('€12.90');
    expect(f.t('status.preparing')).toBe('En préparation');
    expect(e.t('manager.late', { count: 2 })).toBe('2 late');
  });
});
