// The environment is documented once: docs/configuration.md has one table row per variable the
// configuration schema reads, and .env.example lists every one of them. A variable added to the
// schema without its row and its line fails here; so does a row for a variable the schema dropped.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { CONFIG_KEYS } from '../../src/lib/server/kernel/config.ts';

const docs = readFileSync('docs/configuration.md', 'utf8');
const example = readFileSync('.env.example', 'utf8');

/** The first cell of every table row outside code blocks; a header row (the one above a `| --- |` row) and separators left out. */
function firstCells(md: string): string[] {
  const cells: string[] = [];
  const lines = md.split('\n');
  const separator = (line: string | undefined) => line !== undefined && /^\|(\s*:?-+:?\s*\|)+\s*$/.test(line);
  let fenced = false;
  lines.forEach((line, i) => {
    if (line.startsWith('```')) fenced = !fenced;
    if (fenced || !line.startsWith('|') || separator(line) || separator(lines[i + 1])) return;
    cells.push(line.split('|')[1].trim());
  });
  return cells;
}

describe('the configuration reference', () => {
  const cells = firstCells(docs);

  it('reads the schema', () => {
    expect(CONFIG_KEYS.length).toBeGreaterThan(50);
    expect(CONFIG_KEYS).toContain('DATABASE_URL');
    expect(CONFIG_KEYS).toContain('MAP_TILE_URL');
  });

  it('names one variable per row, each in backquotes', () => {
    expect(cells.length).toBeGreaterThan(0);
    expect(cells.filter((c) => !/^`[A-Z][A-Z0-9_]*`$/.test(c)), 'rows whose first cell is not one `VARIABLE`').toEqual([]);
  });

  it('has a row for every variable of the schema, exactly once', () => {
    const names = cells.map((c) => c.replace(/`/g, ''));
    const count = (k: string) => names.filter((n) => n === k).length;
    expect(CONFIG_KEYS.filter((k) => count(k) === 0), 'variables without a row in docs/configuration.md').toEqual([]);
    expect(CONFIG_KEYS.filter((k) => count(k) > 1), 'variables with more than one row').toEqual([]);
  });

  it('has no row for a variable the schema does not read', () => {
    const names = cells.map((c) => c.replace(/`/g, ''));
    expect(names.filter((n) => !CONFIG_KEYS.includes(n)), 'rows naming no variable of the schema').toEqual([]);
  });
});

describe('.env.example', () => {
  it('lists every variable of the schema, set or commented out', () => {
    const listed = new Set([...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
    expect(CONFIG_KEYS.filter((k) => !listed.has(k)), 'variables missing from .env.example').toEqual([]);
  });

  it('holds placeholders, no credential', () => {
    expect(example).not.toMatch(/\b(sk|rk)_(live|test)_[A-Za-z0-9]{6,}/);
    expect(example).not.toMatch(/\bwhsec_[A-Za-z0-9]{6,}/);
    expect(example).not.toMatch(/-----BEGIN [A-Z ]*PRIVATE KEY-----/);
    // a URL with a password in it that is not a <placeholder>
    expect(example).not.toMatch(/[a-z]+:\/\/[^\s:@/<]+:(?!<)[^\s@<>]+@/);
  });
});
