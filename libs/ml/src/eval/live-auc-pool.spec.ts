// Unit tests of the pooled live AUC: hand-computed AUCs of a small pool (weights, ties), the window up
// to the newest sample (exclusive start: eviction), the cap on the newest samples and its tie order,
// a single-class pool, and the errors naming the field.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LivePoolError, pooledLiveAuc, selectLivePool, type PoolSample } from './live-auc-pool';

const s = (userId: string, tMs: number, score: number, label: 0 | 1, weight = 1): PoolSample => ({
  userId,
  tMs,
  score,
  label,
  weight,
});
// positives 0.9 (t 1000), 0.4 (t 2000); negatives 0.3 (t 3000), 0.6 (t 4000)
const FOUR = [
  s('a', 1000, 0.9, 1),
  s('b', 2000, 0.4, 1),
  s('c', 3000, 0.3, 0),
  s('d', 4000, 0.6, 0),
];
const WIDE = { windowMs: 10_000, maxSamples: 100 };

void describe('pooledLiveAuc', () => {
  void it('is the weighted AUC of the pool: 3 of 4 pairs ordered right', () => {
    assert.deepEqual(pooledLiveAuc(FOUR, WIDE), {
      auc: 0.75,
      n: 4,
      positives: 2,
      negatives: 2,
      weightSum: 4,
      fromMs: 1000,
      toMs: 4000,
    });
  });

  void it('weights each sample: b (0.4, weight 3) beats only c → (1·2 + 3·1) / (4·2)', () => {
    const w = FOUR.map((x) => (x.userId === 'b' ? { ...x, weight: 3 } : x));
    const r = pooledLiveAuc(w, WIDE);
    assert.equal(r?.auc, 0.625);
    assert.equal(r?.weightSum, 6);
  });

  void it('counts a tie between a positive and a negative as one half', () => {
    assert.equal(pooledLiveAuc([s('p', 1, 0.5, 1), s('n', 2, 0.5, 0)], WIDE)?.auc, 0.5);
  });

  void it('evicts samples at or before newest − window (the start is exclusive)', () => {
    // newest 4000: a 3,000 ms window keeps t > 1000, so a (t 1000) is out: pos 0.4 vs 0.3, 0.6
    for (const windowMs of [3000, 2500]) {
      const r = pooledLiveAuc(FOUR, { windowMs, maxSamples: 100 });
      assert.equal(r?.auc, 0.5, `window ${windowMs}`);
      assert.equal(r?.n, 3);
      assert.equal(r?.fromMs, 2000);
    }
    assert.equal(pooledLiveAuc(FOUR, { windowMs: 3001, maxSamples: 100 })?.n, 4);
    // a newer sample moves the window: a and b out, e (t 6000, 0.8, positive) in
    const later = pooledLiveAuc([...FOUR, s('e', 6000, 0.8, 1)], {
      windowMs: 4000,
      maxSamples: 100,
    });
    assert.equal(later?.n, 3);
    assert.equal(later?.auc, 1, '0.8 above 0.3 and 0.6');
  });

  void it('keeps at most maxSamples of the newest: c and d alone are a single class', () => {
    const r = pooledLiveAuc(FOUR, { windowMs: 10_000, maxSamples: 2 });
    assert.ok(r);
    assert.ok(Number.isNaN(r.auc));
    assert.deepEqual([r.n, r.positives, r.negatives, r.fromMs, r.toMs], [2, 0, 2, 3000, 4000]);
  });

  void it('breaks ties of the same time by user id, then score (the store order)', () => {
    const same = [s('b', 5, 0.1, 0), s('a', 5, 0.7, 1), s('a', 5, 0.2, 0)];
    assert.deepEqual(
      selectLivePool(same, { windowMs: 10, maxSamples: 2 }).map((x) => [x.userId, x.score]),
      [
        ['a', 0.2],
        ['a', 0.7],
      ],
    );
  });

  void it('is null without samples and names a bad sample or option', () => {
    assert.equal(pooledLiveAuc([], WIDE), null);
    const bad = (x: Partial<PoolSample>, re: RegExp) =>
      assert.throws(
        () => pooledLiveAuc([FOUR[0], { ...FOUR[1], ...x }], WIDE),
        (e: unknown) => e instanceof LivePoolError && re.test(e.message),
      );
    bad({ score: 1.5 }, /sample 1 score = 1.5, expected a probability in \[0, 1\]/);
    bad({ label: 2 as 0 }, /sample 1 label = 2, expected 0 or 1/);
    bad({ weight: 0.5 }, /sample 1 weight = 0.5, expected a finite number >= 1/);
    bad({ tMs: NaN }, /sample 1 tMs = NaN/);
    bad({ userId: '' }, /sample 1 userId/);
    assert.throws(() => pooledLiveAuc(FOUR, { windowMs: 0, maxSamples: 1 }), /windowMs = 0/);
    assert.throws(() => pooledLiveAuc(FOUR, { windowMs: 1, maxSamples: 0.5 }), /maxSamples = 0.5/);
  });
});
