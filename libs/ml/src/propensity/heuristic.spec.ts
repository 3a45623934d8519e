// Unit tests of the recency x frequency heuristic: hand-computed smoothed cell rates, weight rescaling,
// the fallback recency, column lookup by name, JSON round trip, and synthetic data where the true
// rate depends on recency and frequency.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../models';
import { rocAuc } from '../eval/binary-metrics';
import { RecencyFrequencyHeuristic } from './heuristic';
import type { LabelledSet } from './labelled-set';

function close(a: number, b: number, tol: number, what: string): void {
  assert.ok(Math.abs(a - b) <= tol, `${what}: expected ${b}, got ${a} (tol ${tol})`);
}

const cols = {
  recency: 'days_since_order',
  frequency: 'orders_28d',
  fallbackRecency: 'days_since_event',
};
const names = ['days_since_order', 'orders_28d', 'days_since_event'];

function rows(r: number[][], y: number[], w?: number[]): LabelledSet {
  return {
    x: Float32Array.from(r.flat()),
    n: r.length,
    d: 3,
    featureNames: names,
    y: Float32Array.from(y),
    weight: Float32Array.from(w ?? y.map(() => 1)),
  };
}

/** Users whose purchase probability falls with recency and rises with frequency. */
function synthetic(n: number, seed: number): { set: LabelledSet; truth: Float32Array } {
  const rnd = seededRandom(seed);
  const x = new Float32Array(n * 3);
  const y = new Float32Array(n);
  const truth = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const freq = Math.floor(-Math.log(Math.max(rnd(), 1e-9)) * 1.5); // geometric-ish 0..
    const recency = freq > 0 ? rnd() * 28 : NaN;
    const event = rnd() < 0.8 ? rnd() * 60 : NaN;
    x[i * 3] = recency;
    x[i * 3 + 1] = freq;
    x[i * 3 + 2] = event;
    const t =
      freq > 0
        ? -1.5 - 0.08 * recency + 0.35 * Math.min(freq, 6)
        : Number.isNaN(event)
          ? -4
          : -2.5 - 0.03 * event;
    truth[i] = 1 / (1 + Math.exp(-t));
    y[i] = rnd() < truth[i] ? 1 : 0;
  }
  return {
    set: { x, n, d: 3, featureNames: names, y, weight: new Float32Array(n).fill(1) },
    truth,
  };
}

