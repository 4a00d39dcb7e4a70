// The operations guide exists twice, in English (docs/operations.md) and in French for OC Pizza's
// teams (docs/exploitation.md). They must not drift: the same numbered sections, the same
// commands, and no credential in either.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';

const english = readFileSync('docs/operations.md', 'utf8');
const french = readFileSync('docs/exploitation.md', 'utf8');

/** "3", "3.1"… of every `##` and `###` heading, outside code blocks. */
function sections(md: string): string[] {
  const out: string[] = [];
  let fenced = false;
  for (const line of md.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    if (fenced) continue;
    const m = /^#{2,3} (\d+(?:\.\d+)?)[. ]/.exec(line);
    if (m) out.push(m[1]);
    else if (/^#{2,3} /.test(line)) out.push(`unnumbered: ${line}`);
  }
  return out;
}

const COMMAND = /^(npm|npx|node|docker-compose|docker|systemctl|journalctl|curl|pg_restore|pg_dump|pg_ctlcluster|heroku|promtool|nginx|certbot|apt-get|git|deploy\/install\.sh|bash|kill|psql|redis-cli|mc|aws|openssl|ssh-keyscan|UPDATE|SELECT)\b/;
/** Placeholders may be translated (`<your domain>`, `<votre domaine>`): compared as `<…>`. */
const normal = (cmd: string) => cmd.replace(/<[^<>]*>/g, '<…>').replace(/\s+/g, ' ').trim();

/** Every line of every code block (comments left out: they are translated), and every inline command. */
function commands(md: string): string[] {
  const out = new Set<string>();
  let fenced = false;
  for (const line of md.split('\n')) {
    if (line.startsWith('```')) {
      fenced = !fenced;
      continue;
    }
    if (fenced) {
      const code = line.replace(/\s+#\s.*$/, '').trim();
      if (code && !code.startsWith('#')) out.add(normal(code));
      continue;
    }
    for (const m of line.matchAll(/`([^`]+)`/g)) if (COMMAND.test(m[1])) out.add(normal(m[1]));
  }
  return [...out].sort();
}

describe('the operations guide in English and in French', () => {
  it('have the same numbered sections, in the same order', () => {
    const en = sections(english);
    expect(en.filter((s) => s.startsWith('unnumbered'))).toEqual([]);
    expect(sections(french)).toEqual(en);
    // what the French teams' dossier d'exploitation must cover
    for (const title of ['Prérequis', 'PaaS', 'VPS', 'Conteneurs', 'Démarrage et arrêt', 'Mise à jour', 'Supervision et alertes', 'Sauvegarde et restauration', 'Redis', 'Postgres', 'serveur']) {
      expect(french, title).toMatch(new RegExp(`^#{2,3} .*${title}`, 'm'));
    }
  });

  it('give the same commands', () => {
    const en = commands(english);
    const fr = commands(french);
    expect(en.length).toBeGreaterThan(40);
    expect(fr.filter((c) => !en.includes(c)), 'commands only the French guide has').toEqual([]);
    expect(en.filter((c) => !fr.includes(c)), 'commands only the English guide has').toEqual([]);
  });

  it('hold no credential: placeholders only', () => {
    for (const md of [english, french]) {
      expect(md).not.toMatch(/\b(sk|rk)_(live|test)_[A-Za-z0-9]{6,}/);
      expect(md).not.toMatch(/\bwhsec_[A-Za-z0-9]{6,}/);
      expect(md).not.toMatch(/-----BEGIN [A-Z ]*PRIVATE KEY-----/);
      // a URL with a password in it that is not a <placeholder> or a ${VARIABLE}
      expect(md).not.toMatch(/[a-z]+:\/\/[^\s:@/<`]+:(?![<$])[^\s@<>`]+@/);
    }
  });
});
