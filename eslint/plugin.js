// The project's own rules (`project/…` in eslint.config.js).
import { dirname, relative, resolve } from 'node:path';
import { domainLists } from './domain-lists.js';
import { SERVICES, rooms as roomTable } from './rooms.js';

/**
 * A file in no zone of eslint/zones.js. eslint.config.js turns this rule on for every file and
 * off for the files of each zone, so a file it still reaches lies in a folder the table does not
 * list: it is refused until the folder is added, with what it may import.
 */
const zones = {
  meta: {
    type: 'problem',
    docs: { description: 'every file lies in a zone of eslint/zones.js' },
    schema: [],
    messages: { none: 'this folder is in no zone: add it to eslint/zones.js ({{folder}}/, with what it may import)' },
  },
  create(context) {
    return {
      Program(node) {
        const folder = relative(context.cwd, dirname(context.physicalFilename)) || '.';
        context.report({ node, loc: { line: 1, column: 0 }, messageId: 'none', data: { folder } });
      },
    };
  },
};

/**
 * A closed vocabulary of the domain typed again elsewhere: an array whose strings are all words of
 * one list the domain exports (a `new Set([...])` too), a union type of them, or an SQL `IN ('…')`
 * list of them. The lists are read from the domain's files (eslint/domain-lists.js), so a list
 * the domain exports is enforced the day it appears. `say` words the message of a list by name.
 */
const namedOnce = {
  meta: {
    type: 'problem',
    docs: { description: 'the lists the domain exports are named once, in the domain' },
    schema: [
      {
        type: 'object',
        properties: { domain: { type: 'string' }, say: { type: 'object', additionalProperties: { type: 'string' } } },
        required: ['domain'],
        additionalProperties: false,
      },
    ],
  },
  create(context) {
    const { domain, say = {} } = context.options[0];
    const lists = domainLists(resolve(context.cwd, domain), context.cwd)
      // the lists with a message of their own first, then the narrowest: the message names the likeliest first
      .map((l) => ({ ...l, set: new Set(l.words) }))
      .sort((a, b) => Number(b.name in say) - Number(a.name in say) || a.words.length - b.words.length);
    const human = (name) => name.toLowerCase().replaceAll('_', ' ');
    const messageOf = (l) => say[l.name] ?? `a list of ${human(l.name)}: use ${l.name} (or its type, or a set named beside it) from ${l.file}`;

    /** Report `node` once when every word of `words` (at least one) is in one list of the domain. */
    function check(node, words) {
      if (words.length === 0) return;
      const found = lists.filter((l) => words.every((w) => l.set.has(w)));
      if (found.length === 0) return;
      const [first, ...also] = found;
      const others = also.length ? ` (the same words are in ${also.map((l) => `${l.name}, ${l.file}`).join('; ')})` : '';
      context.report({ node, message: messageOf(first) + others });
    }

    /** The words of each `IN ('a', 'b'…` of an SQL text (a template's part too: `IN ('a', ${x})` gives 'a'). */
    function checkSql(node, text) {
      for (const m of text.matchAll(/\bIN\s*\(\s*('[^']*'(?:\s*,\s*'[^']*')*)/gi)) {
        check(node, [...m[1].matchAll(/'([^']*)'/g)].map((w) => w[1]));
      }
    }

    return {
      ArrayExpression(node) {
        // a list of strings: its literals are all strings (a tuple like ['Cuisine', 'kitchen'] is caught by the
        // words, ['cash', 12] is a pair, not a list); elements that are not literals say nothing
        const literals = node.elements.filter((e) => e?.type === 'Literal');
        if (literals.every((e) => typeof e.value === 'string')) check(node, literals.map((e) => e.value));
      },
      TSUnionType(node) {
        // 'a' | 'b', maybe with null or undefined: a union of anything else is a different type
        const strings = node.types.filter((t) => t.type === 'TSLiteralType' && typeof t.literal.value === 'string');
        const rest = node.types.filter((t) => !strings.includes(t));
        if (strings.length >= 2 && rest.every((t) => t.type === 'TSNullKeyword' || t.type === 'TSUndefinedKeyword')) check(node, strings.map((t) => t.literal.value));
      },
      Literal(node) {
        if (typeof node.value === 'string') checkSql(node, node.value);
      },
      TemplateElement(node) {
        checkSql(node, node.value.raw);
      },
    };
  },
};

/**
 * The floors of the services (eslint/rooms.js): a file of src/lib/server lies in a room the table
 * lists, and imports only its own room and the rooms listed before it. Imports are read as
 * written (relative or `$lib/server/…`), types included: a shape is a dependency too.
 */
const rooms = {
  meta: {
    type: 'problem',
    docs: { description: 'the rooms of the services import downwards only, in the order of eslint/rooms.js' },
    schema: [],
    messages: {
      loose: 'a file of the services lies in a room: move it into the folder of the room it serves (eslint/rooms.js)',
      unlisted: 'the room {{room}}/ is not in eslint/rooms.js: add it, at the floor it stands on',
      upward: 'the room {{from}}/ stands below {{to}}/ (eslint/rooms.js): it may not import it; move the use case that needs both up (a flow, in flows/) or the piece both need down',
    },
  },
  create(context) {
    const order = roomTable.map((r) => r.room);
    const base = resolve(context.cwd, SERVICES);
    const roomAt = (file) => {
      const rel = relative(base, file);
      if (rel.startsWith('..') || rel === '') return undefined;
      return rel.includes('/') ? rel.split('/')[0] : '';
    };
    const here = roomAt(context.physicalFilename);
    if (here === undefined) return {};
    const check = (node) => {
      const spec = node.source?.value;
      if (typeof spec !== 'string') return;
      const target = spec.startsWith('$lib/') ? resolve(context.cwd, 'src/lib', spec.slice(5)) : spec.startsWith('.') ? resolve(dirname(context.physicalFilename), spec) : undefined;
      const there = target && roomAt(target);
      if (!there || there === here || !order.includes(here)) return;
      if (order.indexOf(there) > order.indexOf(here)) context.report({ node: node.source, messageId: 'upward', data: { from: here, to: there } });
    };
    return {
      Program(node) {
        if (here === '') context.report({ node, loc: { line: 1, column: 0 }, messageId: 'loose' });
        else if (!order.includes(here)) context.report({ node, loc: { line: 1, column: 0 }, messageId: 'unlisted', data: { room: here } });
      },
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
    };
  },
};

export default { meta: { name: 'project' }, rules: { zones, 'named-once': namedOnce, rooms } };
