#!/usr/bin/env node
// npm run bench -- <name> [args...]  builds, then runs dist/bench/<name>.bench.js.
// Each benchmark prints a table with the command, the figures and the machine.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '..', '..');
const [name, ...rest] = process.argv.slice(2);
const b = spawnSync('npm', ['run', '-s', 'build'], { stdio: 'inherit', cwd: root });
if (b.status !== 0) process.exit(b.status ?? 1);
const dir = join(root, 'dist', 'bench');
const known = existsSync(dir)
  ? readdirSync(dir)
      .filter((f) => f.endsWith('.bench.js'))
      .map((f) => f.replace('.bench.js', ''))
  : [];
if (!name || !known.includes(name)) {
  console.error(`usage: npm run bench -- <${known.join(' | ')}>`);
  process.exit(2);
}
const r = spawnSync(
  process.execPath,
  [
    '--enable-source-maps',
    '--expose-gc',
    '--max-semi-space-size=64',
    join(dir, `${name}.bench.js`),
    ...rest,
  ],
  {
    stdio: 'inherit',
    cwd: root,
    env: { ...process.env, BENCH_COMMAND: `npm run bench -- ${[name, ...rest].join(' ')}` },
  },
);
process.exit(r.status ?? 1);
