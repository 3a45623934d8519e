import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '@storepulse/config';
import { createClickHouse, queryRows, runMigrations } from '@storepulse/clickhouse';
import { ClickHousePropensityHistory, FeatureStore } from '@storepulse/features';
import {
  LogisticRegression,
  RecencyFrequencyHeuristic,
  applyStandardizer,
  binaryMetrics,
  fitStandardizer,
  getTf,
  getTfBackendInfo,
  predictPropensity,
  selectFeatures,
  stableFeatures,
} from '@storepulse/ml';
import {
  PropensityOracle,
  Prng,
  Storefront,
  type SessionSignature,
  type StorefrontOptions,
} from '@storepulse/simulator';
import {
  TrainingSetBuilder,
  propensityFeatures,
  sampleUsers,
  type PropensitySets,
} from '@storepulse/trainer';
import { tempDir } from '../test/support/env';
import { loadRawHistory, mib, printTable, progress, rssSampler } from './support';
import { trainingRuns, writeSets, type BackendRuns, type Sets } from './propensity-runs';

/**
 * npm run bench -- propensity
 *   BENCH_USERS (20000), BENCH_EVENTS_PER_DAY (86400), BENCH_DAYS (28), BENCH_USERS_PER_CUTOFF (3000),
 *   BENCH_EPOCHS (40), BENCH_WARM_EPOCHS (10), BENCH_WASM (1: also train on wasm in a child),
 *   BENCH_SETS_OUT (a folder: the latest sets with every catalog feature as train/validation/test
 *   CSV, the test rows with the oracle's, the MLP's and logistic regression's probabilities, for
 *   `bench/feature-ceiling.py`)
 * Quality of the 7-day propensity model on simulated history (latest cut-off held out): the TF.js MLP,
 * logistic regression, the recency/frequency heuristic and the simulator's oracle side by side on the
 * same test rows; training wall time and samples/s from scratch and warm-started, on native and wasm.
 */
const DAY = 86_400_000;
const H = 7 * DAY;
const USERS = Number(process.env.BENCH_USERS ?? 20_000);
const PER_DAY = Number(process.env.BENCH_EVENTS_PER_DAY ?? 86_400);
const DAYS = Number(process.env.BENCH_DAYS ?? 28);
const PER_CUTOFF = Number(process.env.BENCH_USERS_PER_CUTOFF ?? 3_000);
/** Users at the test cut-off (default: every user active before it; training rows are unchanged). */
const TEST_USERS = Number(process.env.BENCH_TEST_USERS ?? USERS);
/** Draws of the calibration noise floor (a perfectly calibrated model with the MLP's scores). */
const ECE_DRAWS = 200;
const EPOCHS = Number(process.env.BENCH_EPOCHS ?? 40);
const WARM_EPOCHS = Number(process.env.BENCH_WARM_EPOCHS ?? 10);
const WASM = (process.env.BENCH_WASM ?? '1') !== '0';
const SETS_OUT = process.env.BENCH_SETS_OUT ?? '';

/** One split as CSV: the features by name, then y and weight, then `extra` columns (per row). */
async function writeCsv(
  path: string,
  set: PropensitySets['train'],
  extra: Record<string, ArrayLike<number>> = {},
): Promise<void> {
  const out = createWriteStream(path);
  const names = [...set.featureNames, 'y', 'weight', ...Object.keys(extra)];
  const cols = Object.values(extra);
  const write = (line: string) =>
    out.write(line) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', r));
  await write(names.join(',') + '\n');
  for (let i = 0; i < set.n; i++) {
    const row: number[] = [];
    for (let j = 0; j < set.d; j++) row.push(set.x[i * set.d + j] ?? NaN);
    row.push(set.y[i] ?? NaN, set.weight[i] ?? NaN, ...cols.map((c) => c[i] ?? NaN));
    await write(row.join(',') + '\n');
  }
  await new Promise<void>((resolve, reject) =>
    out.end((e?: Error | null) => (e ? reject(e) : resolve())),
  );
}

const f4 = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : String(x));

function childRuns(path: string, backend: string, ensemble: number): Promise<BackendRuns> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        join(__dirname, 'propensity.child.js'),
        path,
        backend,
        String(EPOCHS),
        String(WARM_EPOCHS),
        String(ensemble),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) reject(new Error(`${backend} child exited ${code}: ${out}`));
      else resolve(JSON.parse(line.slice(7)) as BackendRuns);
    });
  });
}

