// The closed vocabularies the domain names: every `export const X = [...] as const` of strings in
// src/lib/domain/*.ts (its tests left out), read from the files themselves when the linter runs,
// so a list the domain exports tomorrow is enforced without a word of the lint configuration. A
// list declared `satisfies` a type (FINAL_STATUSES satisfies StatusSet) is a named set of another
// vocabulary, whose words that vocabulary already holds: it is not one of its own.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

/**
 * @typedef {{ name: string, file: string, words: readonly string[] }} DomainList
 * `name` as exported (ROLES), `file` relative to `root` (src/lib/domain/order-states.ts).
 */

/** @type {Map<string, { key: string, lists: DomainList[] }>} */
const cache = new Map();

/**
 * The vocabularies exported by the domain folder `dir`, read again whenever one of its files is
 * added, removed or changed (a long-lived linter, an editor's, sees a new list at once).
 * @param {string} dir the domain folder, absolute
 * @param {string} root what `file` is relative to
 * @returns {DomainList[]}
 */
export function domainLists(dir, root) {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
    .sort();
  const key = files.map((f) => `${f}:${statSync(join(dir, f)).mtimeMs}`).join('|');
  const known = cache.get(dir);
  if (known?.key === key) return known.lists;
  const lists = files.flatMap((f) => listsIn(readFileSync(join(dir, f), 'utf8'), relative(root, join(dir, f))));
  cache.set(dir, { key, lists });
  return lists;
}

/**
 * The exported `as const` arrays of string literals of one file (not those that `satisfies` a type).
 * @param {string} text
 * @param {string} file
 * @returns {DomainList[]}
 */
export function listsIn(text, file) {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const exported = (s) => ts.canHaveModifiers(s) && (ts.getModifiers(s) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  return source.statements
    .filter((s) => ts.isVariableStatement(s) && exported(s))
    .flatMap((s) => s.declarationList.declarations)
    .flatMap((d) => {
      const words = constStrings(d.initializer);
      return ts.isIdentifier(d.name) && words ? [{ name: d.name.text, file, words }] : [];
    });
}

/** The strings of `[...] as const` when every element is a string literal; undefined for anything else. */
function constStrings(node) {
  while (node && ts.isParenthesizedExpression(node)) node = node.expression;
  // `[...] as const satisfies T` is a satisfies around the `as const`: a set, left out here
  if (!node || !ts.isAsExpression(node) || !ts.isTypeReferenceNode(node.type) || !ts.isIdentifier(node.type.typeName) || node.type.typeName.text !== 'const') return undefined;
  let array = node.expression;
  while (ts.isParenthesizedExpression(array)) array = array.expression;
  if (!ts.isArrayLiteralExpression(array) || array.elements.length === 0) return undefined;
  if (!array.elements.every((e) => ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e))) return undefined;
  return array.elements.map((e) => e.text);
}
