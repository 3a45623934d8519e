// Unit tests of the logistic-regression baseline: closed-form 1-D case, recovery of known coefficients
// (n = 20k), weights as duplication, L2 shrinkage, JSON round trip and precise input errors.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomNormals, seededRandom } from '../models';
import { LogisticRegression } from './logistic';

function close(a: number, b: number, tol: number, what: string): void {
  assert.ok(Math.abs(a - b) <= tol, `${what}: expected ${b}, got ${a} (tol ${tol})`);
}

void describe('LogisticRegression', () => {
  void it('matches the closed form of a 1-D binary feature', () => {
    // x = 0: 1 positive of 4 -> intercept = logit(1/4) = ln(1/3)
    // x = 1: 3 positives of 4 -> intercept + coef = logit(3/4) = ln 3 -> coef = 2 ln 3
    const x = Float32Array.from([0, 0, 0, 0, 1, 1, 1, 1]);
    const y = [1, 0, 0, 0, 1, 1, 1, 0];
    const m = LogisticRegression.fit(x, 8, 1, y, new Float32Array(8).fill(1), { l2: 0 });
    close(m.intercept, Math.log(1 / 3), 1e-9, 'intercept');
    close(m.coefficients[0] ?? NaN, 2 * Math.log(3), 1e-9, 'coef');
    assert.ok(m.converged);
    const p = m.predict(Float32Array.from([0, 1]), 2);
    close(p[0] ?? NaN, 0.25, 1e-6, 'p(x=0)');
    close(p[1] ?? NaN, 0.75, 1e-6, 'p(x=1)');
  });

  void it('recovers known coefficients on 20k rows from a logistic model', () => {
    const n = 20_000;
    const d = 3;
    const truth = { b: -1, w: [1, -0.5, 0.25] };
    const x = randomNormals(n * d, 21);
    const rnd = seededRandom(22);
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let t = truth.b;
      for (let j = 0; j < d; j++) t += truth.w[j] * x[i * d + j];
      y[i] = rnd() < 1 / (1 + Math.exp(-t)) ? 1 : 0;
    }
    const m = LogisticRegression.fit(x, n, d, y, new Float32Array(n).fill(1), { l2: 0 });
    // standard errors here are about 0.02: allow 4 of them
    close(m.intercept, truth.b, 0.08, 'intercept');
    truth.w.forEach((wj, j) => close(m.coefficients[j] ?? NaN, wj, 0.08, `coef ${j}`));
    assert.ok(m.converged && m.iterations < 15, `iterations ${m.iterations}`);
  });

  void it('a weight of 2 equals a duplicated row; L2 shrinks the coefficients', () => {
    const n = 400;
    const x = randomNormals(n * 2, 5);
    const rnd = seededRandom(6);
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) y[i] = rnd() < 1 / (1 + Math.exp(-x[2 * i])) ? 1 : 0;
    const w = new Float32Array(n).fill(1);
    const dupX: number[] = [];
    const dupY: number[] = [];
    for (let i = 0; i < n; i++) {
      const times = i % 3 === 0 ? 2 : 1;
      if (times === 2) w[i] = 2;
      for (let k = 0; k < times; k++) {
        dupX.push(x[2 * i], x[2 * i + 1]);
        dupY.push(y[i]);
      }
    }
    const a = LogisticRegression.fit(x, n, 2, y, w, { l2: 1e-3 });
    const b = LogisticRegression.fit(
      Float32Array.from(dupX),
      dupY.length,
      2,
      dupY,
      new Float32Array(dupY.length).fill(1),
      { l2: 1e-3 },
    );
    close(a.intercept, b.intercept, 1e-8, 'intercept');
    close(a.coefficients[0] ?? NaN, b.coefficients[0] ?? NaN, 1e-8, 'coef 0');
    const strong = LogisticRegression.fit(x, n, 2, y, w, { l2: 1 });
    assert.ok(Math.abs(strong.coefficients[0] ?? NaN) < Math.abs(a.coefficients[0] ?? NaN) / 2);
  });

  void it('round-trips through JSON to identical predictions', () => {
    const x = randomNormals(200, 8);
    const y = Array.from({ length: 100 }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const m = LogisticRegression.fit(x, 100, 2, y, new Float32Array(100).fill(1));
    const back = LogisticRegression.fromJSON(JSON.parse(JSON.stringify(m.toJSON())));
    assert.deepEqual(back.predict(x, 100), m.predict(x, 100));
    assert.equal(back.toJSON().kind, 'logistic-regression');
    assert.throws(
      () => LogisticRegression.fromJSON({ ...m.toJSON(), coefficients: [] }),
      /LogisticRegression.fromJSON:.*coefficients/s,
    );
  });

  void it('rejects bad inputs precisely', () => {
    const w = new Float32Array(2).fill(1);
    assert.throws(
      () => LogisticRegression.fit(Float32Array.from([0, NaN]), 2, 1, [0, 1], w),
      /x\[1, 0\] = NaN is not finite \(standardise and impute first\)/,
    );
    assert.throws(
      () => LogisticRegression.fit(Float32Array.from([0, 1]), 2, 1, [0, 3], w),
      /y\[1\] = 3, expected 0 or 1/,
    );
    assert.throws(
      () => LogisticRegression.fit(Float32Array.from([0, 1]), 2, 1, [0, 1], new Float32Array(2)),
      /the sample weights sum to 0/,
    );
    const m = LogisticRegression.fit(Float32Array.from([0, 1]), 2, 1, [0, 1], w);
    assert.throws(
      () => m.predict(new Float32Array(3), 2),
      /x has 3 values, expected n x d = 2 x 1/,
    );
  });
});