async function main(): Promise<void> {
  const config = loadConfig({
    CLICKHOUSE_DATA_DIR: tempDir('bench-propensity'),
    LOG_LEVEL: 'error',
    ...(process.env.TRAINER_ENSEMBLE ? { TRAINER_ENSEMBLE: process.env.TRAINER_ENSEMBLE } : {}),
    ...(process.env.TRAINER_SPLIT_PURGE
      ? { TRAINER_SPLIT_PURGE: process.env.TRAINER_SPLIT_PURGE }
      : {}),
    ...(process.env.TRAINER_MAX_FEATURE_PSI
      ? { TRAINER_MAX_FEATURE_PSI: process.env.TRAINER_MAX_FEATURE_PSI }
      : {}),
  });
  const ch = await createClickHouse(config.clickhouse);
  await runMigrations(ch.client);
  const rss = rssSampler();
  const end = Date.UTC(2026, 10, 1);
  const opts: StorefrontOptions = {
    seed: 12,
    users: USERS,
    skus: 300,
    invalidRate: 0,
    startMs: end - DAYS * DAY,
    // the oracle assumes the constant rate the history runs at
    eventsPerSec: PER_DAY / 86_400,
  };
  progress(`loading ${DAYS} days of history (${USERS} users, ~${PER_DAY} events/day)`);
  const t0 = Date.now();
  const events = await loadRawHistory(ch, new Storefront(opts), end, PER_DAY);
  const loadMs = Date.now() - t0;

  const { names } = propensityFeatures();
  const builder = new TrainingSetBuilder(
    new ClickHousePropensityHistory(ch.client),
    new FeatureStore(ch.client),
  );
  const build = async (watermarkMs: number, what: string): Promise<PropensitySets> =>
    builder.build({
      horizonMs: H,
      everyMs: 6 * 3_600_000,
      windowMs: DAYS * DAY,
      usersPerCutoff: PER_CUTOFF,
      testUsersPerCutoff: TEST_USERS,
      negativeKeepRate: 1,
      purge: config.trainer.splitPurge,
      featureNames: names,
      watermarkMs,
      onProgress: (p) =>
        p.done % 5 === 0 || p.done === p.total
          ? progress(`${what} training set: cut-off ${p.done}/${p.total} (${p.rows} rows)`)
          : undefined,
    });
  const t1 = Date.now();
  const newer = await build(end, 'latest');
  const setMs = Date.now() - t1;
  const older = await build(end - 2 * DAY, 'older (champion)');
  // the trainer's stationarity filter (TRAINER_MAX_FEATURE_PSI), chosen on the newer sets' training
  // and validation cut-offs and applied to both (the warm start needs the champion's features)
  const maxPsi = config.trainer.maxFeaturePsi;
  const stable = Number.isFinite(maxPsi)
    ? stableFeatures(newer.train, newer.validation, maxPsi)
    : null;
  const cols = <S extends PropensitySets['train']>(l: S): S =>
    stable ? selectFeatures(l, stable.kept) : l;
  const pick = (s: PropensitySets): Sets => ({
    train: cols(s.train),
    validation: cols(s.validation),
    test: cols(s.test),
  });

  const { tf } = await getTf({ log: () => undefined });
  const native = getTfBackendInfo()?.backend ?? 'unknown';
  progress(`training on ${native}`);
  const { runs, scratch } = await trainingRuns(
    tf,
    native,
    pick(older),
    pick(newer),
    { scratch: EPOCHS, warm: WARM_EPOCHS, ensemble: config.trainer.ensemble },
    progress,
  );
  const { test, train, validation } = pick(newer);
  const tTestIds = newer.test.ids;
  const mlp = predictPropensity(tf, scratch, test.x, test.n);
  const stats = fitStandardizer(train);
  const lr = LogisticRegression.fit(
    applyStandardizer(stats, train.x, train.n, train.d),
    train.n,
    train.d,
    train.y,
    train.weight,
  );
  const lrP = lr.predict(applyStandardizer(stats, test.x, test.n, test.d), test.n);
  const heur = RecencyFrequencyHeuristic.fit(newer.train, {
    recency: 'user_seconds_since_last_order',
    frequency: 'user_orders_28d',
    fallbackRecency: 'user_seconds_since_last_event',
  }).predict(newer.test.x, newer.test.n, newer.test.featureNames);
  progress('oracle probabilities (Monte Carlo of the simulator)');
  const oracle = new PropensityOracle(opts);
  const tTest = newer.plan.test[0];
  const oracleP = oracle.probabilities(tTestIds, tTest, H);
  progress('observable ceiling (session counts before the test cut-off)');
  const signatures = await sessionSignatures(ch.client, opts.startMs, tTest);
  const ceilingP = oracle.ceilingProbabilities(
    tTestIds.map((id) => ({ userId: id, sessions: signatures.get(id)?.length ?? 0 })),
    opts.startMs,
    tTest,
    H,
  );
  const inferred = oracle.ceilingFromSessions(
    tTestIds.map((id) => ({ userId: id, sessions: signatures.get(id) ?? [] })),
    opts.startMs,
    tTest,
    H,
  ).probabilities;
  const m = {
    mlp: binaryMetrics(test.y, mlp),
    logistic: binaryMetrics(test.y, lrP),
    heuristic: binaryMetrics(test.y, heur),
    ceiling: binaryMetrics(test.y, ceilingP),
    ceilingInferred: binaryMetrics(test.y, inferred),
    oracle: binaryMetrics(test.y, oracleP),
  };
  // the rows of the earlier runs' test set (3,000 users): a subset of this one, same sampling
  const earlier = new Set(sampleUsers(tTestIds, tTest, PER_CUTOFF));
  const sub = tTestIds.flatMap((id, i) => (earlier.has(id) ? [i] : []));
  const on = (a: ArrayLike<number>) => Float64Array.from(sub, (i) => a[i] ?? NaN);
  const mSub = {
    mlp: binaryMetrics(on(test.y), on(mlp)),
    oracle: binaryMetrics(on(test.y), on(oracleP)),
  };
  const floor = eceNoiseFloor(mlp, ECE_DRAWS);
  const wasm = WASM
    ? await (async () => {
        const path = join(tempDir('bench-propensity-sets'), 'sets.bin');
        writeSets(path, { older: pick(older), newer: pick(newer) });
        progress('training on wasm (child process)');
        return childRuns(path, 'wasm', config.trainer.ensemble);
      })()
    : null;

  if (SETS_OUT) {
    mkdirSync(SETS_OUT, { recursive: true });
    await writeCsv(join(SETS_OUT, 'train.csv'), newer.train);
    await writeCsv(join(SETS_OUT, 'validation.csv'), newer.validation);
    await writeCsv(join(SETS_OUT, 'test.csv'), newer.test, {
      oracle: oracleP,
      mlp,
      logistic: lrP,
      ceiling: ceilingP,
      ceiling_inferred: inferred,
      sessions: Float64Array.from(tTestIds, (id) => signatures.get(id)?.length ?? 0),
    });
    progress(`sets written to ${SETS_OUT} (python3 bench/feature-ceiling.py ${SETS_OUT})`);
  }

  const rows: [string, string][] = [
    [
      'history',
      `${USERS} users, ${DAYS} days, ${events} events (loaded in ${(loadMs / 1000).toFixed(0)} s)`,
    ],
    [
      'horizon / split',
      `7d; train ${newer.plan.train.length} cut-offs (${train.n} rows), validation ${validation.n}, test ${test.n} rows at ${new Date(tTest).toISOString()} (latest, held out); purge ${config.trainer.splitPurge} (TRAINER_SPLIT_PURGE); MLP: ${config.trainer.ensemble} network(s) per from-scratch run (TRAINER_ENSEMBLE)`,
    ],
    [
      'features',
      `${train.d} of ${newer.train.d} (max PSI ${maxPsi}; left out: ${stable?.dropped.map((p) => p.feature).join(', ') || 'none'})`,
    ],
    ['test positives', `${m.mlp.positives} (${(m.mlp.prevalence * 100).toFixed(1)} %)`],
    [
      'training set build',
      `${(setMs / 1000).toFixed(1)} s (${((train.n + validation.n + test.n) / (setMs / 1000)).toFixed(0)} rows/s)`,
    ],
  ];
  for (const [k, b] of Object.entries(m))
    rows.push([
      `${k} (test)`,
      `AUC ${f4(b.rocAuc)}  PR AUC ${f4(b.prAuc)}  log loss ${f4(b.logLoss)}  Brier ${f4(b.brier)}  ECE ${f4(b.ece)}  lift@10% ${b.topDecileLift.toFixed(2)}`,
    ]);
  rows.push(
    ['MLP AUC / oracle AUC', `${f4(m.mlp.rocAuc / m.oracle.rocAuc)} (target ≥ 0.97)`],
    [
      'ceiling AUC / oracle AUC',
      `${f4(m.ceiling.rocAuc / m.oracle.rocAuc)} (intent and category given: an upper bound for any model of the history)`,
    ],
    [
      'ceiling, intent inferred, AUC / oracle AUC',
      `${f4(m.ceilingInferred.rocAuc / m.oracle.rocAuc)} (intent from coarse session signatures: a lower bracket)`,
    ],
    ['MLP AUC / ceiling AUC', f4(m.mlp.rocAuc / m.ceiling.rocAuc)],
    ['MLP AUC − logistic AUC', `${f4(m.mlp.rocAuc - m.logistic.rocAuc)} (target ≥ 0)`],
    ['MLP ECE', `${f4(m.mlp.ece)} (target ≤ 0.02)`],
    [
      'ECE noise floor',
      `a perfectly calibrated model with the MLP's scores on these ${test.n} rows: mean ${f4(floor.mean)}, 95th percentile ${f4(floor.p95)} (${ECE_DRAWS} draws)`,
    ],
    [
      `on the ${sub.length}-row sample of earlier runs`,
      `MLP AUC ${f4(mSub.mlp.rocAuc)} ECE ${f4(mSub.mlp.ece)}; oracle AUC ${f4(mSub.oracle.rocAuc)} ECE ${f4(mSub.oracle.ece)}; MLP / oracle ${f4(mSub.mlp.rocAuc / mSub.oracle.rocAuc)}`,
    ],
  );
  for (const r of [runs, ...(wasm ? [wasm] : [])])
    for (const k of ['scratch', 'warm'] as const)
      rows.push([
        `train ${r.backend} ${k === 'scratch' ? 'from scratch' : 'warm start'}`,
        `${(r[k].ms / 1000).toFixed(1)} s, ${r[k].epochs} epochs, ${r[k].samplesPerSec} samples/s, test AUC ${f4(r[k].testAuc)}, log loss ${f4(r[k].testLogLoss)}`,
      ]);
  rows.push(
    [
      'warm / scratch wall time',
      `${runs.backend} ${(runs.warm.ms / runs.scratch.ms).toFixed(2)}${wasm ? `, wasm ${(wasm.warm.ms / wasm.scratch.ms).toFixed(2)}` : ''}`,
    ],
    ['peak RSS', mib(rss.peak())],
  );
  rss.stop();
  printTable('propensity (npm run bench -- propensity)', rows);
  await ch.close();
}

