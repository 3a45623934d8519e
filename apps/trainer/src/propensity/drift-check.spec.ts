// The drift trigger's decision logic with fake ports: a real training profile (profileFeatures), live
// rows drawn from the same or a shifted distribution, the threshold, minimum samples and cooldown; and
// the live-AUC rule on the champion version's persisted live AUC (minimum labels, cooldown, version).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { profileFeatures, type FeatureProfile } from '@storepulse/ml';
import {
  DriftCheck,
  driftReason,
  type ChampionProfileSource,
  type DriftCheckOptions,
  type LiveAucReading,
  type LiveAucSource,
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

/** A persisted live AUC of v3 (the fake champion). */
function reading(auc: number | null, n: number, positives = Math.round(n / 5)): LiveAucReading {
  return {
    version: 3,
    auc,
    n,
    positives,
    negatives: n - positives,
    computedAtMs: 5_000,
    watermarkMs: 4_000,
  };
}

function fakes(opts: {
  champion?: boolean;
  n: number;
  shift: number;
  /** The champion's validation AUC (default 0.74). */
  validationAuc?: number | null;
  /** Without a training profile: PSI cannot be measured. */
  noProfile?: boolean;
  /** The latest persisted live AUC per version (default none). */
  live?: LiveAucReading | null;
}) {
  const asked: { names: readonly string[]; maxUsers: number; windowMs: number }[] = [];
  const liveAsked: { model: string; version: number }[] = [];
  const profiles: ChampionProfileSource = {
    championProfile: (model) =>
      Promise.resolve(
        opts.champion === false || model !== 'propensity_7d'
          ? null
          : {
              version: 3,
              profile: opts.noProfile ? null : profile,
              validationAuc: opts.validationAuc === undefined ? 0.74 : opts.validationAuc,
            },
      ),
  };
  const sampler: LiveFeatureSampler = {
    sample: (names, o) => {
      asked.push({ names, ...o });
      const n = Math.min(opts.n, o.maxUsers);
      return Promise.resolve({ x: rows(n, opts.shift, 7), n, atMs: 1_000 });
    },
  };
  const liveAuc: LiveAucSource = {
    latest: (model, version) => {
      liveAsked.push({ model, version });
      const r = opts.live ?? null;
      return Promise.resolve(r && r.version === version ? r : null);
    },
  };
  return { profiles, sampler, liveAuc, asked, liveAsked };
}

const OPTS: DriftCheckOptions = {
  psiThreshold: 0.25,
  minSamples: 1_000,
  maxUsers: 5_000,
  activeWindowMs: 3_600_000,
  cooldownMs: 60_000,
  minLiveLabels: 500,
  aucDrop: 0.05,
};

describe('DriftCheck (drift as a retraining trigger)', () => {
  it('stays stable when live rows follow the training distribution', async () => {
    const f = fakes({ n: 5_000, shift: 0 });
    const r = await new DriftCheck(f.profiles, f.sampler, f.liveAuc, OPTS).check(
      'propensity_7d',
      false,
    );
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
    const r = await new DriftCheck(f.profiles, f.sampler, f.liveAuc, OPTS).check(
      'propensity_7d',
      false,
    );
    assert.equal(r.action, 'retrain');
    assert.equal(r.psi[0]?.feature, 'user_events_1h');
    assert.ok((r.psi[0]?.psi ?? 0) > 0.25, `psi ${r.psi[0]?.psi}`);
    assert.equal(r.reason, `drift: feature user_events_1h psi ${r.psi[0]?.psi.toFixed(3)}`);
    assert.ok((r.psi[1]?.psi ?? 1) < 0.05, 'the unshifted feature is stable');
  });

  it('does not fire below the minimum number of live samples, nor above the threshold set', async () => {
    const few = fakes({ n: 500, shift: 0.5 });
    const r1 = await new DriftCheck(few.profiles, few.sampler, few.liveAuc, OPTS).check(
      'propensity_7d',
      false,
    );
    assert.equal(r1.action, 'stable', 'too few rows for the PSI to count');
    assert.ok((r1.psi[0]?.psi ?? 0) > 0.25);
    const many = fakes({ n: 5_000, shift: 0.5 });
    const lax = { ...OPTS, psiThreshold: 5 };
    const r2 = await new DriftCheck(many.profiles, many.sampler, many.liveAuc, lax).check(
      'propensity_7d',
      false,
    );
    assert.equal(r2.action, 'stable');
  });

  it('cannot loop: after a drift run, the cooldown holds the next trigger until it has passed', async () => {
    let now = 1_000_000;
    const f = fakes({ n: 5_000, shift: 0.5 });
    const check = new DriftCheck(f.profiles, f.sampler, f.liveAuc, OPTS, () => now);
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
    const check = new DriftCheck(f.profiles, f.sampler, f.liveAuc, OPTS);
    assert.equal((await check.check('propensity_7d', true)).action, 'running');
    const none = await check.check('propensity_24h', false);
    assert.equal(none.action, 'no-champion');
    assert.equal(f.asked.length, 1, 'no sample without a champion profile');
    const empty = new DriftCheck(
      f.profiles,
      { sample: () => Promise.resolve(null) },
      f.liveAuc,
      OPTS,
    ).check('propensity_7d', false);
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

describe("DriftCheck: the live-AUC rule (the champion version's persisted live AUC)", () => {
  it('fires when the live AUC fell more than aucDrop below the validation AUC, with the reason', async () => {
    const f = fakes({ n: 5_000, shift: 0, live: reading(0.61, 2_000) });
    const r = await new DriftCheck(f.profiles, f.sampler, f.liveAuc, OPTS).check(
      'propensity_7d',
      false,
    );
    assert.equal(r.action, 'retrain');
    assert.equal(r.reason, 'drift: live auc 0.610 < validation 0.740 - 0.05');
    assert.deepEqual(f.liveAsked, [{ model: 'propensity_7d', version: 3 }]);
    assert.equal(r.liveAuc?.use, 'counted');
    assert.equal(r.liveAuc?.auc, 0.61);
    assert.equal(r.liveAuc?.validationAuc, 0.74);
    assert.equal(r.liveAuc?.n, 2_000);
    assert.deepEqual(
      r.decision?.reasons.map((x) => x.kind),
      ['auc-drop'],
      'the features are stable: only the AUC fired',
    );
  });

  it('stays stable within the allowed drop, a stricter drop fires', async () => {
    for (const auc of [0.7, 0.695, 0.75]) {
      const f = fakes({ n: 5_000, shift: 0, live: reading(auc, 2_000), validationAuc: 0.74 });
      const r = await new DriftCheck(f.profiles, f.sampler, f.liveAuc, OPTS).check(
        'propensity_7d',
        false,
      );
      assert.equal(r.action, 'stable', `live auc ${auc}`);
      assert.equal(r.liveAuc?.use, 'counted');
      assert.equal(r.reason, null);
    }
    // a stricter drop setting makes 0.70 fire
    const f = fakes({ n: 5_000, shift: 0, live: reading(0.7, 2_000) });
    const strict = { ...OPTS, aucDrop: 0.02 };
    const r = await new DriftCheck(f.profiles, f.sampler, f.liveAuc, strict).check(
      'propensity_7d',
      false,
    );
    assert.equal(r.action, 'retrain');
    assert.equal(r.reason, 'drift: live auc 0.700 < validation 0.740 - 0.02');
  });

  it('does not fire below the minimum number of matured labels, nor with too few of a class', async () => {
    const few = fakes({ n: 5_000, shift: 0, live: reading(0.5, 499) });
    const r1 = await new DriftCheck(few.profiles, few.sampler, few.liveAuc, OPTS).check(
      'propensity_7d',
      false,
    );
    assert.equal(r1.action, 'stable');
    assert.equal(r1.liveAuc?.use, 'too-few-labels');
    assert.equal(r1.liveAuc?.auc, 0.5, 'the reading is still reported');
    const enough = fakes({ n: 5_000, shift: 0, live: reading(0.5, 500) });
    const r2 = await new DriftCheck(enough.profiles, enough.sampler, enough.liveAuc, OPTS).check(
      'propensity_7d',
      false,
    );
    assert.equal(r2.action, 'retrain', 'exactly minLiveLabels counts');
    const rare = fakes({ n: 5_000, shift: 0, live: reading(0.5, 5_000, 19) });
    const r3 = await new DriftCheck(rare.profiles, rare.sampler, rare.liveAuc, OPTS).check(
      'propensity_7d',
      false,
    );
    assert.equal(r3.action, 'stable');
    assert.equal(r3.liveAuc?.use, 'too-few-labels');
    const more = { ...OPTS, minLiveLabels: 5_000 };
    const r4 = await new DriftCheck(few.profiles, few.sampler, few.liveAuc, more).check(
      'propensity_7d',
      false,
    );
    assert.equal(r4.liveAuc?.use, 'too-few-labels');
  });

  it('ignores a single-class batch and a champion without validation AUC', async () => {
    const single = fakes({ n: 5_000, shift: 0, live: reading(null, 2_000, 0) });
    const r1 = await new DriftCheck(single.profiles, single.sampler, single.liveAuc, OPTS).check(
      'propensity_7d',
      false,
    );
    assert.equal(r1.action, 'stable');
    assert.equal(r1.liveAuc?.use, 'single-class');
    const noVal = fakes({ n: 5_000, shift: 0, live: reading(0.4, 2_000), validationAuc: null });
    const r2 = await new DriftCheck(noVal.profiles, noVal.sampler, noVal.liveAuc, OPTS).check(
      'propensity_7d',
      false,
    );
    assert.equal(r2.action, 'stable');
    assert.equal(r2.liveAuc?.use, 'no-validation-auc');
  });

  it("only reads the champion version's AUC: another version's reading does not count", async () => {
    const f = fakes({ n: 5_000, shift: 0, live: { ...reading(0.5, 2_000), version: 2 } });
    const r = await new DriftCheck(f.profiles, f.sampler, f.liveAuc, OPTS).check(
      'propensity_7d',
      false,
    );
    assert.equal(r.action, 'stable');
    assert.equal(r.liveAuc, null);
    assert.deepEqual(f.liveAsked, [{ model: 'propensity_7d', version: 3 }]);
  });

  it('holds a firing AUC rule during the cooldown and while a run is in progress', async () => {
    let now = 1_000_000;
    const f = fakes({ n: 5_000, shift: 0, live: reading(0.6, 2_000) });
    const check = new DriftCheck(f.profiles, f.sampler, f.liveAuc, OPTS, () => now);
    assert.equal((await check.check('propensity_7d', true)).action, 'running');
    assert.equal((await check.check('propensity_7d', false)).action, 'retrain');
    check.triggered('propensity_7d');
    now += 59_999;
    const held = await check.check('propensity_7d', false);
    assert.equal(held.action, 'cooldown');
    assert.equal(held.reason, 'drift: live auc 0.600 < validation 0.740 - 0.05');
    now += 1;
    assert.equal((await check.check('propensity_7d', false)).action, 'retrain');
  });

  it('lists the AUC reason after the PSI ones when both fire', async () => {
    const f = fakes({ n: 5_000, shift: 0.5, live: reading(0.6, 2_000) });
    const r = await new DriftCheck(f.profiles, f.sampler, f.liveAuc, OPTS).check(
      'propensity_7d',
      false,
    );
    assert.equal(r.action, 'retrain');
    assert.equal(
      r.reason,
      `drift: feature user_events_1h psi ${r.psi[0]?.psi.toFixed(3)}, live auc 0.600 < validation 0.740 - 0.05`,
    );
  });

  it('works for a champion saved without a profile (AUC only), else reports no data', async () => {
    const f = fakes({ n: 5_000, shift: 0.5, noProfile: true, live: reading(0.6, 2_000) });
    const r = await new DriftCheck(f.profiles, f.sampler, f.liveAuc, OPTS).check(
      'propensity_7d',
      false,
    );
    assert.equal(r.action, 'retrain');
    assert.deepEqual(r.psi, []);
    assert.equal(f.asked.length, 0, 'no feature sample without a profile');
    const none = fakes({ n: 5_000, shift: 0.5, noProfile: true });
    const r2 = await new DriftCheck(none.profiles, none.sampler, none.liveAuc, OPTS).check(
      'propensity_7d',
      false,
    );
    assert.equal(r2.action, 'no-data');
    assert.equal(r2.version, 3);
  });

  it('a store without live rows still checks the live AUC', async () => {
    const f = fakes({ n: 0, shift: 0, live: reading(0.6, 2_000) });
    const r = await new DriftCheck(f.profiles, f.sampler, f.liveAuc, OPTS).check(
      'propensity_7d',
      false,
    );
    assert.equal(r.action, 'retrain');
    assert.equal(r.rows, 0);
  });
});
