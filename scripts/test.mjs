#!/usr/bin/env node
// Test orchestration: build, start the local Kafka broker when KAFKA_BROKERS is unset, run the
// three tiers with node's test runner, stop what it started.
//   node scripts/test.mjs [unit|int|e2e|faults|all] [--no-build] [filter substring...]
// Tiers: unit = **/*.spec.ts (no I/O beyond fakes), int = **/*.int.spec.ts (real broker + engine),
//        e2e = test/**/*.e2e.spec.ts (whole slices), faults = test/faults/**/*.faults.spec.ts (the fault
//        suite: kills, outages, poison; `npm run test:faults`, run by .ci/run after `npm test`).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, mkdirSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { up, down, settings } from '../infra/kafka/kafka.mjs';
import { dockerReachable, startContainers } from './testcontainers.mjs';

const root = resolve(fileURLToPath(import.meta.url), '..', '..');
const args = process.argv.slice(2);
const tier = ['unit', 'int', 'e2e', 'faults', 'all'].includes(args[0]) ? args.shift() : 'all';
const noBuild = args.includes('--no-build');
const filters = args.filter((a) => !a.startsWith('--'));

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (p.endsWith('.spec.js')) out.push(p);
  }
  return out;
}

if (!noBuild) {
  const b = spawnSync('npm', ['run', '-s', 'build'], { stdio: 'inherit', cwd: root });
  if (b.status !== 0) process.exit(b.status ?? 1);
}
const dist = join(root, 'dist');
const all = ['apps', 'libs', 'test'].flatMap((d) => {
  try {
    return walk(join(dist, d));
  } catch {
    return [];
  }
});
const pick = (f) => {
  const rel = relative(dist, f);
  if (rel.endsWith('.faults.spec.js')) return 'faults';
  if (rel.endsWith('.e2e.spec.js')) return 'e2e';
  if (rel.endsWith('.int.spec.js')) return 'int';
  return 'unit';
};
const tiers = tier === 'all' ? ['unit', 'int', 'e2e'] : [tier];
const env = {
  ...process.env,
  NODE_ENV: 'test',
  TEST_OUTPUT_DIR: process.env.TEST_OUTPUT_DIR || join(root, 'test-output'),
};
mkdirSync(env.TEST_OUTPUT_DIR, { recursive: true });

let startedKafka = false;
let containers;
const needsKafka = tiers.some((t) => t !== 'unit');
let status = 0;
try {
  // With a Docker engine: real Kafka + ClickHouse server in containers. Without: local broker + embedded engine.
  if (
    needsKafka &&
    !process.env.KAFKA_BROKERS &&
    !process.env.CLICKHOUSE_URL &&
    dockerReachable()
  ) {
    containers = await startContainers();
    Object.assign(env, containers.env);
  }
  if (needsKafka && !env.KAFKA_BROKERS) {
    const s = { ...settings(), port: Number(process.env.TEST_KAFKA_PORT || 19092) };
    s.controllerPort = s.port + 1;
    s.dataDir = join(root, '.data', 'kafka-test');
    rmSync(s.dataDir, { recursive: true, force: true });
    const r = await up(s);
    startedKafka = r.started ? s : false;
    env.KAFKA_BROKERS = r.brokers;
  }
  for (const t of tiers) {
    const files = all
      .filter((f) => pick(f) === t)
      .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
    if (files.length === 0) continue;
    console.log(`\n=== ${t} tests (${files.length} files) ===`);
    const r = spawnSync(
      process.execPath,
      [
        '--enable-source-maps',
        '--test',
        '--test-reporter=spec',
        `--test-concurrency=${t === 'unit' ? 2 : 1}`,
        ...files,
      ],
      { stdio: 'inherit', cwd: root, env },
    );
    if (r.status !== 0) {
      status = r.status ?? 1;
      console.error(`=== ${t} tests failed (exit ${status}) ===`);
      break;
    }
  }
} finally {
  if (startedKafka) await down(startedKafka);
  if (containers) await containers.stop();
}
process.exit(status);
