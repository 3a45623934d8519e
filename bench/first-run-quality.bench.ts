import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '@storepulse/config';
import { createClickHouse, runMigrations } from '@storepulse/clickhouse';
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
  trainPropensityMlp,
  type MlpOptions,
} from '@storepulse/ml';
import {
  FeatureRowCache,
  TrainingSetBuilder,
  propensityFeatures,
  type LabelledSet,
} from '@storepulse/trainer';
import { printTable, progress } from './support';

/**
 * BENCH_CLICKHOUSE_DATA_DIR=<store of a stopped first run> [BENCH_SETS_DIR=/tmp/sets] \
 *   npm run bench -- first-run-quality
 * The trainer's first run without Kafka or the platform: per default horizon, the training sets of
 * the first run (TRAINER_FIRST_RUN_CUTOFF_EVERY_HOURS grid, TRAINER_WINDOW_DAYS window), the MLP with
 * the trainer's options, logistic regression and the heuristic; AUC, log loss, Brier and ECE on the
 * validation and the test cut-off, the MLP uncalibrated and calibrated. BENCH_SETS_DIR keeps the
 * sets (written on the first call, read on the next ones) so training variants are compared on the
 * same rows in seconds.
 */
const DAY = 86_400_000;
const HOUR = 3_600_000;
const f4 = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : String(x));
const sum = (a: Float32Array) => a.reduce((s, v) => s + v, 0);

interface Sets {
  train: LabelledSet;
  validation: LabelledSet;
  test: LabelledSet;
}

function saveSets(path: string, s: Sets): void {
  const header: Record<string, { n: number; d: number; featureNames: string[]; ids: string[] }> =
    {};
  const parts: Buffer[] = [];
  for (const [k, l] of Object.entries(s) as [string, LabelledSet][]) {
    header[k] = { n: l.n, d: l.d, featureNames: l.featureNames, ids: l.ids };
    for (const a of [l.x, l.y, l.weight, Float64Array.from(l.cutoffs)])
      parts.push(Buffer.from(a.buffer, a.byteOffset, a.byteLength));
  }
  const h = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(h.length);
  writeFileSync(path, Buffer.concat([len, h, ...parts]));
}

function loadSets(path: string): Sets {
  const buf = readFileSync(path);
  const hl = buf.readUInt32LE(0);
  const header = JSON.parse(buf.subarray(4, 4 + hl).toString()) as Record<
    string,
    { n: number; d: number; featureNames: string[]; ids: string[] }
  >;
  let off = 4 + hl;
  const f32 = (count: number) => {
    const a = new Float32Array(count);
    new Uint8Array(a.buffer).set(buf.subarray(off, off + count * 4));
    off += count * 4;
    return a;
  };
  const f64 = (count: number) => {
    const a = new Float64Array(count);
    new Uint8Array(a.buffer).set(buf.subarray(off, off + count * 8));
    off += count * 8;
    return a;
  };
  const out: Partial<Record<keyof Sets, LabelledSet>> = {};
  for (const k of ['train', 'validation', 'test'] as const) {
    const m = header[k];
    if (!m) throw new Error(`${path}: no ${k} split`);
    const x = f32(m.n * m.d);
    const y = f32(m.n);
    const weight = f32(m.n);
    const cutoffs = Array.from(f64(m.n));
    out[k] = { n: m.n, d: m.d, featureNames: m.featureNames, ids: m.ids, x, y, weight, cutoffs };
  }
  return {
    train: out.train as LabelledSet,
    validation: out.validation as LabelledSet,
    test: out.test as LabelledSet,
  };
}

