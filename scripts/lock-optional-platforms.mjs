#!/usr/bin/env node
// chdb lists its engine for four platforms as optionalDependencies (@chdb/lib-*). When the registry
// an install runs against serves only some of them, npm leaves the others out of package-lock.json and
// `npm ci` then refuses the lock ("Missing: @chdb/lib-darwin-arm64@ from lock file"). This adds the
// missing platform entries back (with their os/cpu, so npm skips them on other machines).
// Run after any `npm install` that rewrote the lock: `npm run lock:fix`.
import { readFileSync, writeFileSync } from 'node:fs';

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const chdb = lock.packages['node_modules/chdb'];
if (!chdb) process.exit(0);
const platforms = {
  '@chdb/lib-darwin-arm64': { os: ['darwin'], cpu: ['arm64'] },
  '@chdb/lib-darwin-x64': { os: ['darwin'], cpu: ['x64'] },
  '@chdb/lib-linux-arm64-gnu': { os: ['linux'], cpu: ['arm64'], libc: ['glibc'] },
  '@chdb/lib-linux-x64-gnu': { os: ['linux'], cpu: ['x64'], libc: ['glibc'] },
};
let added = 0;
for (const [name, version] of Object.entries(chdb.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  if (lock.packages[key]) continue;
  const base = name.split('/')[1];
  lock.packages[key] = {
    version,
    resolved: `https://registry.npmjs.org/${name}/-/${base}-${version}.tgz`,
    license: 'Apache-2.0',
    optional: true,
    ...(platforms[name] ?? {}),
  };
  added++;
}
if (added > 0) {
  lock.packages = Object.fromEntries(
    Object.entries(lock.packages).sort(([a], [b]) =>
      a === '' ? -1 : b === '' ? 1 : a.localeCompare(b),
    ),
  );
  writeFileSync('package-lock.json', JSON.stringify(lock, null, 2) + '\n');
  console.log(`lock: added ${added} optional platform entries for chdb`);
}
