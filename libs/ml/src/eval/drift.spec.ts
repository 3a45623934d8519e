// Unit tests of feature drift: profile bins (quantile, discrete, missing, weighted), JSON round-trip,
// the live histogram's column matching and sliding window, PSI on hand-computed and simulated cases,
// the status bands and the retraining trigger.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomNormals } from '../models';
import {
  LiveFeatureHistogram,
  PSI_EPSILON,
  driftStatus,
  driftTrigger,
  parseFeatureProfile,
  profileFeatures,
  psi,
  psiOf,
  type FeaturePsi,
} from './drift';

function close(actual: number, expected: number, tol: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tol,
    `${what}: expected ${expected}, got ${actual} (tol ${tol})`,
  );
}

/** Row-major matrix from columns. */
function matrix(cols: ArrayLike<number>[]): Float32Array {
  const n = cols[0].length;
  const d = cols.length;
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let f = 0; f < d; f++) x[i * d + f] = cols[f][i];
  return x;
}

function sum(a: readonly number[]): number {
  return a.reduce((s, v) => s + v, 0);
}

void describe('profileFeatures', () => {
  void it('10 equal quantile bins on 1000 distinct values, an empty missing bin', () => {
    const v = Array.from({ length: 1000 }, (_, i) => i);
    const p = profileFeatures(matrix([v]), 1000, ['a']);
    const f = p.features[0];
    assert.equal(f.name, 'a');
    assert.deepEqual(f.edges, [99.5, 199.5, 299.5, 399.5, 499.5, 599.5, 699.5, 799.5, 899.5]);
    assert.equal(f.expected.length, 11);
    for (let k = 0; k < 10; k++) close(f.expected[k], 0.1, 1e-12, `bin ${k}`);
    assert.equal(f.expected[10], 0);
  });

  void it('a discrete feature gets one bin per value, NaN goes to the missing bin', () => {
    // values 0 x4, 1 x3, 5 x1, NaN x2
    const v = [0, 0, 1, 5, NaN, 0, 1, 1, NaN, 0];
    const f = profileFeatures(matrix([v]), 10, ['orders']).features[0];
    assert.deepEqual(f.edges, [0.5, 3]);
    assert.deepEqual(f.expected, [0.4, 0.3, 0.1, 0.2]);
  });

  void it('a heavy point mass collapses quantile bins; a constant column has one bin', () => {
    // 70 % zeros then 300 distinct values
    const v = [...new Array<number>(700).fill(0), ...Array.from({ length: 300 }, (_, i) => i + 1)];
    const c = new Array<number>(1000).fill(3);
    const p = profileFeatures(matrix([v, c]), 1000, ['zeros', 'const']);
    const z = p.features[0];
    // quantiles 0.1..0.7 are all 0: one cut above 0, then 0.8 and 0.9 at values 100 and 200
    assert.deepEqual(z.edges, [0.5, 100.5, 200.5]);
    close(z.expected[0], 0.7, 1e-12, 'zeros bin');
    close(z.expected[1], 0.1, 1e-12, 'bin 1');
    close(z.expected[3], 0.1, 1e-12, 'last finite bin');
    assert.deepEqual(p.features[1].edges, []);
    assert.deepEqual(p.features[1].expected, [1, 0]);
  });

  void it('weighted quantiles: the same edges as duplicated rows', () => {
    const v = Array.from({ length: 200 }, (_, i) => (i * 37) % 200);
    const w = v.map((_, i) => 1 + (i % 3));
    const dup: number[] = [];
    v.forEach((x, i) => {
      for (let k = 0; k < w[i]; k++) dup.push(x);
    });
    const weighted = profileFeatures(matrix([v]), v.length, ['a'], { weights: w });
    const duplicated = profileFeatures(matrix([dup]), dup.length, ['a']);
    assert.deepEqual(weighted.features[0].edges, duplicated.features[0].edges);
    weighted.features[0].expected.forEach((p, k) =>
      close(p, duplicated.features[0].expected[k], 1e-12, `bin ${k}`),
    );
  });

  void it('weights move the quantiles and the proportions', () => {
    // 0 and 1 each once; weight 3 on the 1
    const f = profileFeatures(matrix([[0, 1]]), 2, ['a'], { weights: [1, 3] }).features[0];
    assert.deepEqual(f.edges, [0.5]);
    assert.deepEqual(f.expected, [0.25, 0.75, 0]);
  });

  void it('round-trips through JSON and rejects a corrupted profile precisely', () => {
    const x = matrix([
      Array.from(randomNormals(500, 3)),
      Array.from({ length: 500 }, (_, i) => i % 3),
    ]);
    const p = profileFeatures(x, 500, ['z', 'k'], { bins: 5 });
    const back = parseFeatureProfile(JSON.parse(JSON.stringify(p)));
    assert.deepEqual(back, p);
    for (const f of back.features) close(sum(f.expected), 1, 1e-12, `${f.name} sums`);
    const bad = JSON.parse(JSON.stringify(p)) as { features: { expected: number[] }[] };
    bad.features[1].expected.pop();
    assert.throws(
      () => parseFeatureProfile(bad),
      /features\[1\] \(k\)\.expected must have edges\.length \+ 2 = 4 proportions/,
    );
  });

  void it('throws on a shape error, a bad weight, duplicate names', () => {
    assert.throws(
      () => profileFeatures(new Float32Array(5), 3, ['a', 'b']),
      /x has 5 values, expected n x d = 3 x 2 = 6/,
    );
    assert.throws(
      () => profileFeatures(new Float32Array(2), 2, ['a'], { weights: [1, -1] }),
      /weights\[1\] = -1/,
    );
    assert.throws(
      () => profileFeatures(new Float32Array(4), 2, ['a', 'a']),
      /duplicate feature name 'a'/,
    );
  });
});

