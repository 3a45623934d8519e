// Unit tests of the matured-label monitor: due() against the watermark, the label rule [t, t + H),
// AUC equal to rocAuc on the same samples, bounded memory with unbiased weights, and the port's errors.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../models';
import { rocAuc } from './binary-metrics';
import { MaturedLabelMonitor, labelSamples, type OrderTimesPort } from './matured-labels';

const H = 1000;

function fixedPort(orders: Record<string, number[]>, calls: unknown[][] = []): OrderTimesPort {
  return (userIds, fromMs, toMs) => {
    calls.push([[...userIds], fromMs, toMs]);
    const m = new Map<string, number[]>();
    for (const u of userIds) {
      const t = orders[u];
      if (t !== undefined)
        m.set(
          u,
          t.filter((o) => o >= fromMs && o < toMs),
        );
    }
    return Promise.resolve(m);
  };
}

void describe('MaturedLabelMonitor.due', () => {
  void it('returns only samples with t + H <= watermark, by t, without removing them', () => {
    const m = new MaturedLabelMonitor(H);
    m.record('c', 500, 0.3);
    m.record('a', 0, 0.9);
    m.record('b', 1000, 0.1);
    assert.deepEqual(m.due(999), []);
    assert.deepEqual(m.due(1000), [{ userId: 'a', tMs: 0, score: 0.9, weight: 1 }]);
    assert.deepEqual(
      m.due(1500).map((s) => s.userId),
      ['a', 'c'],
    );
    assert.equal(m.size(), 3);
    assert.throws(() => m.due(NaN), /watermarkMs = NaN/);
  });
});

void describe('labelSamples', () => {
  void it('positive when an order falls in [t, t + H)', () => {
    const y = labelSamples(
      [
        { userId: 'at-t', tMs: 100 },
        { userId: 'at-end', tMs: 100 },
        { userId: 'before', tMs: 100 },
        { userId: 'inside', tMs: 100 },
        { userId: 'none', tMs: 100 },
      ],
      new Map([
        ['at-t', [100]],
        ['at-end', [1100]],
        ['before', [99]],
        ['inside', [5, 1099]],
      ]),
      H,
    );
    assert.deepEqual([...y], [1, 0, 0, 1, 0]);
  });
});

void describe('MaturedLabelMonitor.resolve', () => {
  void it('labels through the port, its AUC equals rocAuc on the same samples, and drops them', async () => {
    const rnd = seededRandom(7);
    const m = new MaturedLabelMonitor(H, { capacity: 1000 });
    const orders: Record<string, number[]> = {};
    const y: number[] = [];
    const p: number[] = [];
    for (let i = 0; i < 300; i++) {
      const user = `u${i % 150}`; // two predictions per user, at t = i and later
      const t = i * 10;
      const buys = rnd() < 0.3;
      const score = Math.min(1, Math.max(0, (buys ? 0.7 : 0.3) + (rnd() - 0.5) * 0.6));
      if (buys) (orders[user] ??= []).push(t + 500);
      m.record(user, t, score);
      if (t + H <= 2000) p.push(score);
    }
    // the labels a user's other order may also give (same rule as the monitor's)
    const due = m.due(2000);
    for (const s of due)
      y.push((orders[s.userId] ?? []).some((o) => o >= s.tMs && o < s.tMs + H) ? 1 : 0);
    const calls: unknown[][] = [];
    const r = await m.resolve(2000, fixedPort(orders, calls));
    assert.equal(r.n, 101); // t = 0..1000
    assert.equal(r.positives, y.filter((v) => v === 1).length);
    assert.ok(r.positives > 10 && r.positives < 90, `positives ${r.positives}`);
    assert.equal(r.auc, rocAuc(y, p));
    assert.ok(r.auc > 0.8, `auc ${r.auc}`);
    assert.equal(r.weightSum, 101);
    assert.equal(r.watermarkMs, 2000);
    // one call: distinct users, sorted; range [min t, max t + H)
    assert.equal(calls.length, 1);
    const [users, from, to] = calls[0] as [string[], number, number];
    assert.equal(users.length, 101);
    assert.deepEqual(users, [...users].sort());
    assert.equal(from, 0);
    assert.equal(to, 1000 + H);
    assert.equal(m.size(), 199);
    assert.deepEqual(m.due(2000), []);
  });

  void it('does not call the port when nothing is due', async () => {
    const m = new MaturedLabelMonitor(H);
    m.record('a', 0, 0.5);
    const calls: unknown[][] = [];
    const r = await m.resolve(10, fixedPort({}, calls));
    assert.equal(calls.length, 0);
    assert.equal(r.n, 0);
    assert.ok(Number.isNaN(r.auc));
  });

  void it('a failing port rejects, keeps the samples; one resolve at a time', async () => {
    const m = new MaturedLabelMonitor(H);
    m.record('a', 0, 0.5);
    m.record('b', 0, 0.7);
    const failing: OrderTimesPort = () =>
      Promise.reject(new Error('clickhouse: connection refused'));
    await assert.rejects(m.resolve(H, failing), /clickhouse: connection refused/);
    assert.equal(m.size(), 2);
    let release: (v: Map<string, number[]>) => void = () => undefined;
    const slow: OrderTimesPort = () =>
      new Promise<Map<string, number[]>>((resolve) => {
        release = resolve;
      });
    const first = m.resolve(H, slow);
    await assert.rejects(m.resolve(H, slow), /a resolve is already running/);
    release(new Map([['b', [10]]]));
    const r = await first;
    assert.deepEqual([r.n, r.positives, r.auc], [2, 1, 1]);
    assert.equal(m.size(), 0);
  });
});

