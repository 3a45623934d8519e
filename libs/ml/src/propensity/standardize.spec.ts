// Unit tests of the propensity standardiser: hand-computed weighted/unweighted stats, constant
// columns, NaN imputation, clipping, the log1p transform and its JSON form.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LabelledSet } from './labelled-set';
import {
  applyStandardizer,
  fitStandardizer,
  parseTransform,
  serializeTransform,
  suggestLog1pColumns,
  type FeatureTransform,
} from './standardize';

function close(a: number, b: number, tol = 1e-6): void {
  assert.ok(Math.abs(a - b) <= tol, `expected ${b}, got ${a}`);
}

// columns a, b, c; rows weighted 1, 1, 2
const set: LabelledSet = {
  x: Float32Array.from([1, 2, 0, 2, 2, 1, NaN, 2, 3]),
  n: 3,
  d: 3,
  featureNames: ['a', 'b', 'c'],
  y: Float32Array.from([0, 1, 0]),
  weight: Float32Array.from([1, 1, 2]),
};

void describe('fitStandardizer', () => {
  void it('weighted means/stds over finite values; constant column gets std 1', () => {
    const s = fitStandardizer(set);
    assert.deepEqual(s.featureNames, ['a', 'b', 'c']);
    // a: finite 1, 2 (weights 1, 1) -> mean 1.5, std 0.5
    close(s.means[0] ?? NaN, 1.5);
    close(s.stds[0] ?? NaN, 0.5);
    // b: constant 2 -> std 0 < floor -> 1
    close(s.means[1] ?? NaN, 2);
    assert.equal(s.stds[1], 1);
    // c: 0, 1, 3 weighted 1, 1, 2 -> mean 7/4; var (1.75^2 + 0.75^2 + 2 x 1.25^2) / 4 = 1.6875
    close(s.means[2] ?? NaN, 1.75);
    close(s.stds[2] ?? NaN, Math.sqrt(1.6875));
  });

  void it('unweighted when asked', () => {
    const s = fitStandardizer(set, { weighted: false });
    // c: mean 4/3, var (16 + 1 + 25) / 27
    close(s.means[2] ?? NaN, 4 / 3);
    close(s.stds[2] ?? NaN, Math.sqrt(42 / 27));
  });

  void it('rejects an inconsistent set', () => {
    assert.throws(
      () => fitStandardizer({ ...set, featureNames: ['a', 'b'] }),
      /d = 3 but 2 feature names/,
    );
    assert.throws(
      () => fitStandardizer({ ...set, y: Float32Array.from([0, 2, 0]) }),
      /y\[1\] = 2, expected 0 or 1/,
    );
  });
});

void describe('applyStandardizer', () => {
  void it('standardises, imputes NaN to 0 and clips to +-10', () => {
    const s = fitStandardizer(set);
    const x = Float32Array.from([2, 2, 1.75, NaN, 5, 100, -Infinity, NaN, Infinity]);
    const out = applyStandardizer(s, x, 3, 3);
    close(out[0] ?? NaN, 1); // (2 - 1.5) / 0.5
    close(out[1] ?? NaN, 0); // constant column: (2 - 2) / 1
    close(out[2] ?? NaN, 0);
    assert.equal(out[3], 0); // NaN -> mean -> 0
    close(out[4] ?? NaN, 3); // (5 - 2) / 1
    assert.equal(out[5], 10); // clipped
    assert.equal(out[6], -10);
    assert.equal(out[7], 0);
    assert.equal(out[8], 10);
    assert.throws(() => applyStandardizer(s, x, 3, 2), /d = 2 but the stats have 3 features/);
    assert.throws(() => applyStandardizer(s, x, 2, 3), /x has 9 values, expected n x d = 6/);
  });

  void it('log1p transform is applied identically at fit and apply time', () => {
    const t: FeatureTransform = { version: 1, log1p: ['c'] };
    const s = fitStandardizer(set, { transform: t, weighted: false });
    // c: log1p(0, 1, 3) = 0, ln 2, ln 4 -> mean ln 8 / 3
    close(s.means[2] ?? NaN, Math.log(8) / 3);
    const out = applyStandardizer(s, set.x, 3, 3, { transform: t });
    close((out[2] ?? 0) + (out[5] ?? 0) + (out[8] ?? 0), 0, 1e-5);
    // negative values: sign(x) log1p(|x|)
    const neg = applyStandardizer(s, Float32Array.from([0, 0, -3]), 1, 3, { transform: t });
    close(neg[2] ?? NaN, (-Math.log(4) - Math.log(8) / 3) / (s.stds[2] ?? NaN), 1e-5);
    assert.throws(
      () => fitStandardizer(set, { transform: { version: 1, log1p: ['orders', 'c'] } }),
      /log1p columns orders are not among the features \(a, b, c\)/,
    );
  });

  void it('the transform round-trips through JSON and bad JSON fails precisely', () => {
    const t: FeatureTransform = { version: 1, log1p: ['c', 'a'] };
    assert.deepEqual(parseTransform(serializeTransform(t)), t);
    assert.throws(() => parseTransform('{"version":2,"log1p":[]}'), /feature transform:.*version/s);
    assert.throws(() => parseTransform('nope'), /feature transform: not valid JSON/);
  });

  void it('suggests log1p for non-negative heavy-tailed columns only', () => {
    const n = 200;
    const d = 3;
    const x = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      x[i * d] = i % 20 === 0 ? 500 : i % 3; // heavy tail, non-negative
      x[i * d + 1] = (i % 7) - 3; // symmetric, negative values
      x[i * d + 2] = i % 20 === 0 ? -500 : i % 3; // heavy tail but negative
    }
    const s: LabelledSet = {
      x,
      n,
      d,
      featureNames: ['orders', 'delta', 'refunds'],
      y: new Float32Array(n),
      weight: new Float32Array(n).fill(1),
    };
    assert.deepEqual(suggestLog1pColumns(s), ['orders']);
  });
});
