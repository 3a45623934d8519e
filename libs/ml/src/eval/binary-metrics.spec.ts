// Unit tests of the binary-classification metrics: hand-computed tiny cases, weights as row
// duplication, brute-force O(n^2) AUC on random data with ties, and the 1e6-row speed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../models';
import { binaryMetrics, bestF1Threshold, logLoss, rocAuc } from './binary-metrics';

function close(actual: number, expected: number, tol = 1e-12, what = 'value'): void {
  assert.ok(
    Math.abs(actual - expected) <= tol,
    `${what}: expected ${expected}, got ${actual} (tol ${tol})`,
  );
}

// Example A. positives at 0.9, 0.6, 0.2; negatives at 0.9, 0.3.
const yA = [1, 0, 1, 0, 1];
const pA = [0.9, 0.9, 0.6, 0.3, 0.2];

function bruteAuc(y: ArrayLike<number>, p: ArrayLike<number>, w: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== 1) continue;
    for (let j = 0; j < y.length; j++) {
      if (y[j] !== 0) continue;
      const pair = w[i] * w[j];
      den += pair;
      const pi = p[i];
      const pj = p[j];
      num += pair * (pi > pj ? 1 : pi === pj ? 0.5 : 0);
    }
  }
  return num / den;
}

void describe('binaryMetrics', () => {
  void it('ROC AUC with a tie: 2.5 of 6 pairs', () => {
    // pos 0.9: tie with neg 0.9 (1/2) + beats 0.3 (1) = 1.5; pos 0.6: beats 0.3 = 1; pos 0.2: 0
    // -> 2.5 / (3 x 2) = 0.41666...
    close(binaryMetrics(yA, pA).rocAuc, 2.5 / 6, 1e-12, 'auc');
    close(rocAuc(yA, pA), 2.5 / 6, 1e-12, 'rocAuc()');
  });

  void it('average precision over tied groups: 53/90', () => {
    // descending groups: {0.9: +1 -1} tp=1 fp=1 P=1/2, dR=1/3 -> 1/6
    //                    {0.6: +1}    tp=2 fp=1 P=2/3, dR=1/3 -> 2/9
    //                    {0.3: -1}    no recall step
    //                    {0.2: +1}    tp=3 fp=2 P=3/5, dR=1/3 -> 1/5
    // AP = 15/90 + 20/90 + 18/90 = 53/90
    close(binaryMetrics(yA, pA).prAuc, 53 / 90, 1e-12, 'ap');
  });

  void it('thresholded metrics, Brier, counts and prevalence', () => {
    const m = binaryMetrics(yA, pA);
    // p >= 0.5: rows 0 (pos), 1 (neg), 2 (pos) -> tp 2, fp 1, fn 1, tn 1
    assert.equal(m.n, 5);
    assert.equal(m.positives, 3);
    close(m.prevalence, 0.6);
    close(m.precision, 2 / 3);
    close(m.recall, 2 / 3);
    close(m.f1, 2 / 3);
    close(m.accuracy, 3 / 5);
    // (0.1^2 + 0.9^2 + 0.4^2 + 0.3^2 + 0.8^2) / 5 = 1.71 / 5
    close(m.brier, 0.342, 1e-12, 'brier');
    const strict = binaryMetrics(yA, pA, { threshold: 0.95 });
    assert.equal(strict.precision, 0); // no predicted positives: 0, not NaN
    assert.equal(strict.recall, 0);
    assert.equal(strict.f1, 0);
  });

  void it('log loss clips p at 1e-15', () => {
    // -(log(1e-15) + log(0.5)) / 2 = (34.5387763949107 + 0.6931471805599) / 2
    const ll = binaryMetrics([1, 0], [0, 0.5]).logLoss;
    close(ll, 17.6159617877353, 1e-9, 'logLoss');
    close(logLoss([1, 0], [0, 0.5]), ll, 1e-15, 'logLoss()');
    assert.ok(Number.isFinite(binaryMetrics([0], [1]).logLoss));
  });

  void it('ECE and the reliability table', () => {
    // bin [0.1,0.2): p 0.1, 0.15, y 0, 1 -> mean 0.125, rate 0.5, gap 0.375, weight 1/2
    // bin [0.8,0.9): p 0.8, 0.85, y 1, 0 -> mean 0.825, rate 0.5, gap 0.325, weight 1/2
    // ECE = 0.5 x 0.375 + 0.5 x 0.325 = 0.35
    const m = binaryMetrics([0, 1, 1, 0], [0.1, 0.15, 0.8, 0.85]);
    close(m.ece, 0.35, 1e-12, 'ece');
    assert.equal(m.reliability.length, 10);
    const b1 = m.reliability[1];
    assert.ok(b1);
    assert.equal(b1.count, 2);
    close(b1.lo, 0.1);
    close(b1.hi, 0.2);
    close(b1.meanPredicted ?? NaN, 0.125);
    close(b1.observedRate ?? NaN, 0.5);
    assert.equal(m.reliability[0]?.meanPredicted, null);
    assert.equal(m.reliability[0]?.count, 0);
    // p = 1 goes in the last bin
    assert.equal(binaryMetrics([1], [1], { bins: 4 }).reliability[3]?.count, 1);
  });

  void it('top-decile lift', () => {
    // 10 rows, scores 1.0 .. 0.1, positives at ranks 1, 5, 9: top 10 % = the first row (positive)
    // rate 1 / overall 0.3 = 3.333...
    const p = [1, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1];
    const y = [1, 0, 0, 0, 1, 0, 0, 0, 1, 0];
    close(binaryMetrics(y, p).topDecileLift, 1 / 0.3, 1e-12, 'lift');
    // weights 1, 3, 1, ... (total 12): the top 10 % is 1.2 of weight = row 0 (pos, 1) + 0.2 of
    // row 1 (neg, 3) pro rata -> rate 1 / 1.2; overall 3 / 12 -> lift (1 / 1.2) / 0.25 = 10 / 3
    const w = [1, 3, 1, 1, 1, 1, 1, 1, 1, 1];
    close(binaryMetrics(y, p, { weights: w }).topDecileLift, 10 / 3, 1e-12, 'weighted lift');
  });

  void it('integer weights equal duplicated rows', () => {
    const w = [2, 1, 3, 1, 2];
    const yd: number[] = [];
    const pd: number[] = [];
    w.forEach((k, i) => {
      for (let j = 0; j < k; j++) {
        yd.push(yA[i]);
        pd.push(pA[i]);
      }
    });
    const a = binaryMetrics(yA, pA, { weights: w });
    const b = binaryMetrics(yd, pd);
    for (const key of [
      'prevalence',
      'rocAuc',
      'prAuc',
      'logLoss',
      'brier',
      'ece',
      'precision',
      'recall',
      'f1',
      'accuracy',
      'topDecileLift',
    ] as const) {
      close(a[key], b[key], 1e-12, key);
    }
    assert.equal(a.n, 5);
    assert.equal(a.weightSum, 9);
  });

  void it('matches a brute-force O(n^2) weighted AUC on random data with ties', () => {
    const rnd = seededRandom(11);
    const n = 600;
    const y = new Float32Array(n);
    const p = new Float64Array(n);
    const w = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = rnd() < 0.2 ? 1 : 0;
      // coarse scores -> many ties; mildly informative
      p[i] = Math.round(Math.min(1, Math.max(0, 0.3 * y[i] + 0.7 * rnd())) * 20) / 20;
      w[i] = 0.5 + 3 * rnd();
    }
    close(rocAuc(y, p, w), bruteAuc(y, p, w), 1e-12, 'weighted auc');
    close(rocAuc(y, p), bruteAuc(y, p, new Float64Array(n).fill(1)), 1e-12, 'auc');
  });

  void it('AUC is NaN when one class is absent', () => {
    assert.ok(Number.isNaN(binaryMetrics([0, 0], [0.1, 0.2]).rocAuc));
    assert.ok(Number.isNaN(binaryMetrics([0, 0], [0.1, 0.2]).prAuc));
  });

  void it('rejects bad inputs precisely', () => {
    assert.throws(() => binaryMetrics([1, 0], [0.5]), /y has 2 rows but p has 1/);
    assert.throws(() => binaryMetrics([1, 2], [0.5, 0.5]), /y\[1\] = 2, expected 0 or 1/);
    assert.throws(
      () => binaryMetrics([1, 0], [0.5, NaN]),
      /p\[1\] = NaN, expected a probability in \[0, 1\]/,
    );
    assert.throws(
      () => binaryMetrics([1, 0], [0.5, 0.5], { weights: [1, -1] }),
      /weights\[1\] = -1, expected a finite number >= 0/,
    );
    assert.throws(() => binaryMetrics([1], [0.5], { bins: 0 }), /bins = 0/);
  });

  void it('1e6 rows in well under a second', () => {
    const n = 1_000_000;
    const rnd = seededRandom(3);
    const y = new Float32Array(n);
    const p = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = rnd() < 0.05 ? 1 : 0;
      p[i] = Math.min(1, rnd() * 0.8 + 0.2 * y[i]);
    }
    // CPU time, not wall time: other processes on a shared machine do not count against it
    const c0 = process.cpuUsage();
    const m = binaryMetrics(y, p);
    const c1 = process.cpuUsage(c0);
    const ms = (c1.user + c1.system) / 1000;
    assert.ok(m.rocAuc > 0.55 && m.rocAuc < 0.75, `auc ${m.rocAuc}`);
    // about 0.3 s on an idle core; the bound still fails an O(n^2) or comparator-sort regression
    assert.ok(ms < 1000, `binaryMetrics on 1e6 rows took ${ms.toFixed(0)} ms of CPU`);
  });
});

void describe('bestF1Threshold', () => {
  void it('picks the score with the best F1', () => {
    // p >= 0.9: tp1 fp1 F1 = 2/5; >= 0.6: tp2 fp1 F1 = 4/6; >= 0.3: tp2 fp2 F1 = 4/7;
    // >= 0.2: tp3 fp2 F1 = 6/8 = 0.75 (best)
    const best = bestF1Threshold(yA, pA);
    assert.equal(best.threshold, 0.2);
    close(best.f1, 0.75);
    close(best.precision, 0.6);
    close(best.recall, 1);
    // weight 5 on the negatives (P = 3): >= 0.9: tp1 fp5 -> 2/9; >= 0.6: tp2 fp5 -> 4/10 (best);
    // >= 0.3: tp2 fp10 -> 4/15; >= 0.2: tp3 fp10 -> 6/16
    const weighted = bestF1Threshold(yA, pA, [1, 5, 1, 5, 1]);
    assert.equal(weighted.threshold, 0.6);
    close(weighted.f1, 0.4);
  });

  void it('throws without positives', () => {
    assert.throws(() => bestF1Threshold([0, 0], [0.2, 0.3]), /no positive rows/);
  });
});
