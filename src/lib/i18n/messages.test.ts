import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MESSAGE_FILES, messagesOf } from './catalogue.ts';
import { LOCALES } from './core.ts';
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

const faces = join(import.meta.dirname, '..', 'faces');

describe('messages', () => {
  it('has the same keys in French and English, file by file', () => {
    for (const [file, messages] of Object.entries(MESSAGE_FILES.fr)) {
      expect(flatten(MESSAGE_FILES.en[file] as Tree).sort(), file).toEqual(flatten(messages as Tree).sort());
    }
    expect(Object.keys(MESSAGE_FILES.en).sort()).toEqual(Object.keys(MESSAGE_FILES.fr).sort());
  });

  it('lists every face\'s texts, and writes each namespace in one file only', () => {
    const onDisk = readdirSync(faces).filter((face) => statSync(join(faces, face, 'texts'), { throwIfNoEntry: false })?.isDirectory());
    expect(onDisk.length).toBeGreaterThanOrEqual(7);
    for (const locale of LOCALES) {
      expect(Object.keys(MESSAGE_FILES[locale]).filter((f) => f !== 'shared').sort(), locale).toEqual(onDisk.sort());
      for (const face of onDisk) expect(MESSAGE_FILES[locale][face], `${face} ${locale}`).toEqual(JSON.parse(readFileSync(join(faces, face, 'texts', `${locale}.json`), 'utf8')));
      const seen = new Map<string, string>();
      const twice: string[] = [];
      for (const [file, messages] of Object.entries(MESSAGE_FILES[locale])) {
        for (const ns of Object.keys(messages)) {
          if (seen.has(ns)) twice.push(`${ns}: ${seen.get(ns)} and ${file}`);
          seen.set(ns, file);
        }
      }
      expect(twice, locale).toEqual([]);
    }
  });

  it('has a message for every literal key the pages use', () => {
    const keys = new Set(flatten(messagesOf('fr') as Tree).map(base));
    const used = new Set<string>();
    for (const file of ['src/routes', 'src/lib/faces', 'src/lib/shared'].flatMap(sourceFiles)) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\bt\(\s*'([a-zA-Z0-9_.]+)'/g)) used.add(m[1]);
    }
    expect(used.size).toBeGreaterThan(50);
    expect([...used].filter((k) => !keys.has(k))).toEqual([]);
  });

  it('translates from every file: the shared words and each face\'s', () => {
    const f = createI18n('fr');
    const e = createI18n('en');
    expect(f.price(1290).replace(/\s/g, ' ')).toBe('12,90 €');
    expect(e.price(1290)).toBe('€12.90');
    expect(f.t('status.preparing')).toBe('En préparation');
    expect(e.t('manager.late', { count: 2 })).toBe('2 late');
    for (const face of Object.keys(MESSAGE_FILES.fr).filter((x) => x !== 'shared')) {
      const [ns] = Object.keys(MESSAGE_FILES.fr[face]);
      const [key] = flatten(MESSAGE_FILES.fr[face][ns] as Tree);
      expect(f.t(`${ns}.${key}`), face).not.toBe(`${ns}.${key}`);
    }
  });
});
