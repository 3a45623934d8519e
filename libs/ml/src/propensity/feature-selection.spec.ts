// Unit tests of the stationarity filter of the propensity features: PSI of validation against the
// training profile computed by hand, the limit, the column selection and its errors.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LabelledSet } from './labelled-set';
import { selectFeatures, stableFeatures } from './feature-selection';

function set(cols: Record<string, number[]>): LabelledSet {
  const names = Object.keys(cols);
  const n = cols[names[0]].length;
  const x = new Float32Array(n * names.length);
  names.forEach((f, j) => cols[f].forEach((v, i) => (x[i * names.length + j] = v)));
  return {
    x,
    n,
    d: names.length,
    featureNames: names,
    y: Float32Array.from({ length: n }, (_, i) => i % 2),
    weight: new Float32Array(n).fill(1),
  };
}

const half = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1];
// training: every column half 0, half 1 (two bins split at 0.5, plus the missing bin)
const train = set({ a: half, b: half, c: half });
// validation: a unchanged, b all 1, c 60 % 0 and 40 % 1
const validation = set({
  a: half,
  b: new Array<number>(10).fill(1),
  c: [0, 0, 0, 0, 0, 0, 1, 1, 1, 1],
});

void describe('stableFeatures', () => {
  void it('PSI of validation against training, by hand; features above the limit are left out', () => {
    const s = stableFeatures(train, validation, 0.25);
    const psi = new Map(s.psi.map((p) => [p.feature, p.psi]));
    // a: same proportions -> 0
    assert.equal(psi.get('a'), 0);
    // b: expected (0.5, 0.5, 0), actual (0, 1, 0), proportions floored at 1e-4:
    // (1e-4 - 0.5) ln(1e-4 / 0.5) + (1 - 0.5) ln(1 / 0.5) + 0 = 4.257745 + 0.346574 = 4.604319
    assert.ok(Math.abs((psi.get('b') ?? NaN) - 4.604319) < 1e-5, String(psi.get('b')));
    // c: (0.6 - 0.5) ln 1.2 + (0.4 - 0.5) ln 0.8 = 0.018232 + 0.022314 = 0.040546
    assert.ok(Math.abs((psi.get('c') ?? NaN) - 0.040546) < 1e-5, String(psi.get('c')));
    assert.deepEqual(s.kept, ['a', 'c']);
    assert.deepEqual(
      s.dropped.map((p) => p.feature),
      ['b'],
    );
  });

  void it('the limit decides: below c’s PSI drops c too; Infinity keeps every feature', () => {
    assert.deepEqual(stableFeatures(train, validation, 0.04).kept, ['a']);
    assert.deepEqual(stableFeatures(train, validation, Infinity).kept, ['a', 'b', 'c']);
  });

  void it('precise errors: no feature left, other columns, a limit <= 0', () => {
    assert.throws(
      () => stableFeatures(set({ b: half }), set({ b: new Array<number>(10).fill(1) }), 0.25),
      /every feature has a validation PSI above 0.25/,
    );
    assert.throws(() => stableFeatures(train, set({ a: half, c: half, b: half }), 0.25), /differ/);
    assert.throws(() => stableFeatures(train, validation, 0), /maxPsi = 0/);
  });
});

void describe('selectFeatures', () => {
  void it('copies the named columns in the given order, keeps labels and weights', () => {
    const s = set({ a: [1, 2], b: [3, 4], c: [5, 6] });
    const t = selectFeatures(s, ['c', 'a']);
    assert.deepEqual(t.featureNames, ['c', 'a']);
    assert.equal(t.d, 2);
    assert.deepEqual(Array.from(t.x), [5, 1, 6, 2]);
    assert.equal(t.y, s.y);
    assert.equal(t.weight, s.weight);
    assert.throws(() => selectFeatures(s, ['a', 'z']), /no column 'z'/);
  });
});
