// Integration: the live AUC from the scorer to the trainer through the embedded engine. The labelled
// samples the scorer appends (LiveSamplesStore, model_live_samples, migration 0014) are pooled at read
// time by the trainer's adapter (ClickHouseLiveAuc: the champion version's samples in the window, the
// newest at most maxSamples); the rows of the scorer's repository (ClickHouseLiveMetrics,
// model_live_metrics) are read back by the monitor's adapter (ClickHouseModelsReads); the drift check
// on real adapters (a registered champion with a real model buffer and validation AUC, the live
// feature sampler on an empty store) fires the auc-drop rule on a pool of many small resolutions.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createClickHouse, runMigrations, type ClickHouseHandle } from '@storepulse/clickhouse';
import { FeatureStore } from '@storepulse/features';
import {
  FEATURE_PROFILE_METADATA_KEY,
  LivePoolError,
  LiveSamplesStore,
  ModelRegistry,
  buildMlp,
  getTf,
  profileFeatures,
  rocAuc,
  saveModelToBuffer,
  seededRandom,
  type PoolSample,
} from '@storepulse/ml';
import { ClickHouseModelsReads } from '@storepulse/monitor';
import {
  ClickHouseLiveMetrics,
  InvalidLiveAucRecordError,
  type LiveAucRecord,
} from '@storepulse/scorer';
import { testConfig } from '../../../../test/support/env';
import { DriftCheck } from './drift-check';
import {
  ClickHouseLiveAuc,
  ClickHouseLiveFeatureSampler,
  RegistryChampionProfiles,
} from './drift-sources';

const T0 = Date.UTC(2026, 10, 20, 12, 0, 0);
const MIN = 60_000;
const MODEL = `propensity_liveauc_${Date.now()}`;
const NAMES = ['user_events_1h', 'user_orders_28d'];
const HOUR = 3_600_000;
const DAY = 86_400_000;
const POOL = { windowMs: DAY, maxSamples: 200_000 };

/** n seeded samples at t0 + i·stepMs; score = signal·label + (1 − signal)·noise. */
function samples(
  seed: number,
  n: number,
  t0: number,
  stepMs: number,
  signal: number,
): PoolSample[] {
  const rnd = seededRandom(seed);
  return Array.from({ length: n }, (_, i) => {
    const label = rnd() < 0.3 ? 1 : 0;
    return {
      userId: `u-${seed}-${i}`,
      tMs: t0 + i * stepMs,
      score: signal * label + (1 - signal) * rnd(),
      label,
      weight: 1 + Math.floor(rnd() * 3),
    };
  });
}

/** rocAuc of binary-metrics on the samples (the reference the pool must equal). */
function expectedAuc(s: readonly PoolSample[]): number {
  return rocAuc(
    s.map((x) => x.label),
    s.map((x) => x.score),
    s.map((x) => x.weight),
  );
}

/** A record of v1 (weightSum 1.25 n unless set). */
function rec(over: Partial<LiveAucRecord>): LiveAucRecord {
  const r = {
    model: MODEL,
    version: 1,
    horizon: '7d',
    computedAtMs: T0,
    watermarkMs: T0 - MIN,
    labelFromMs: T0 - 8 * 86_400_000,
    labelToMs: T0 - MIN,
    auc: 0.72,
    n: 800,
    positives: 120,
    weightSum: NaN,
    ...over,
  };
  return Number.isNaN(r.weightSum) ? { ...r, weightSum: r.n * 1.25 } : r;
}

