#!/usr/bin/env node
// Runs the whole app on one machine without Docker: the server (pages, API, hub) and the workers,
// as two child processes sharing this terminal. Used by `npm run up` after `npm run setup`.
//  - SIGINT / SIGTERM are passed on to both; each stops gracefully on its own.
//  - When either one exits, the other is stopped too and this process exits: a half-running
//    system (screens live but no payments or timers, or the reverse) is worse than a stopped one.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

const GRACE_MS = 15_000; // both entries give up their own shutdown after 10 s

const children = [
  { name: 'server', entry: 'dist/server/index.js' },
  { name: 'workers', entry: 'dist/workers/index.js' },
];

for (const c of children) {
  if (!existsSync(c.entry)) {
    console.error(`[run-all] ${c.entry} is missing: run \`npm run build\` (or \`npm run setup\`) first`);
    process.exit(1);
  }
}

// without SESSION_SECRET the install makes its own on its first start (src/lib/server/kernel/config.ts),
// kept in .session-secret beside it; both processes read it from there
if (!process.env.SESSION_SECRET) {
  console.error(`[run-all] SESSION_SECRET is not set: ${existsSync('.session-secret') ? 'using' : 'making'} this install's own, kept in .session-secret (never commit it)`);
}

let exitCode = null; // set once we are stopping
let killTimer = null;

function stopAll(signal, code) {
  if (exitCode === null) exitCode = code;
  for (const c of children) {
    if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill(signal);
  }
  if (!killTimer) {
    killTimer = setTimeout(() => {
      for (const c of children) {
        if (c.proc.exitCode === null && c.proc.signalCode === null) {
          console.error(`[run-all] ${c.name} did not stop within ${GRACE_MS / 1000} s: killing it`);
          c.proc.kill('SIGKILL');
        }
      }
    }, GRACE_MS);
    killTimer.unref();
  }
}

for (const c of children) {
  c.proc = spawn(process.execPath, [c.entry], { stdio: 'inherit', env: process.env });
  c.proc.on('error', (err) => {
    console.error(`[run-all] could not start ${c.name}: ${err.message}`);
    stopAll('SIGTERM', 1);
  });
  c.proc.on('exit', (code, signal) => {
    if (exitCode === null) {
      // nobody asked it to stop: bring the other one down and report the failure
      console.error(`[run-all] ${c.name} exited (${signal ?? `code ${code}`}): stopping the rest`);
      stopAll('SIGTERM', code ?? 1);
    }
    if (children.every((x) => x.proc.exitCode !== null || x.proc.signalCode !== null)) {
      clearTimeout(killTimer);
      process.exit(exitCode ?? 0);
    }
  });
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (exitCode === null) console.error(`[run-all] ${signal}: stopping server and workers`);
    // a second Ctrl-C is passed on too; the children ignore repeats while stopping
    stopAll(signal, exitCode ?? 0);
  });
}
