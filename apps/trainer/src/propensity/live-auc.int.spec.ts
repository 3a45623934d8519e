// Integration: the live AUC from the scorer to the trainer through the embedded engine. Rows written by
// the scorer's repository (ClickHouseLiveMetrics) into model_live_metrics (migration 0011) are read
// back by the trainer's adapter (ClickHouseLiveAuc: the champion version's latest) and the monitor's
// (ClickHouseModelsReads); the drift check on real adapters (a registered champion with a real model
// buffer and validation AUC, the live feature sampler on an empty store) fires the auc-drop rule.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createClickHouse, runMigrations, type ClickHouseHandle } from '@storepulse/clickhouse';
import { FeatureStore } from '@storepulse/features';
import {
  FEATURE_PROFILE_METADATA_KEY,
  ModelRegistry,
  buildMlp,
  getTf,
  profileFeatures,
  saveModelToBuffer,
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

  before(async () => {
    ch = await createClickHouse(testConfig().clickhouse);
    await runMigrations(ch.client);
    registry = new ModelRegistry(ch.client);
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

  it("the trainer's adapter reads the latest row of the asked version", async () => {
    const live = new ClickHouseLiveAuc(ch.client);
    assert.deepEqual(await live.latest(MODEL, 1), {
      version: 1,
      auc: 0.6,
      n: 1_200,
      positives: 150,
      negatives: 1_050,
      computedAtMs: T0 + 2 * MIN,
      watermarkMs: T0 - MIN,
    });
    assert.equal((await live.latest(MODEL, 2))?.auc, 0.81);
    assert.equal(await live.latest(MODEL, 3), null, 'a version without rows');
    const single = await live.latest(`${MODEL}_b`, 1);
    assert.equal(single?.auc, null, 'a single-class batch reads back as null');
    assert.equal(single?.negatives, 40);
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

  it("the monitor's adapter lists the latest row per version, newest versions first", async () => {
    const rows = (await new ClickHouseModelsReads(ch.client).latestLiveAuc(10)).filter((r) =>
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
    const one = await new ClickHouseModelsReads(ch.client).latestLiveAuc(1);
    assert.deepEqual(
      one.filter((r) => r.model === MODEL).map((r) => r.version),
      [2],
    );
  });

  it("the drift check on real adapters fires the auc-drop rule on the champion's latest live AUC", async () => {
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
    const check = () =>
      new DriftCheck(
        new RegistryChampionProfiles(registry),
        new ClickHouseLiveFeatureSampler(ch.client, new FeatureStore(ch.client)),
        new ClickHouseLiveAuc(ch.client),
        opts,
      );
    const r = await check().check(MODEL, false);
    assert.equal(r.version, 1);
    assert.equal(r.action, 'retrain');
    assert.equal(r.reason, 'drift: live auc 0.600 < validation 0.740 - 0.05');
    assert.equal(r.liveAuc?.validationAuc, 0.74);
    assert.equal(r.liveAuc?.use, 'counted');
    // a later resolution within the allowed drop: stable; one on too few labels is not counted
    const scorer = new ClickHouseLiveMetrics(ch.client);
    await scorer.record(rec({ computedAtMs: T0 + 10 * MIN, auc: 0.71, n: 2_000, positives: 300 }));
    assert.equal((await check().check(MODEL, false)).action, 'stable');
    await scorer.record(rec({ computedAtMs: T0 + 11 * MIN, auc: 0.5, n: 499, positives: 60 }));
    const few = await check().check(MODEL, false);
    assert.equal(few.action, 'stable');
    assert.equal(few.liveAuc?.use, 'too-few-labels');
  });
});
