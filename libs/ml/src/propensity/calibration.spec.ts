// Unit tests of the MLP calibration on hand-computed cases: the slope with a fixed offset, Platt's
// two parameters, the base-rate intercept, and the errors.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  calibrate,
  fitBaseRateIntercept,
  fitCalibration,
  fitLogitCalibration,
} from './calibration';

const close = (a: number, b: number, tol = 1e-6) =>
  assert.ok(Math.abs(a - b) < tol, `${a} vs ${b} (tolerance ${tol})`);

describe('fitLogitCalibration', () => {
  it('slope with the offset fixed at 0: z = ±1 with 3:1 labels gives a = ln 3', () => {
    // z = +1: 3 positives, 1 negative; z = -1: 1 positive, 3 negatives (as weights).
    // d/da: 3(σ(a) − 1) + σ(a) + [−(σ(−a) − 1) − 3σ(−a)] = 2(4σ(a) − 3) = 0 → σ(a) = 3/4.
    const z = [1, 1, -1, -1];
    const y = [1, 0, 1, 0];
    const w = [3, 1, 1, 3];
    const c = fitLogitCalibration(z, y, w, { fixedB: 0, l2: 0 });
    close(c.a, Math.log(3));
    assert.equal(c.b, 0);
    close(calibrate(c, 1), 0.75);
    close(calibrate(c, -1), 0.25);
  });

  it('Platt: two logit values, each with its own rate, are matched exactly', () => {
    // z = 0: 1 positive in 5 (rate 0.2); z = 2: 4 in 5 (rate 0.8). The MLE reproduces both rates:
    // b = logit(0.2) = −ln 4, 2a + b = logit(0.8) = ln 4 → a = ln 4.
    const z = [0, 0, 2, 2];
    const y = [1, 0, 1, 0];
    const w = [1, 4, 4, 1];
    const c = fitLogitCalibration(z, y, w, { l2: 0 });
    close(c.b, -Math.log(4));
    close(c.a, Math.log(4));
    close(calibrate(c, 0), 0.2);
    close(calibrate(c, 2), 0.8);
  });

  it('with a fixed offset, the fitted slope zeroes the likelihood gradient', () => {
    const z = [-2, -0.5, 0.3, 1.1, 2.5, -1.2, 0.8];
    const y = [0, 0, 1, 0, 1, 1, 1];
    const w = [1, 2, 1, 1, 1, 0.5, 1];
    const b = -0.7;
    const c = fitLogitCalibration(z, y, w, { fixedB: b, l2: 0 });
    assert.equal(c.b, b);
    const grad = z.reduce((g, zi, i) => g + w[i] * (calibrate(c, zi) - y[i]) * zi, 0);
    close(grad, 0, 1e-9);
  });
});

describe('fitCalibration', () => {
  // validation: z = ±1 with 3:1 labels (weights); Platt gives a = ln 3, b = 0 by symmetry
  const val = { z: [1, 1, -1, -1], y: [1, 0, 1, 0], w: [3, 1, 1, 3] };

  it("'platt' fits a and b on validation", () => {
    const p = fitCalibration('platt', val, { z: [], y: [], w: [] });
    close(p.a, Math.log(3), 1e-4);
    close(p.b, 0, 1e-4);
  });

  it("'base-rate' keeps Platt's slope and matches the training base rate", () => {
    // training logits all 0, 1 positive in 4: the mean prediction σ(b) must be 1/4 → b = −ln 3
    const train = { z: [0, 0, 0, 0], y: [1, 0, 0, 0], w: [1, 1, 1, 1] };
    const c = fitCalibration('base-rate', val, train);
    close(c.a, Math.log(3), 1e-4);
    close(c.b, -Math.log(3), 1e-9);
    close(calibrate(c, 0), 0.25, 1e-9);
    // sample weights count: the positive weighs 3 of 6 → base rate 1/2 → b = 0
    const weighted = fitCalibration('base-rate', val, { ...train, w: [3, 1, 1, 1] });
    close(weighted.b, 0, 1e-9);
  });

  it('the base-rate intercept makes the weighted mean prediction equal the weighted base rate', () => {
    const z = [-2, -0.5, 0.3, 1.1, 2.5, -1.2, 0.8];
    const y = [0, 0, 1, 0, 1, 1, 0];
    const w = [1, 2, 1, 1, 1, 0.5, 1];
    const a = 0.7;
    const b = fitBaseRateIntercept(a, z, y, w);
    const total = w.reduce((s2, x) => s2 + x, 0);
    const mean = z.reduce((m, zi, i) => m + w[i] * calibrate({ a, b }, zi), 0) / total;
    const rate = y.reduce((m, yi, i) => m + w[i] * yi, 0) / total;
    close(mean, rate, 1e-12);
  });

  it('rejects a set with one class, mismatched lengths and non-finite logits', () => {
    const none = { z: [], y: [], w: [] };
    assert.throws(
      () => fitCalibration('platt', { z: [0, 1], y: [0, 0], w: [1, 1] }, none),
      /needs both classes with weight > 0 \(positives 0, negatives 2\)/,
    );
    assert.throws(
      () => fitCalibration('platt', { z: [0, 1], y: [0], w: [1, 1] }, none),
      /differ in length \(2, 1, 2\)/,
    );
    assert.throws(
      () => fitCalibration('platt', { z: [NaN, 1], y: [0, 1], w: [1, 1] }, none),
      /logit 0 is NaN/,
    );
    assert.throws(
      () => fitCalibration('base-rate', val, { z: [0, 1], y: [1, 1], w: [1, 1] }),
      /needs both classes/,
    );
  });
});
