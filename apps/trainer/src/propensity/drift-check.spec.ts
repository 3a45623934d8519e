// The drift trigger's decision logic with fake ports: a real training profile (profileFeatures), live
// rows drawn from the same or a shifted distribution, the threshold, minimum samples and cooldown.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { profileFeatures, type FeatureProfile } from '@storepulse/ml';
import {
  DriftCheck,
  driftReason,
  type ChampionProfileSource,
  type DriftCheckOptions,
  type LiveFeatureSampler,
} from './drift-check';

const NAMES = ['user_events_1h', 'user_orders_28d'];

/** Deterministic pseudo-random uniform [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** n rows: feature 0 uniform on [shift, shift + 1), feature 1 an integer 0..4. */
function rows(n: number, shift: number, seed: number): Float32Array {
  const r = rng(seed);
  const x = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    x[i * 2] = shift + r();
    x[i * 2 + 1] = Math.floor(r() * 5);
  }
  return x;
}

const profile: FeatureProfile = profileFeatures(rows(20_000, 0, 1), 20_000, NAMES);

function fakes(opts: { champion?: boolean; n: number; shift: number }) {
  const asked: { names: readonly string[]; maxUsers: number; windowMs: number }[] = [];
  const profiles: ChampionProfileSource = {
    championProfile: (model) =>
      Promise.resolve(
        opts.champion === false || model !== 'propensity_7d' ? null : { version: 3, profile },
      ),
  };
  const sampler: LiveFeatureSampler = {
    sample: (names, o) => {
      asked.push({ names, ...o });
      const n = Math.min(opts.n, o.maxUsers);
      return Promise.resolve({ x: rows(n, opts.shift, 7), n, atMs: 1_000 });
    },
  };
  return { profiles, sampler, asked };
}

const OPTS: DriftCheckOptions = {
  psiThreshold: 0.25,
  minSamples: 1_000,
  maxUsers: 5_000,
  activeWindowMs: 3_600_000,
  cooldownMs: 60_000,
};

describe('DriftCheck (drift as a retraining trigger)', () => {
  it('stays stable when live rows follow the training distribution', async () => {
    const f = fakes({ n: 5_000, shift: 0 });
    const r = await new DriftCheck(f.profiles, f.sampler, OPTS).check('propensity_7d', false);
    assert.equal(r.action, 'stable');
    assert.equal(r.version, 3);
    assert.equal(r.rows, 5_000);
    assert.equal(r.reason, null);
    assert.deepEqual(r.psi.map((p) => p.feature).sort(), [...NAMES].sort());
    for (const p of r.psi) assert.ok(p.psi < 0.05, `${p.feature} psi ${p.psi}`);
    assert.deepEqual(f.asked, [{ names: NAMES, maxUsers: 5_000, windowMs: 3_600_000 }]);
  });

  it('asks for a retraining run when a feature shifted, naming the feature and its psi', async () => {
    const f = fakes({ n: 5_000, shift: 0.5 });
    const r = await new DriftCheck(f.profiles, f.sampler, OPTS).check('propensity_7d', false);
    assert.equal(r.action, 'retrain');
    assert.equal(r.psi[0]?.feature, 'user_events_1h');
    assert.ok((r.psi[0]?.psi ?? 0) > 0.25, `psi ${r.psi[0]?.psi}`);
    assert.equal(r.reason, `drift: feature user_events_1h psi ${r.psi[0]?.psi.toFixed(3)}`);
    assert.ok((r.psi[1]?.psi ?? 1) < 0.05, 'the unshifted feature is stable');
  });

  it('does not fire below the minimum number of live samples, nor above the threshold set', async () => {
    const few = fakes({ n: 500, shift: 0.5 });
    const r1 = await new DriftCheck(few.profiles, few.sampler, OPTS).check('propensity_7d', false);
    assert.equal(r1.action, 'stable', 'too few rows for the PSI to count');
    assert.ok((r1.psi[0]?.psi ?? 0) > 0.25);
    const many = fakes({ n: 5_000, shift: 0.5 });
    const lax = { ...OPTS, psiThreshold: 5 };
    const r2 = await new DriftCheck(many.profiles, many.sampler, lax).check('propensity_7d', false);
    assert.equal(r2.action, 'stable');
  });

  it('cannot loop: after a drift run, the cooldown holds the next trigger until it has passed', async () => {
    let now = 1_000_000;
    const f = fakes({ n: 5_000, shift: 0.5 });
    const check = new DriftCheck(f.profiles, f.sampler, OPTS, () => now);
    assert.equal((await check.check('propensity_7d', false)).action, 'retrain');
    check.triggered('propensity_7d');
    now += 59_999;
    assert.equal((await check.check('propensity_7d', false)).action, 'cooldown');
    assert.equal(check.cooldownLeftMs('propensity_7d'), 1);
    now += 1;
    assert.equal((await check.check('propensity_7d', false)).action, 'retrain');
  });

  it('a run in progress, a model without champion and an empty store start nothing', async () => {
    const f = fakes({ n: 5_000, shift: 0.5 });
    const check = new DriftCheck(f.profiles, f.sampler, OPTS);
    assert.equal((await check.check('propensity_7d', true)).action, 'running');
    const none = await check.check('propensity_24h', false);
    assert.equal(none.action, 'no-champion');
    assert.equal(f.asked.length, 1, 'no sample without a champion profile');
    const empty = new DriftCheck(f.profiles, { sample: () => Promise.resolve(null) }, OPTS).check(
      'propensity_7d',
      false,
    );
    assert.equal((await empty).action, 'no-data');
  });

  it('driftReason lists up to three firing features, worst first, and the AUC rule', () => {
    const reasons = [0.9, 0.8, 0.7, 0.6].map((p, i) => ({
      kind: 'feature-psi' as const,
      feature: `f${i}`,
      psi: p,
      threshold: 0.25,
    }));
    assert.equal(
      driftReason({ retrain: true, reasons }),
      'drift: feature f0 psi 0.900, feature f1 psi 0.800, feature f2 psi 0.700 (+1 more)',
    );
    assert.equal(driftReason({ retrain: false, reasons: [] }), null);
  });
});
