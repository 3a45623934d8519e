// Unit tests of the MLP calibration on hand-computed cases: the slope with a fixed offset, Platt's
// two parameters, the class-weight offset of 'prior-slope', and the errors.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { calibrate, fitCalibration, fitLogitCalibration } from './calibration';

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
  it("'prior-slope' takes b = ln(w− / w+) from the class weights, the slope from validation", () => {
    // Balanced class weights on a training set with 1 positive per 4 rows: w+ = 2, w− = 2/3, so the
    // training odds were multiplied by 3 and b = ln(1/3) restores them.
    const cw = { positive: 2, negative: 2 / 3 };
    const z = [1, 1, -1, -1];
    const y = [1, 0, 1, 0];
    const w = [3, 1, 1, 3];
    const c = fitCalibration('prior-slope', { z, y, w }, cw);
    close(c.b, -Math.log(3));
    const grad = z.reduce((g, zi, i) => g + w[i] * (calibrate(c, zi) - y[i]) * zi, 0);
    close(grad, 0, 1e-6);
    // a logit of 0 (the balanced boundary) maps to the training base rate 1/4
    close(calibrate(c, 0), 0.25);
    // unweighted training (class weights 1/1): offset 0
    assert.equal(fitCalibration('prior-slope', { z, y, w }, { positive: 1, negative: 1 }).b, 0);
    // 'platt' fits b as well: on this symmetric set b = 0, a = ln 3
    const p = fitCalibration('platt', { z, y, w }, cw);
    close(p.a, Math.log(3), 1e-4);
    close(p.b, 0, 1e-4);
  });

  it('rejects a validation set with one class, mismatched lengths and non-finite logits', () => {
    const cw = { positive: 1, negative: 1 };
    assert.throws(
      () => fitCalibration('platt', { z: [0, 1], y: [0, 0], w: [1, 1] }, cw),
      /needs both classes with weight > 0 \(positives 0, negatives 2\)/,
    );
    assert.throws(
      () => fitCalibration('platt', { z: [0, 1], y: [0], w: [1, 1] }, cw),
      /differ in length \(2, 1, 2\)/,
    );
    assert.throws(
      () => fitCalibration('prior-slope', { z: [NaN, 1], y: [0, 1], w: [1, 1] }, cw),
      /logit 0 is NaN/,
    );
    assert.throws(
      () =>
        fitCalibration(
          'prior-slope',
          { z: [0, 1], y: [0, 1], w: [1, 1] },
          { positive: 0, negative: 1 },
        ),
      /class weights must be > 0/,
    );
  });
});