async function main(): Promise<void> {
  const dir = process.env.BENCH_CLICKHOUSE_DATA_DIR;
  const setsDir = process.env.BENCH_SETS_DIR;
  const config = loadConfig({
    CLICKHOUSE_DATA_DIR: dir ?? '/nonexistent',
    LOG_LEVEL: 'error',
    ...(process.env.TRAINER_MAX_FEATURE_PSI
      ? { TRAINER_MAX_FEATURE_PSI: process.env.TRAINER_MAX_FEATURE_PSI }
      : {}),
  });
  const cfg = config.trainer;
  const { names } = propensityFeatures();
  const everyHours = Number(process.env.BENCH_EVERY_HOURS ?? cfg.firstRunCutoffEveryHours);
  const cache = new FeatureRowCache();
  let builder: TrainingSetBuilder | null = null;
  let close: (() => Promise<void>) | null = null;
  const setsOf = async (h: { name: string; ms: number }): Promise<Sets> => {
    const file = setsDir ? join(setsDir, `${h.name}-${everyHours}h.bin`) : null;
    if (file && existsSync(file)) return loadSets(file);
    if (!dir)
      throw new Error(
        'BENCH_CLICKHOUSE_DATA_DIR must name the CLICKHOUSE_DATA_DIR of a stopped first run',
      );
    if (!builder) {
      const ch = await createClickHouse(config.clickhouse);
      await runMigrations(ch.client);
      builder = new TrainingSetBuilder(
        new ClickHousePropensityHistory(ch.client),
        new FeatureStore(ch.client),
      );
      close = () => ch.close();
    }
    const s = await builder.build({
      horizonMs: h.ms,
      everyMs: everyHours * HOUR,
      windowMs: cfg.windowDays * DAY,
      usersPerCutoff: cfg.usersPerCutoff,
      negativeKeepRate: cfg.negativeKeepRate,
      featureNames: names,
      featureCache: cache,
      onProgress: (p) =>
        p.done % 10 === 0 ? progress(`${h.name}: cut-off ${p.done}/${p.total}`) : undefined,
    });
    const sets = { train: s.train, validation: s.validation, test: s.test };
    if (file) {
      mkdirSync(setsDir as string, { recursive: true });
      saveSets(file, sets);
    }
    return sets;
  };

  const { tf } = await getTf({ log: () => undefined });
  const backend = getTfBackendInfo()?.backend ?? 'unknown';
  const rows: [string, string][] = [
    ['backend', backend],
    ['cut-off spacing', `${everyHours} h`],
  ];
  const variant = process.env.BENCH_MLP_OPTIONS
    ? (JSON.parse(process.env.BENCH_MLP_OPTIONS) as MlpOptions)
    : {};
  if (process.env.BENCH_MLP_OPTIONS) rows.push(['MLP options', process.env.BENCH_MLP_OPTIONS]);
  for (const h of cfg.horizons) {
    const all = await setsOf(h);
    // the trainer's stationarity filter (TRAINER_MAX_FEATURE_PSI; 0 = every feature)
    const stable = Number.isFinite(cfg.maxFeaturePsi)
      ? stableFeatures(all.train, all.validation, cfg.maxFeaturePsi)
      : null;
    const pick = (s: LabelledSet) => (stable ? selectFeatures(s, stable.kept) : s);
    const train = pick(all.train);
    const validation = pick(all.validation);
    const test = pick(all.test);
    rows.push([
      `${h.name} features (max PSI ${cfg.maxFeaturePsi})`,
      `${train.d} of ${all.train.d}; left out: ${stable?.dropped.length ?? 0}`,
    ]);
    const rate = (s: LabelledSet) => `${s.n} (${((100 * sum(s.y)) / s.n).toFixed(1)} %)`;
    rows.push([
      `${h.name} rows (base rate) train / val / test`,
      `${rate(train)} / ${rate(validation)} / ${rate(test)}`,
    ]);
    progress(`${h.name}: training`);
    const t = Date.now();
    const mlp = await trainPropensityMlp(tf, train, validation, {
      hidden: cfg.hidden,
      maxEpochs: cfg.maxEpochs,
      classWeight: 'balanced',
      seed: 7,
      ...variant,
    });
    const trainMs = Date.now() - t;
    const stats = fitStandardizer(train);
    const std = (s: LabelledSet) => applyStandardizer(stats, s.x, s.n, s.d);
    const lr = LogisticRegression.fit(std(train), train.n, train.d, train.y, train.weight);
    const heur = RecencyFrequencyHeuristic.fit(all.train, {
      recency: 'user_seconds_since_last_order',
      frequency: 'user_orders_28d',
      fallbackRecency: 'user_seconds_since_last_event',
    });
    rows.push([
      `${h.name} mlp`,
      `${trainMs} ms, ${mlp.epochs} epochs (best ${mlp.bestEpoch}), calibration ${JSON.stringify(mlp.calibration)}`,
    ]);
    for (const [split, s, full] of [
      ['val', validation, all.validation],
      ['test', test, all.test],
    ] as const) {
      const scored: [string, Float32Array][] = [
        ['mlp raw', predictPropensity(tf, { ...mlp, calibration: null }, s.x, s.n)],
        ['mlp', predictPropensity(tf, mlp, s.x, s.n)],
        ['logistic', lr.predict(std(s), s.n)],
        ['heuristic', heur.predict(full.x, full.n, full.featureNames)],
      ];
      for (const [name, p] of scored) {
        const m = binaryMetrics(s.y, p);
        let mean = 0;
        for (const v of p) mean += v;
        rows.push([
          `${h.name} ${split} ${name}: AUC / log loss / Brier / ECE / mean p`,
          `${f4(m.rocAuc)} / ${f4(m.logLoss)} / ${f4(m.brier)} / ${f4(m.ece)} / ${f4(mean / p.length)}`,
        ]);
      }
    }
    mlp.model.dispose();
  }
  printTable('propensity first run (training only)', rows);
  if (close) await (close as () => Promise<void>)();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