void describe('MaturedLabelMonitor sampling', () => {
  void it('holds at most capacity samples, uniform over time, weights estimating the count', async () => {
    const m = new MaturedLabelMonitor(H, { capacity: 200, seed: 3 });
    const n = 100_000;
    for (let i = 0; i < n; i++) m.record(`u${i}`, i, (i % 97) / 96);
    assert.equal(m.size(), 200);
    assert.equal(m.recorded(), n);
    const due = m.due(n + H);
    assert.equal(due.length, 200);
    // uniform over the stream: mean t near n/2 (sd of the mean n / sqrt(12 x 200) ≈ 2041)
    const meanT = due.reduce((s, d) => s + d.tMs, 0) / due.length;
    assert.ok(Math.abs(meanT - n / 2) < 8000, `mean t ${meanT}`);
    // Horvitz-Thompson: the weights sum to about n
    const w = due.reduce((s, d) => s + d.weight, 0);
    assert.ok(Math.abs(w / n - 1) < 0.15, `weight sum ${w}`);
    // the weighted AUC is rocAuc with those weights
    const orders: Record<string, number[]> = {};
    for (const d of due) if (d.score > 0.5 !== (d.tMs % 3 === 0)) orders[d.userId] = [d.tMs];
    const y = due.map((d) => (orders[d.userId] === undefined ? 0 : 1));
    const r = await m.resolve(n + H, fixedPort(orders));
    assert.equal(
      r.auc,
      rocAuc(
        y,
        due.map((d) => d.score),
        due.map((d) => d.weight),
      ),
    );
    assert.equal(m.size(), 0);
  });

  void it('after a resolve new predictions are admitted again; held ones keep their weights', async () => {
    const m = new MaturedLabelMonitor(H, { capacity: 100, seed: 5 });
    for (let i = 0; i < 10_000; i++) m.record(`u${i}`, i, 0.5);
    // half the held samples mature
    await m.resolve(5000 + H, fixedPort({}));
    const left = m.size();
    assert.ok(left > 20 && left < 80, `held ${left}`);
    const oldWeights = m.due(20_000 + H).map((s) => s.weight);
    for (let i = 0; i < 1000; i++) m.record(`v${i}`, 20_000 + i, 0.5);
    assert.equal(m.size(), 100);
    const later = m.due(30_000 + H);
    const fresh = later.filter((s) => s.userId.startsWith('v'));
    const old = later.filter((s) => s.userId.startsWith('u'));
    assert.ok(fresh.length > 0, 'new predictions admitted');
    // the old ones weigh at least what they did (≈ 10,000 / 100); the fresh ones ≈ 1000 / their share
    for (const s of old) assert.ok(s.weight >= Math.min(...oldWeights) - 1e-9);
    const freshSum = fresh.reduce((s, d) => s + d.weight, 0);
    assert.ok(Math.abs(freshSum / 1000 - 1) < 0.35, `fresh weight sum ${freshSum}`);
    const oldSum = old.reduce((s, d) => s + d.weight, 0);
    assert.ok(Math.abs(oldSum / 5000 - 1) < 0.35, `old weight sum ${oldSum}`);
  });

  void it('rejects bad arguments precisely', () => {
    assert.throws(() => new MaturedLabelMonitor(0), /horizonMs = 0/);
    assert.throws(() => new MaturedLabelMonitor(H, { capacity: 0 }), /capacity = 0/);
    const m = new MaturedLabelMonitor(H);
    assert.throws(() => m.record('', 0, 0.5), /userId must be a non-empty string/);
    assert.throws(() => m.record('a', NaN, 0.5), /tMs = NaN/);
    assert.throws(() => m.record('a', 0, 1.5), /score = 1.5/);
  });
});