void describe('LiveFeatureHistogram', () => {
  const profile = profileFeatures(matrix([[0, 1, 2, 0, 1, 2]]), 6, ['k']); // edges 0.5, 1.5

  void it('matches columns by name, ignores unknown columns, counts NaN as missing', () => {
    const h = new LiveFeatureHistogram(profile);
    // columns: extra, k — rows k = 2, NaN, 0, 7
    h.add(new Float64Array([9, 2, 9, NaN, 9, 0, 9, 7]), 4, ['extra', 'k']);
    assert.equal(h.rows(), 4);
    assert.deepEqual(h.counts(), [{ feature: 'k', counts: [1, 0, 2, 1], rows: 4 }]);
    h.add(new Float32Array([5, 5]), 2, ['other']); // k absent: rows counted, k not
    assert.equal(h.rows(), 6);
    assert.equal(h.counts()[0].rows, 4);
    h.reset();
    assert.equal(h.rows(), 0);
    assert.deepEqual(h.counts()[0].counts, [0, 0, 0, 0]);
  });

  void it('bins equal a brute-force count of edges <= v, edge values, ±0, ±Infinity, heavy tails', () => {
    const n = 3000;
    const z = randomNormals(n * 3, 9);
    const cols = [
      Array.from({ length: n }, (_, i) => Math.exp(3 * z[i])), // heavy tail
      Array.from({ length: n }, (_, i) =>
        i % 50 === 0 ? -Infinity : i % 70 === 0 ? Infinity : z[n + i],
      ),
      Array.from({ length: n }, (_, i) => Math.round(z[2 * n + i] * 3)), // discrete
    ];
    const names = ['tail', 'inf', 'disc'];
    const prof = profileFeatures(matrix(cols), n, names);
    assert.ok(prof.features.every((f) => f.edges.every((e) => Number.isFinite(e))));
    // live values: every edge, its float neighbours, -0, ±Infinity, NaN and fresh draws
    const live: number[][] = prof.features.map((f, k) => {
      const v: number[] = [
        -0,
        0,
        Infinity,
        -Infinity,
        NaN,
        ...Array.from(randomNormals(500, 20 + k)).map((x) => x * 10),
      ];
      for (const e of f.edges) v.push(e, e * (1 - 1e-15), e * (1 + 1e-15), Math.fround(e));
      return v;
    });
    const m = Math.max(...live.map((v) => v.length));
    const rowsLive = live.map((v) => Array.from({ length: m }, (_, i) => v[i % v.length]));
    const h = new LiveFeatureHistogram(prof);
    const x = new Float64Array(m * 3);
    for (let i = 0; i < m; i++) for (let f = 0; f < 3; f++) x[i * 3 + f] = rowsLive[f][i];
    h.add(x, m, names);
    prof.features.forEach((f, k) => {
      const expected = new Array<number>(f.edges.length + 2).fill(0);
      for (const v of rowsLive[k]) {
        const b = Number.isNaN(v) ? f.edges.length + 1 : f.edges.filter((e) => e <= v).length;
        expected[b] = expected[b] + 1;
      }
      assert.deepEqual(h.counts()[k].counts, expected, f.name);
    });
  });

  void it('an exact window of the last 4 rows (blocks = window)', () => {
    const h = new LiveFeatureHistogram(profile, { window: 4, blocks: 4 });
    h.add(new Float32Array([0, 0, 0]), 3, ['k']);
    h.add(new Float32Array([1, 2, 2]), 3, ['k']); // last 4: 0 1 2 2
    assert.equal(h.rows(), 4);
    assert.deepEqual(h.counts()[0].counts, [1, 1, 2, 0]);
  });

  void it('a blocked window keeps between window - window/blocks + 1 and window rows', () => {
    const h = new LiveFeatureHistogram(profile, { window: 4, blocks: 2 });
    const seen: number[] = [];
    for (let i = 0; i < 7; i++) {
      h.add(new Float32Array([i % 3]), 1, ['k']);
      seen.push(h.rows());
    }
    assert.deepEqual(seen, [1, 2, 3, 4, 3, 4, 3]);
    // rows 5..7 (values 1, 2, 0) remain after the 7th
    assert.deepEqual(h.counts()[0].counts, [1, 1, 1, 0]);
  });

  void it('every = 3 counts stream rows 0, 3, 6, 9 across add() calls', () => {
    const h = new LiveFeatureHistogram(profile, { every: 3 });
    // stream values: row i has value i % 3 except rows 3 and 9 (value 2) and row 6 (NaN)
    const stream = [0, 1, 2, 2, 1, 2, NaN, 1, 2, 2, 1];
    h.add(Float32Array.from(stream.slice(0, 2)), 2, ['k']);
    h.add(Float32Array.from(stream.slice(2, 7)), 5, ['k']);
    h.add(Float32Array.from(stream.slice(7, 11)), 4, ['k']);
    assert.equal(h.rows(), 4);
    // counted: 0 (bin 0), 2, NaN, 2
    assert.deepEqual(h.counts()[0].counts, [1, 0, 2, 1]);
    assert.throws(() => new LiveFeatureHistogram(profile, { every: 0 }), /every = 0/);
  });

  void it('rejects a window that blocks do not divide, and a wrong x length', () => {
    assert.throws(
      () => new LiveFeatureHistogram(profile, { window: 10, blocks: 3 }),
      /blocks = 3 does not divide window = 10/,
    );
    const h = new LiveFeatureHistogram(profile);
    assert.throws(
      () => h.add(new Float32Array(3), 2, ['k']),
      /x has 3 values, expected n x d = 2 x 1 = 2/,
    );
  });
});

