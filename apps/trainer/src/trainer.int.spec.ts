import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createClickHouse, runMigrations, type ClickHouseHandle } from '@storepulse/clickhouse';
import { ClickHousePropensityHistory, FeatureStore } from '@storepulse/features';
import { getTf, ModelRegistry, type Tf } from '@storepulse/ml';
import { testConfig, testLogger } from '../../../test/support/env';
import { loadHistory } from '../../../test/support/history';
import { TrainingSetBuilder } from './propensity/training-set';
import {
  PropensityTrainer,
  propensityFeatures,
  type PropensityRunResult,
} from './propensity/train-propensity';

/**
 * Integration: simulated history through Kafka and the aggregator into the embedded engine, then real
 * TF.js training on the point-in-time training set → registry → gate → champion; a second run
 * warm-starts from the champion and is judged against it on the same held-out cut-off.
 */
const DAY = 86_400_000;
const START = Date.UTC(2026, 9, 1);

describe('propensity training on simulated history (embedded engine, real TF.js)', () => {
  let ch: ClickHouseHandle;
  let tf: Tf;
  let registry: ModelRegistry;
  let trainer: PropensityTrainer;
  let first: PropensityRunResult;
  let maxFeaturePsi = Infinity;
  let ensemble = 1;
  const phases: string[] = [];

  before(async () => {
    const config = testConfig({
      AGGREGATOR_GROUP_ID: `trainer-int-${Date.now()}`,
      FEATURES_ALLOWED_LATENESS_MS: String(3650 * DAY),
      PROPENSITY_HORIZONS: '24h',
      TRAINER_USERS_PER_CUTOFF: '700',
      TRAINER_CUTOFF_EVERY_HOURS: '12',
      TRAINER_FIRST_RUN_CUTOFF_EVERY_HOURS: '12',
      TRAINER_MAX_EPOCHS: '15',
      TRAINER_WARM_MAX_EPOCHS: '5',
    });
    maxFeaturePsi = config.trainer.maxFeaturePsi;
    ensemble = config.trainer.ensemble;
    ch = await createClickHouse(config.clickhouse);
    await runMigrations(ch.client);
    const logger = testLogger();
    await loadHistory(config, ch, logger, {
      seed: 11,
      users: 1000,
      skus: 100,
      invalidRate: 0.005,
      startMs: START,
      endMs: START + 12 * DAY,
      eventsPerDay: 8_000,
    });
    tf = (await getTf({ log: () => undefined })).tf;
    registry = new ModelRegistry(ch.client);
    const builder = new TrainingSetBuilder(
      new ClickHousePropensityHistory(ch.client),
      new FeatureStore(ch.client),
    );
    trainer = new PropensityTrainer(tf, registry, builder, config.trainer, logger);
  });

  after(async () => {
    await ch?.close();
  });

  it('trains the MLP and both baselines on the same time split; the first model is promoted over the heuristic', async () => {
    first = await trainer.run({ name: '24h', ms: DAY }, (p) => phases.push(p.phase));
    assert.deepEqual(
      [...new Set(phases)],
      ['training set', 'training', 'evaluation', 'registry'],
      'progress reported through every phase',
    );
    assert.equal(first.version, 1);
    assert.equal(first.warmStart, false);
    assert.ok(
      first.rows.train > first.rows.test && first.rows.test > 100,
      JSON.stringify(first.rows),
    );
    assert.ok(first.positives.test > 5, JSON.stringify(first.positives));
    // time split: the test cut-off is the latest, validation labels end before it
    assert.ok(Date.parse(first.cutoffs.validation[0]) + DAY <= Date.parse(first.cutoffs.test[0]));
    const t = first.test;
    for (const m of [t.mlp, t.logistic, t.heuristic]) {
      assert.ok(m.rocAuc > 0.6 && m.rocAuc <= 1, `AUC ${m.rocAuc}`);
      assert.ok(m.logLoss > 0 && Number.isFinite(m.logLoss));
      assert.equal(m.n, first.rows.test);
      assert.equal(
        m.reliability.reduce((s, b) => s + b.count, 0),
        first.rows.test,
      );
    }
    console.log(
      `24h test AUC mlp ${t.mlp.rocAuc.toFixed(4)} logistic ${t.logistic.rocAuc.toFixed(4)} heuristic ${t.heuristic.rocAuc.toFixed(4)}; log loss mlp ${t.mlp.logLoss.toFixed(4)} logistic ${t.logistic.logLoss.toFixed(4)} heuristic ${t.heuristic.logLoss.toFixed(4)}; ECE mlp ${t.mlp.ece.toFixed(4)}`,
    );
    assert.equal(first.promoted, true, first.reason);
    // from scratch: TRAINER_ENSEMBLE networks (seeds 7, 8, …) merged into the one served
    assert.deepEqual(
      first.networks.map((n) => n.seed),
      Array.from({ length: ensemble }, (_, i) => 7 + i),
    );
    assert.equal(
      first.epochs,
      first.networks.reduce((a, n) => a + n.epochs, 0),
    );
    const champ = await registry.champion('propensity_24h');
    assert.equal(champ?.version, 1);
    assert.equal(champ?.kind, 'propensity');
    assert.equal(champ?.horizon, '24h');
    // the registry lists the features the model reads: the catalog's minus the non-stationary ones
    assert.equal(champ?.featureNames.length, first.features);
    assert.equal(first.features + first.droppedFeatures.length, propensityFeatures().names.length);
    for (const p of first.droppedFeatures) assert.ok(p.psi > maxFeaturePsi);
    const events = await registry.events({ name: 'propensity_24h' });
    assert.deepEqual(
      events.map((e) => e.event),
      ['promoted', 'registered'],
    );
    assert.match(events[0].reason, /baseline|heuristic/i);
  });

  it('a second run warm-starts from the champion, is compared with it on the same cut-off, and is gated', async () => {
    const second = await trainer.run({ name: '24h', ms: DAY }, () => undefined);
    assert.equal(second.version, 2);
    assert.equal(second.warmStart, true);
    assert.equal(second.parentVersion, 1);
    assert.equal(second.features, first.features, "a warm start keeps the champion's features");
    assert.ok(second.epochs <= 5);
    assert.equal(second.networks.length, 1, 'a warm start continues the merged network');
    assert.ok(second.test.champion, 'the champion is evaluated on the same held-out cut-off');
    assert.equal(second.test.champion.n, second.test.mlp.n);
    const v2 = await registry.get('propensity_24h', 2);
    assert.equal(v2?.parentVersion, 1);
    assert.equal(v2?.status, second.promoted ? 'champion' : 'rejected');
    const aucOk = second.test.mlp.rocAuc >= second.test.champion.rocAuc - 0.005;
    const llOk = second.test.mlp.logLoss <= second.test.champion.logLoss * 1.02 + 1e-12;
    assert.equal(second.promoted, aucOk && llOk, second.reason);
    console.log(
      `warm start: ${second.epochs} epochs in ${second.trainMs} ms (from scratch: ${first.epochs} epochs in ${first.trainMs} ms); AUC ${second.test.mlp.rocAuc.toFixed(4)} vs champion ${second.test.champion.rocAuc.toFixed(4)}; ${second.promoted ? 'promoted' : 'rejected'}: ${second.reason}`,
    );
  });
});