/** Per user, the signature of each session that began in [fromMs, beforeMs) (events before it). */
async function sessionSignatures(
  client: Parameters<typeof queryRows>[0],
  fromMs: number,
  beforeMs: number,
): Promise<Map<string, SessionSignature[]>> {
  const rows = await queryRows<{
    u: string;
    n: string;
    sf: string;
    co: string;
    ca: string;
    span: string;
  }>(
    client,
    `SELECT user_id AS u, toString(count()) AS n, toString(argMin(type, ts) = 'search') AS sf,
            toString(countIf(type = 'checkout_started') > 0) AS co,
            toString(countIf(type = 'add_to_cart')) AS ca,
            toString(toUnixTimestamp64Milli(max(ts)) - toUnixTimestamp64Milli(min(ts))) AS span
       FROM clickstream_events
      WHERE ts < fromUnixTimestamp64Milli({before:Int64}, 'UTC')
      GROUP BY user_id, session_id
     HAVING min(ts) >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')`,
    { from: Math.floor(fromMs), before: Math.floor(beforeMs) },
  );
  const out = new Map<string, SessionSignature[]>();
  for (const r of rows) {
    const list = out.get(r.u) ?? [];
    list.push({
      searchFirst: r.sf === '1',
      events: Number(r.n),
      checkout: r.co === '1',
      carts: Number(r.ca),
      spanMs: Number(r.span),
    });
    out.set(r.u, list);
  }
  return out;
}

/**
 * The ECE a perfectly calibrated model with scores `p` gets on this many rows: outcomes drawn as
 * Bernoulli(p) (fixed seed), so a measured ECE inside this spread is not miscalibration the test set
 * can detect.
 */
function eceNoiseFloor(
  p: Float32Array | Float64Array,
  draws: number,
): { mean: number; p95: number } {
  const rng = new Prng(0x0ece);
  const eces: number[] = [];
  const y = new Float64Array(p.length);
  for (let d = 0; d < draws; d++) {
    for (let i = 0; i < p.length; i++) y[i] = rng.next() < (p[i] ?? 0) ? 1 : 0;
    eces.push(binaryMetrics(y, p).ece);
  }
  eces.sort((a, b) => a - b);
  return {
    mean: eces.reduce((s, x) => s + x, 0) / eces.length,
    p95: eces[Math.floor(0.95 * (eces.length - 1))] ?? NaN,
  };
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