void describe('RecencyFrequencyHeuristic', () => {
  void it('predicts hand-computed smoothed cell rates', () => {
    // rows: (order recency 1, 2 orders, y 1), (1, 2, y 0), (100, 0, y 1), (no recency at all, 0, y 0)
    // p0 = 2/4; a = 2; recencyBuckets 1 -> one bucket per source; frequency 2 -> bucket 2, 0 -> 0
    const set = rows(
      [
        [1, 2, NaN],
        [1, 2, NaN],
        [100, 0, NaN],
        [NaN, 0, NaN],
      ],
      [1, 0, 1, 0],
    );
    const h = RecencyFrequencyHeuristic.fit(set, cols, { recencyBuckets: 1, priorStrength: 2 });
    close(h.prior, 0.5, 1e-12, 'prior');
    const p = h.predict(
      Float32Array.from([1, 2, NaN, 50, 0, NaN, NaN, 0, NaN, 3, 4, NaN, NaN, 0, 5]),
      5,
      names,
    );
    close(p[0] ?? NaN, (1 + 1) / (2 + 2), 1e-7, 'order/f2: (1 + 2 x 0.5) / (2 + 2)');
    close(p[1] ?? NaN, (1 + 1) / (1 + 2), 1e-7, 'order/f0: (1 + 1) / (1 + 2)');
    close(p[2] ?? NaN, (0 + 1) / (1 + 2), 1e-7, 'none/f0: (0 + 1) / (1 + 2)');
    close(p[3] ?? NaN, 0.5, 1e-7, 'unseen cell order/f3 -> prior');
    close(p[4] ?? NaN, 0.5, 1e-7, 'unseen cell fallback/f0 -> prior');
    assert.deepEqual(
      h.cells.map((c) => [c.source, c.frequencyBucket, c.rows]),
      [
        ['order', 0, 1],
        ['order', 2, 2],
        ['none', 0, 1],
      ],
    );
  });

  void it('sample weights count, rescaled to mean 1 so the prior counts rows', () => {
    const r = [
      [1, 2, NaN],
      [1, 2, NaN],
      [100, 0, NaN],
      [NaN, 0, NaN],
    ];
    const y = [1, 0, 1, 0];
    const a = RecencyFrequencyHeuristic.fit(rows(r, y), cols, {
      recencyBuckets: 1,
      priorStrength: 2,
    });
    const b = RecencyFrequencyHeuristic.fit(rows(r, y, [5, 5, 5, 5]), cols, {
      recencyBuckets: 1,
      priorStrength: 2,
    });
    const x = Float32Array.from(r.flat());
    assert.deepEqual(b.predict(x, 4, names), a.predict(x, 4, names));
    // weight 3 on the first (positive) row: W = 6, scaled x 4/6; p0 = 4/6
    // cell order/f2: pos 2, weight 8/3 -> (2 + 2 x 2/3) / (8/3 + 2) = (10/3) / (14/3) = 5/7
    const c = RecencyFrequencyHeuristic.fit(rows(r, y, [3, 1, 1, 1]), cols, {
      recencyBuckets: 1,
      priorStrength: 2,
    });
    close(c.predict(x, 4, names)[0] ?? NaN, 5 / 7, 1e-7, 'weighted cell');
  });

  void it('learns recency and frequency effects on synthetic data', () => {
    const train = synthetic(40_000, 1);
    const test = synthetic(20_000, 2);
    const h = RecencyFrequencyHeuristic.fit(train.set, cols);
    const p = h.predict(test.set.x, test.set.n, names);
    const auc = rocAuc(test.set.y, p);
    const oracle = rocAuc(test.set.y, test.truth);
    assert.ok(auc > 0.7, `auc ${auc}`);
    assert.ok(auc > oracle - 0.03, `auc ${auc} vs oracle ${oracle}`);
    // monotone where it matters: recent beats old, frequent beats rare, ordered beats never-ordered
    const at = (r: number, f: number, e: number): number =>
      h.predict(Float32Array.from([r, f, e]), 1, names)[0] ?? NaN;
    assert.ok(at(1, 3, 5) > at(25, 3, 5), 'recent > old');
    assert.ok(at(10, 6, 5) > at(10, 1, 5), 'frequent > rare');
    assert.ok(at(10, 1, 5) > at(NaN, 0, 5), 'ordered > never ordered');
    assert.ok(at(NaN, 0, 2) > at(NaN, 0, 55), 'fallback recency: recent event > old event');
    assert.ok(at(NaN, 0, 20) > at(NaN, 0, NaN), 'an event 20 days ago > no event');
    // predictions look columns up by name, so another column order gives the same result
    const reordered = new Float32Array(test.set.x.length);
    for (let i = 0; i < test.set.n; i++) {
      reordered[i * 3] = test.set.x[i * 3 + 2];
      reordered[i * 3 + 1] = test.set.x[i * 3];
      reordered[i * 3 + 2] = test.set.x[i * 3 + 1];
    }
    assert.deepEqual(
      h.predict(reordered, test.set.n, [names[2], names[0], names[1]] as string[]),
      p,
    );
    // JSON round trip
    const back = RecencyFrequencyHeuristic.fromJSON(JSON.parse(JSON.stringify(h.toJSON())));
    assert.deepEqual(back.predict(test.set.x, test.set.n, names), p);
  });

  void it('names a missing column precisely', () => {
    const set = rows([[1, 2, 3]], [1]);
    assert.throws(
      () =>
        RecencyFrequencyHeuristic.fit(set, {
          recency: 'seconds_since_last_order',
          frequency: 'orders_28d',
        }),
      /recency column 'seconds_since_last_order' is not among the features \(days_since_order, orders_28d, days_since_event\)/,
    );
    const h = RecencyFrequencyHeuristic.fit(set, cols);
    assert.throws(
      () => h.predict(Float32Array.from([1, 2]), 1, ['days_since_order', 'orders_28d']),
      /fallbackRecency column 'days_since_event' is not among the features/,
    );
    assert.throws(
      () => RecencyFrequencyHeuristic.fromJSON({ kind: 'x' }),
      /RecencyFrequencyHeuristic.fromJSON:/,
    );
  });
});