void describe('psi', () => {
  void it('a hand-computed 2-bin case: 0.3 ln 1.6 + 0.3 ln 2.5', () => {
    // expected 50/50 over {0, 1}; live 80/20 -> (0.8-0.5)ln(0.8/0.5) + (0.2-0.5)ln(0.2/0.5)
    const profile = profileFeatures(matrix([[0, 1]]), 2, ['b']);
    const h = new LiveFeatureHistogram(profile);
    h.add(new Float32Array([0, 0, 0, 0, 1, 0, 0, 0, 1, 0]), 10, ['b']);
    const [r] = psi(profile, h);
    // the empty missing bin is epsilon on both sides: contributes 0
    close(r.psi, 0.3 * Math.log(1.6) + 0.3 * Math.log(2.5), 1e-12, 'psi');
    close(r.psi, 0.4158883083, 1e-9, 'psi value');
    assert.equal(r.liveRows, 10);
    assert.equal(driftStatus(r.psi), 'significant');
  });

  void it('epsilon for an empty live bin: (ε − e) ln(ε / e)', () => {
    close(
      psiOf([0.5, 0.5], [1, 0]),
      0.5 * Math.log(2) + (PSI_EPSILON - 0.5) * Math.log(PSI_EPSILON / 0.5),
      1e-12,
      'psi',
    );
  });

  void it('about 0 on a fresh sample of the same normal, large for a shifted one, sorted worst first', () => {
    const n = 20_000;
    const train = matrix([Array.from(randomNormals(n, 1)), Array.from(randomNormals(n, 2))]);
    const profile = profileFeatures(train, n, ['same', 'shifted']);
    const liveSame = randomNormals(n, 11);
    const liveShift = randomNormals(n, 12).map((v) => v + 1);
    const h = new LiveFeatureHistogram(profile);
    // live columns in another order
    h.add(matrix([liveShift, liveSame]), n, ['shifted', 'same']);
    const out = psi(profile, h);
    assert.deepEqual(
      out.map((r) => r.feature),
      ['shifted', 'same'],
    );
    // sampling noise: E[PSI] ≈ (bins − 1)(1/n + 1/m) = 9 x 1e-4
    assert.ok(out[1].psi < 0.005, `same: ${out[1].psi}`);
    assert.equal(driftStatus(out[1].psi), 'stable');
    // a 1-sd mean shift on 10 deciles gives PSI around 1
    assert.ok(out[0].psi > 0.8, `shifted: ${out[0].psi}`);
  });

  void it('missing values count: 30 % NaN live where training had none', () => {
    const n = 10_000;
    const v = Array.from(randomNormals(n, 5));
    const profile = profileFeatures(matrix([v]), n, ['m']);
    const live = Float32Array.from(v, (x, i) => (i % 10 < 3 ? NaN : x));
    const h = new LiveFeatureHistogram(profile);
    h.add(live, n, ['m']);
    const c = h.counts()[0];
    assert.equal(c.counts[c.counts.length - 1], 3000);
    // finite bins each hold 0.07 live vs 0.1 expected; missing 0.3 vs 0 (ε)
    const expected =
      10 * (0.07 - 0.1) * Math.log(0.07 / 0.1) + (0.3 - PSI_EPSILON) * Math.log(0.3 / PSI_EPSILON);
    close(psi(profile, h)[0].psi, expected, 0.02, 'psi with missing');
  });

  void it('leaves out features with no live rows', () => {
    const profile = profileFeatures(
      matrix([
        [0, 1],
        [2, 3],
      ]),
      2,
      ['a', 'b'],
    );
    const h = new LiveFeatureHistogram(profile);
    h.add(new Float32Array([0, 1]), 2, ['a']);
    assert.deepEqual(
      psi(profile, h).map((r) => r.feature),
      ['a'],
    );
  });
});

