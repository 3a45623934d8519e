import { writeFileSync } from 'node:fs';
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
  trainPropensityMlp,
} from '@storepulse/ml';
import {
  FeatureRowCache,
  TrainingSetBuilder,
  propensityFeatures,
  type LabelledSet,
} from '@storepulse/trainer';
import { printTable, progress } from './support';

/**
 * BENCH_CLICKHOUSE_DATA_DIR=/tmp/fr/chdb npm run bench -- calibration
 * On the store of a stopped first run (`npm start` on an empty data folder, then Ctrl-C), per
 * default horizon: the trainer's training sets, its MLP (trainer options), the MLP's test metrics
 * uncalibrated and calibrated (the calibration fitted on validation, as the trainer does), next to
 * logistic regression and the heuristic, plus the wall time of each step. Cut-offs on the first
 * run's grid (TRAINER_FIRST_RUN_CUTOFF_EVERY_HOURS; BENCH_EVERY_HOURS overrides); the later horizons'
 * sets are read through the first one's feature rows (FeatureRowCache), as the trainer's tick does,
 * and once without them.
 */
const DAY = 86_400_000;
const HOUR = 3_600_000;
const f4 = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : String(x));
const sum = (a: Float32Array) => a.reduce((s, v) => s + v, 0);

async function main(): Promise<void> {
  const dir = process.env.BENCH_CLICKHOUSE_DATA_DIR;
  if (!dir)
    throw new Error(
      'BENCH_CLICKHOUSE_DATA_DIR must name the CLICKHOUSE_DATA_DIR of a stopped first run',
    );
  const config = loadConfig({ CLICKHOUSE_DATA_DIR: dir, LOG_LEVEL: 'error' });
  const ch = await createClickHouse(config.clickhouse);
  await runMigrations(ch.client);
  const cfg = config.trainer;
  const { names } = propensityFeatures();
  const builder = new TrainingSetBuilder(
    new ClickHousePropensityHistory(ch.client),
    new FeatureStore(ch.client),
  );
  const { tf } = await getTf({ log: () => undefined });
  const backend = getTfBackendInfo()?.backend ?? 'unknown';
  const cache = new FeatureRowCache();
  const rows: [string, string][] = [['backend', backend]];
  const dump: Record<string, unknown> = {};
  const everyHours = Number(process.env.BENCH_EVERY_HOURS ?? cfg.firstRunCutoffEveryHours);
  rows.push(['cut-off spacing', `${everyHours} h`]);
  for (const [k, h] of cfg.horizons.entries()) {
    const build = (c?: FeatureRowCache) =>
      builder.build({
        horizonMs: h.ms,
        everyMs: everyHours * HOUR,
        windowMs: cfg.windowDays * DAY,
        usersPerCutoff: cfg.usersPerCutoff,
        negativeKeepRate: cfg.negativeKeepRate,
        featureNames: names,
        ...(c ? { featureCache: c } : {}),
        onProgress: (p) =>
          p.done % 10 === 0 ? progress(`${h.name}: cut-off ${p.done}/${p.total}`) : undefined,
      });
    // The first horizon fills the shared cache (as the trainer's first tick does); the others read
    // through it, and once without it for comparison.
    let t = Date.now();
    const sets = await build(cache);
    const cachedMs = Date.now() - t;
    let setMs = cachedMs;
    if (k > 0) {
      t = Date.now();
      await build();
      setMs = Date.now() - t;
    }
    const { train, validation, test } = sets;
    progress(`${h.name}: sets ${setMs} ms (${cachedMs} ms through the shared cache); training`);
    t = Date.now();
    const mlp = await trainPropensityMlp(tf, train, validation, {
      hidden: cfg.hidden,
      maxEpochs: cfg.maxEpochs,
      classWeight: 'balanced',
      seed: 7,
    });
    const trainMs = Date.now() - t;
    const stats = fitStandardizer(train);
    const std = (s: LabelledSet) => applyStandardizer(stats, s.x, s.n, s.d);
    const lr = LogisticRegression.fit(std(train), train.n, train.d, train.y, train.weight);
    const heur = RecencyFrequencyHeuristic.fit(train, {
      recency: 'user_seconds_since_last_order',
      frequency: 'user_orders_28d',
      fallbackRecency: 'user_seconds_since_last_event',
    });
    const scored: [string, Float32Array][] = [
      ['mlp uncalibrated', predictPropensity(tf, { ...mlp, calibration: null }, test.x, test.n)],
      [`mlp calibrated`, predictPropensity(tf, mlp, test.x, test.n)],
      ['logistic', lr.predict(std(test), test.n)],
      ['heuristic', heur.predict(test.x, test.n, test.featureNames)],
    ];
    rows.push(
      [
        `${h.name} rows train / val / test (positives)`,
        `${train.n} (${sum(train.y)}) / ${validation.n} (${sum(validation.y)}) / ${test.n} (${sum(test.y)})`,
      ],
      [
        `${h.name} wall time: sets / sets via the shared cache / mlp`,
        `${setMs} / ${cachedMs} / ${trainMs} ms (${mlp.epochs} epochs)`,
      ],
      [`${h.name} calibration`, JSON.stringify(mlp.calibration)],
    );
    for (const [name, p] of scored) {
      const m = binaryMetrics(test.y, p);
      rows.push([
        `${h.name} test ${name}: AUC / log loss / Brier / ECE`,
        `${f4(m.rocAuc)} / ${f4(m.logLoss)} / ${f4(m.brier)} / ${f4(m.ece)}`,
      ]);
    }
    if (process.env.BENCH_DUMP) {
      const raw = (x: LabelledSet) =>
        Array.from(predictPropensity(tf, { ...mlp, calibration: null }, x.x, x.n));
      dump[h.name] = {
        classWeights: mlp.classWeights,
        train: { y: Array.from(train.y), w: Array.from(train.weight), p: raw(train) },
        validation: { y: Array.from(validation.y), p: raw(validation) },
        test: { y: Array.from(test.y), p: raw(test) },
      };
    }
    mlp.model.dispose();
  }
  if (process.env.BENCH_DUMP) writeFileSync(process.env.BENCH_DUMP, JSON.stringify(dump));
  printTable('propensity calibration on a first-run store (test cut-off)', rows);
  await ch.close();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