describe('live AUC: scorer repository → model_live_metrics → trainer drift check (embedded engine)', () => {
  let ch: ClickHouseHandle;
  let registry: ModelRegistry;
  let store: LiveSamplesStore;
  // v1: three resolutions (not inserted in time order), 2 days of prediction times
  const r1 = samples(1, 300, T0 - 2 * DAY, 60_000, 0.05); // T0-2d .. T0-2d+5h
  const r2 = samples(2, 300, T0 - 20 * HOUR, 60_000, 0.05); // T0-20h .. T0-15h
  const r3 = samples(3, 300, T0 - 6 * HOUR, 60_000, 0.08); // T0-6h .. T0-1h
  const newest = T0 - 6 * HOUR + 299 * 60_000;

  before(async () => {
    ch = await createClickHouse(testConfig().clickhouse);
    await runMigrations(ch.client);
    registry = new ModelRegistry(ch.client);
    store = new LiveSamplesStore(ch.client);
    const batch = (version: number, computedAtMs: number, s: PoolSample[], model = MODEL) =>
      store.append({
        model,
        version,
        horizon: '7d',
        computedAtMs,
        watermarkMs: computedAtMs - MIN,
        samples: s,
      });
    await batch(1, T0 + 2 * MIN, r3);
    await batch(1, T0, r1);
    await batch(1, T0 + MIN, r2);
    await batch(2, T0 + 3 * MIN, samples(4, 50, T0 - HOUR, 1_000, 0.9));
    // a single-class pool of another model
    await batch(
      1,
      T0,
      samples(5, 40, T0 - HOUR, 1_000, 0.5).map((x) => ({ ...x, label: 0 as const })),
      `${MODEL}_b`,
    );
    const scorer = new ClickHouseLiveMetrics(ch.client);
    // v1: three resolutions, the latest (by computed_at) is not the last inserted
    await scorer.record(rec({ computedAtMs: T0, auc: 0.72, n: 800 }));
    await scorer.record(rec({ computedAtMs: T0 + 2 * MIN, auc: 0.6, n: 1_200, positives: 150 }));
    await scorer.record(rec({ computedAtMs: T0 + MIN, auc: 0.7, n: 900 }));
    // v2 (another version of the same model) and a single-class batch of another model
    await scorer.record(rec({ version: 2, computedAtMs: T0 + 3 * MIN, auc: 0.81, n: 700 }));
    await scorer.record(
      rec({ model: `${MODEL}_b`, computedAtMs: T0, auc: null, n: 40, positives: 0, weightSum: 40 }),
    );
  });

  after(async () => {
    await ch?.close();
  });

  it("the trainer's adapter pools the version's samples of the window up to the newest", async () => {
    const live = new ClickHouseLiveAuc(ch.client, POOL);
    // the 24 h up to the newest sample: r2 and r3, not r1 (2 days old)
    const pooled = [...r2, ...r3];
    const got = await live.latest(MODEL, 1);
    assert.ok(got);
    assert.ok(Math.abs((got.auc ?? NaN) - expectedAuc(pooled)) < 1e-12, `auc ${got.auc}`);
    const pos = pooled.filter((x) => x.label === 1).length;
    assert.deepEqual(
      { ...got, auc: null },
      {
        version: 1,
        auc: null,
        n: 600,
        positives: pos,
        negatives: 600 - pos,
        computedAtMs: T0 + 2 * MIN,
        watermarkMs: T0 + MIN,
        pool: { fromMs: T0 - 20 * HOUR, toMs: newest, windowMs: DAY },
      },
    );
    // a 3-day window takes all three resolutions
    const all = await new ClickHouseLiveAuc(ch.client, { ...POOL, windowMs: 3 * DAY }).latest(
      MODEL,
      1,
    );
    assert.equal(all?.n, 900);
    assert.ok(Math.abs((all?.auc ?? NaN) - expectedAuc([...r1, ...r2, ...r3])) < 1e-12);
    // window eviction: 2 h up to the newest sample (exclusive start) = r3's last 120 samples
    const twoHours = await new ClickHouseLiveAuc(ch.client, { ...POOL, windowMs: 2 * HOUR }).latest(
      MODEL,
      1,
    );
    assert.equal(twoHours?.n, 120);
    assert.equal(twoHours?.pool?.fromMs, newest - 2 * HOUR + 60_000);
    assert.ok(Math.abs((twoHours?.auc ?? NaN) - expectedAuc(r3.slice(-120))) < 1e-12);
    // the cap keeps the newest
    const capped = await new ClickHouseLiveAuc(ch.client, {
      windowMs: DAY,
      maxSamples: 100,
    }).latest(MODEL, 1);
    assert.equal(capped?.n, 100);
    assert.ok(Math.abs((capped?.auc ?? NaN) - expectedAuc(r3.slice(-100))) < 1e-12);
    assert.equal((await live.latest(MODEL, 2))?.n, 50, 'another version is its own pool');
    assert.equal(await live.latest(MODEL, 3), null, 'a version without samples');
    const single = await live.latest(`${MODEL}_b`, 1);
    assert.equal(single?.auc, null, 'a single-class pool reads back as null');
    assert.equal(single?.negatives, 40);
  });

  it('the samples store refuses an invalid sample or option, naming the field, before writing', async () => {
    const ok = samples(6, 3, T0, 1_000, 0.5);
    const append = (s: PoolSample[]) =>
      store.append({
        model: `${MODEL}_bad`,
        version: 1,
        horizon: '7d',
        computedAtMs: T0,
        watermarkMs: T0,
        samples: s,
      });
    await assert.rejects(
      append([ok[0], { ...ok[1], score: 1.5 }]),
      (e: unknown) =>
        e instanceof LivePoolError &&
        /sample 1 score = 1.5, expected a probability/.test(e.message),
    );
    await assert.rejects(append([{ ...ok[0], weight: 0.5 }]), /sample 0 weight = 0.5/);
    await assert.rejects(
      store.append({
        model: `${MODEL}_bad`,
        version: 0,
        horizon: '7d',
        computedAtMs: T0,
        watermarkMs: T0,
        samples: ok,
      }),
      /version = 0/,
    );
    assert.equal(
      await new ClickHouseLiveAuc(ch.client, POOL).latest(`${MODEL}_bad`, 1),
      null,
      'nothing written',
    );
    await assert.rejects(store.pooled(MODEL, 1, { windowMs: 0, maxSamples: 10 }), /windowMs = 0/);
  });

  it('the repository refuses an invalid record, naming the field', async () => {
    const scorer = new ClickHouseLiveMetrics(ch.client);
    await assert.rejects(
      scorer.record(rec({ positives: 900, n: 800 })),
      (e: unknown) =>
        e instanceof InvalidLiveAucRecordError &&
        /positives = 900, expected an integer in \[0, n = 800\]/.test(e.message),
    );
    await assert.rejects(scorer.record(rec({ auc: 1.2 })), /auc = 1\.2/);
    await assert.rejects(scorer.record(rec({ labelToMs: T0 - 9 * 86_400_000 })), /labelToMs/);
  });

  it("the monitor's adapter lists the latest row per version, newest versions first, with its pool", async () => {
    const rows = (await new ClickHouseModelsReads(ch.client, POOL).latestLiveAuc(10)).filter((r) =>
      r.model.startsWith(MODEL),
    );
    assert.deepEqual(
      rows.map((r) => [r.model, r.version, r.auc, r.n]),
      [
        [MODEL, 2, 0.81, 700],
        [MODEL, 1, 0.6, 1_200],
        [`${MODEL}_b`, 1, null, 40],
      ],
    );
    assert.equal(rows[1]?.computedAt, new Date(T0 + 2 * MIN).toISOString());
    assert.equal(rows[1]?.labelFrom, new Date(T0 - 8 * 86_400_000).toISOString());
    // the pooled live AUC the trainer compares, beside the latest batch's
    const pooled = [...r2, ...r3];
    const pos = pooled.filter((x) => x.label === 1).length;
    assert.deepEqual(
      { ...rows[1]?.pooled, auc: null },
      {
        auc: null,
        n: 600,
        positives: pos,
        negatives: 600 - pos,
        from: new Date(T0 - 20 * HOUR).toISOString(),
        to: new Date(newest).toISOString(),
        windowMs: DAY,
      },
    );
    assert.ok(Math.abs((rows[1]?.pooled?.auc ?? NaN) - expectedAuc(pooled)) < 1e-12);
    assert.equal(rows[0]?.pooled?.n, 50);
    assert.equal(rows[2]?.pooled?.auc, null, 'single class');
    const one = await new ClickHouseModelsReads(ch.client, POOL).latestLiveAuc(1);
    assert.deepEqual(
      one.filter((r) => r.model === MODEL).map((r) => r.version),
      [2],
    );
  });

  it("the drift check on real adapters fires the auc-drop rule on the champion's pooled live AUC", async () => {
    const { tf } = await getTf({ log: () => undefined });
    const x = new Float32Array(400);
    for (let i = 0; i < 200; i++) {
      x[i * 2] = i % 7;
      x[i * 2 + 1] = i % 3;
    }
    const profile = profileFeatures(x, 200, NAMES);
    const artifact = await saveModelToBuffer(
      tf,
      buildMlp(tf, NAMES.length),
      { featureNames: NAMES, means: [0, 0], stds: [1, 1] },
      { [FEATURE_PROFILE_METADATA_KEY]: JSON.stringify(profile) },
    );
    const v = await registry.register(
      {
        name: MODEL,
        kind: 'propensity',
        horizon: '7d',
        parentVersion: null,
        trainingFrom: T0 - 28 * 86_400_000,
        trainingTo: T0 - 86_400_000,
        featureNames: NAMES,
        catalogHash: 'cat-live-auc',
        metrics: { validation: { mlp: { rocAuc: 0.74 } }, test: { mlp: { rocAuc: 0.73 } } },
      },
      artifact,
    );
    assert.equal(v.version, 1);
    await registry.promote(MODEL, 1, 'int test', 'test');
    const opts = {
      psiThreshold: 0.25,
      minSamples: 1_000,
      maxUsers: 100,
      activeWindowMs: 3_600_000,
      cooldownMs: 60_000,
      minLiveLabels: 500,
      aucDrop: 0.05,
    };
    const check = (windowMs = DAY) =>
      new DriftCheck(
        new RegistryChampionProfiles(registry),
        new ClickHouseLiveFeatureSampler(ch.client, new FeatureStore(ch.client)),
        new ClickHouseLiveAuc(ch.client, { windowMs, maxSamples: 200_000 }),
        opts,
      );
    // v1's pool (r2 + r3, 600 labels) has an AUC below 0.74 - 0.05
    const r = await check().check(MODEL, false);
    assert.equal(r.version, 1);
    assert.equal(r.liveAuc?.use, 'counted');
    const auc = expectedAuc([...r2, ...r3]);
    assert.ok(auc < 0.69, `fixture: pooled auc ${auc}`);
    assert.equal(r.action, 'retrain');
    assert.equal(r.reason, `drift: live auc ${auc.toFixed(3)} < validation 0.740 - 0.05`);
    assert.equal(r.liveAuc?.validationAuc, 0.74);
    assert.equal(r.liveAuc?.n, 600);
    // steady traffic: 30 resolutions of 40 samples, each one alone below the 500 labels; pooled over
    // 24 h they count. Informative scores: within the allowed drop, so stable
    for (let k = 0; k < 30; k++)
      await store.append({
        model: MODEL,
        version: 1,
        horizon: '7d',
        computedAtMs: T0 + (10 + k) * MIN,
        watermarkMs: T0 + (9 + k) * MIN,
        samples: samples(100 + k, 40, T0 + k * 40 * 1_000, 1_000, 0.9),
      });
    const steady = await check().check(MODEL, false);
    assert.equal(steady.liveAuc?.use, 'counted');
    assert.equal(steady.liveAuc?.n, 600 + 1_200, 'r2 + r3 + the 30 resolutions');
    assert.ok((steady.liveAuc?.auc ?? 0) > 0.69, `pooled ${steady.liveAuc?.auc}`);
    assert.equal(steady.action, 'stable');
    // a window of the last 10 min holds 600 of the steady samples: counted; 5 min (300): too few
    const tenMin = await check(10 * MIN).check(MODEL, false);
    assert.equal(tenMin.liveAuc?.n, 600);
    assert.equal(tenMin.liveAuc?.use, 'counted');
    const few = await check(5 * MIN).check(MODEL, false);
    assert.equal(few.liveAuc?.n, 300);
    assert.equal(few.action, 'stable');
    assert.equal(few.liveAuc?.use, 'too-few-labels');
  });
});