void describe('driftStatus', () => {
  void it('bands: < 0.1 stable, 0.1..0.25 moderate, > 0.25 significant', () => {
    assert.equal(driftStatus(0), 'stable');
    assert.equal(driftStatus(0.0999), 'stable');
    assert.equal(driftStatus(0.1), 'moderate');
    assert.equal(driftStatus(0.25), 'moderate');
    assert.equal(driftStatus(0.2501), 'significant');
    assert.throws(() => driftStatus(NaN), /psi = NaN/);
  });
});

void describe('driftTrigger', () => {
  const rows = 5000;
  const psiList: FeaturePsi[] = [
    { feature: 'recency', psi: 0.4, liveRows: rows },
    { feature: 'noise', psi: 0.3, liveRows: rows },
    { feature: 'few', psi: 0.9, liveRows: 10 },
    { feature: 'frequency', psi: 0.12, liveRows: rows },
  ];

  void it('PSI over the threshold on a counted feature with enough rows', () => {
    const d = driftTrigger({ psi: psiList });
    assert.equal(d.retrain, true);
    assert.deepEqual(d.reasons, [
      { kind: 'feature-psi', feature: 'recency', psi: 0.4, threshold: 0.25 },
      { kind: 'feature-psi', feature: 'noise', psi: 0.3, threshold: 0.25 },
    ]);
    // only the model's top features count
    const top = driftTrigger({ psi: psiList }, { features: ['frequency', 'few', 'noise'] });
    assert.deepEqual(
      top.reasons.map((r) => (r.kind === 'feature-psi' ? r.feature : r.kind)),
      ['noise'],
    );
    assert.equal(driftTrigger({ psi: psiList }, { features: ['frequency'] }).retrain, false);
    assert.equal(
      driftTrigger({ psi: psiList }, { features: ['frequency'], psiThreshold: 0.1 }).retrain,
      true,
    );
  });

  void it('live AUC below validation AUC − 0.05 with enough matured samples', () => {
    const stable: FeaturePsi[] = [{ feature: 'a', psi: 0.01, liveRows: rows }];
    const live = { auc: 0.7, n: 2000, positives: 100 };
    const d = driftTrigger({ psi: stable, live, validationAuc: 0.76 });
    assert.equal(d.retrain, true);
    assert.equal(d.reasons.length, 1);
    const r = d.reasons[0];
    assert.equal(r.kind, 'auc-drop');
    if (r.kind === 'auc-drop') close(r.drop, 0.06, 1e-12, 'drop');
    assert.equal(driftTrigger({ psi: stable, live, validationAuc: 0.74 }).retrain, false);
    // too few samples or positives: no decision on AUC
    assert.equal(
      driftTrigger({ psi: stable, live: { ...live, n: 100 }, validationAuc: 0.9 }).retrain,
      false,
    );
    assert.equal(
      driftTrigger({ psi: stable, live: { ...live, positives: 5 }, validationAuc: 0.9 }).retrain,
      false,
    );
    assert.equal(
      driftTrigger({ psi: stable, live: { ...live, auc: NaN }, validationAuc: 0.9 }).retrain,
      false,
    );
    assert.equal(
      driftTrigger({ psi: stable, live, validationAuc: 0.76 }, { aucDrop: 0.1 }).retrain,
      false,
    );
  });

  void it('rejects a bad option', () => {
    assert.throws(() => driftTrigger({ psi: [] }, { aucDrop: -1 }), /aucDrop = -1/);
  });
});
