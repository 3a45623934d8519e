// The scorer's live-AUC resolution of one champion: a real MaturedLabelMonitor, a fake order-times
// port; the record it shapes for model_live_metrics (label window, counts, single class) and its
// validation before any insert.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MaturedLabelMonitor } from '@storepulse/ml';
import { resolveChampionLiveAuc, type LiveAucTarget } from './live-auc';
import { InvalidLiveAucRecordError, validateLiveAucRecord } from './live-metrics';

const H = 3_600_000;
const T0 = Date.UTC(2026, 10, 20, 10, 0, 0);

function target(): LiveAucTarget {
  return {
    name: 'propensity_1h',
    version: 4,
    horizon: '1h',
    labels: new MaturedLabelMonitor(H),
    liveAuc: null,
  };
}

describe('resolveChampionLiveAuc (scorer)', () => {
  it('labels the due samples, keeps the AUC in memory and returns the record to persist', async () => {
    const t = target();
    // u1, u2 order within the hour after their score; u3, u4 do not
    t.labels.record('u1', T0, 0.9);
    t.labels.record('u2', T0 + 60_000, 0.4);
    t.labels.record('u3', T0 + 120_000, 0.3);
    t.labels.record('u4', T0 + 180_000, 0.6);
    t.labels.record('u5', T0 + 2 * H, 0.5); // not due yet
    const asked: [number, number][] = [];
    const orders = (from: number, to: number) => {
      asked.push([from, to]);
      return Promise.resolve(
        new Map([
          ['u1', [T0 + 10 * 60_000]],
          ['u2', [T0 + 30 * 60_000]],
          ['u3', [T0 + 120_000 + H]], // just outside [t, t + H)
        ]),
      );
    };
    const wm = T0 + H + 180_000;
    const r = await resolveChampionLiveAuc(t, wm, orders, 42);
    assert.deepEqual(asked, [[T0, T0 + 180_000 + H]]);
    assert.ok(r);
    // positives 0.9, 0.4; negatives 0.3, 0.6: pairs ordered right 3 of 4
    assert.deepEqual(r.record, {
      model: 'propensity_1h',
      version: 4,
      horizon: '1h',
      computedAtMs: 42,
      watermarkMs: wm,
      labelFromMs: T0,
      labelToMs: T0 + 180_000 + H,
      auc: 0.75,
      n: 4,
      positives: 2,
      weightSum: 4,
    });
    assert.equal(t.liveAuc?.auc, 0.75);
    assert.doesNotThrow(() => validateLiveAucRecord(r.record));
    // the labelled samples persisted beside it (model_live_samples), by t
    assert.deepEqual(
      r.samples.map((s) => [s.userId, s.tMs, s.score, s.label, s.weight]),
      [
        ['u1', T0, 0.9, 1, 1],
        ['u2', T0 + 60_000, 0.4, 1, 1],
        ['u3', T0 + 120_000, 0.3, 0, 1],
        ['u4', T0 + 180_000, 0.6, 0, 1],
      ],
    );
    assert.equal(t.labels.size(), 1, 'the resolved samples are dropped, u5 stays');
    assert.equal(await resolveChampionLiveAuc(t, wm, orders, 43), null, 'nothing due: no record');
    assert.equal(asked.length, 1, 'and no read');
  });

  it('records a single-class batch with auc null (NaN stays in memory)', async () => {
    const t = target();
    t.labels.record('u1', T0, 0.2);
    t.labels.record('u2', T0, 0.7);
    const r = await resolveChampionLiveAuc(
      t,
      T0 + H,
      () => Promise.resolve(new Map<string, number[]>()),
      1,
    );
    assert.equal(r?.record.auc, null);
    assert.equal(r?.record.positives, 0);
    assert.ok(Number.isNaN(t.liveAuc?.auc));
  });

  it('an order-times failure propagates and keeps the samples (the next interval retries)', async () => {
    const t = target();
    t.labels.record('u1', T0, 0.2);
    await assert.rejects(
      resolveChampionLiveAuc(t, T0 + H, () => Promise.reject(new Error('ch down')), 1),
      /ch down/,
    );
    assert.equal(t.labels.size(), 1);
    assert.equal(t.liveAuc, null);
  });
});

describe('validateLiveAucRecord', () => {
  const ok = {
    model: 'propensity_1h',
    version: 1,
    horizon: '1h',
    computedAtMs: T0,
    watermarkMs: T0,
    labelFromMs: T0 - H,
    labelToMs: T0,
    auc: 0.7,
    n: 10,
    positives: 3,
    weightSum: 12,
  };
  it('names the first bad field', () => {
    const bad = (over: object, msg: RegExp) =>
      assert.throws(
        () => validateLiveAucRecord({ ...ok, ...over }),
        (e: unknown) => e instanceof InvalidLiveAucRecordError && msg.test(e.message),
      );
    bad({ version: 0 }, /version = 0, expected an integer >= 1/);
    bad({ watermarkMs: NaN }, /watermarkMs = NaN/);
    bad({ auc: NaN }, /auc = NaN, expected null or a number in \[0, 1\]/);
    bad({ n: 0 }, /n = 0/);
    bad({ positives: 11 }, /positives = 11/);
    bad({ weightSum: 9 }, /weightSum = 9, expected a finite number >= n = 10/);
    assert.doesNotThrow(() => validateLiveAucRecord({ ...ok, auc: null }));
  });
});
