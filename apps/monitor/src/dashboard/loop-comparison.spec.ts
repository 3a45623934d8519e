import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loopBucketMs, loopComparison, type LoopKpiRow } from './loop-comparison';

const MIN = 60_000;
const RUN = Date.parse('2026-12-01T08:00:00Z');

function row(policy: LoopKpiRow['policy'], over: Partial<LoopKpiRow> = {}): LoopKpiRow {
  return {
    policy,
    source: policy === 'following' ? 'live' : 'shadow',
    ts: '2026-12-01T10:00:00.000Z',
    followsRecommendations: true,
    skus: 300,
    skusOnFixedPolicy: 12,
    simulatedDays: 2 / 24,
    unitsDemanded: 1000,
    unitsSold: 980,
    unitsLost: 20,
    fillRate: 0.98,
    stockoutSkuDays: 3.5,
    meanOnHandUnits: 7000,
    purchaseOrdersPlaced: 40,
    unitsOrdered: 900,
    unitsReceived: 600,
    openPurchaseOrders: 9,
    ...over,
  };
}

void describe('loop comparison view-model (with vs without StorePulse)', () => {
  void it('picks the smallest bucket that gives at most 200 points', () => {
    assert.equal(loopBucketMs(0), MIN);
    assert.equal(loopBucketMs(200 * MIN), MIN);
    assert.equal(loopBucketMs(201 * MIN), 5 * MIN);
    assert.equal(loopBucketMs(3 * 86_400_000), 60 * MIN);
    assert.equal(loopBucketMs(10_000 * 86_400_000), 1440 * MIN);
  });

  void it('puts both policies side by side with following − fixed, and aligns the series on one axis', () => {
    const following = row('following');
    const fixed = row('fixed', {
      unitsSold: 950,
      unitsLost: 50,
      fillRate: 0.95,
      stockoutSkuDays: 5,
      meanOnHandUnits: 7500,
      ts: '2026-12-01T09:59:00.000Z',
    });
    const d = loopComparison({
      runStartedAt: new Date(RUN).toISOString(),
      bucketMs: 60 * MIN,
      latest: [fixed, following],
      series: [
        { policy: 'following', bucketMs: RUN, fillRate: 0.97 },
        { policy: 'fixed', bucketMs: RUN, fillRate: 0.96 },
        { policy: 'following', bucketMs: RUN + 60 * MIN, fillRate: 0.98 },
      ],
    });
    const run = d.run;
    assert.ok(run);
    assert.equal(run.since, '2026-12-01T08:00:00.000Z');
    assert.equal(run.asOf, '2026-12-01T10:00:00.000Z', 'the newest snapshot');
    assert.equal(run.following, following);
    assert.equal(run.fixed, fixed);
    assert.ok(run.difference);
    assert.ok(Math.abs((run.difference.fillRate ?? 0) - 0.03) < 1e-12);
    assert.equal(run.difference.stockoutSkuDays, -1.5);
    assert.equal(run.difference.meanOnHandUnits, -500);
    assert.equal(run.difference.unitsLost, -30);
    assert.deepEqual(run.series, {
      bucketMinutes: 60,
      labels: ['2026-12-01T08:00:00.000Z', '2026-12-01T09:00:00.000Z'],
      following: [0.97, 0.98],
      fixed: [0.96, null],
    });
  });

  void it('without following: the fixed policy only, no difference; no snapshot: run null', () => {
    const fixed = row('fixed', {
      source: 'live',
      followsRecommendations: false,
      skusOnFixedPolicy: 300,
    });
    const d = loopComparison({
      runStartedAt: new Date(RUN).toISOString(),
      bucketMs: MIN,
      latest: [fixed],
      series: [],
    });
    assert.equal(d.run?.following, null);
    assert.equal(d.run?.fixed?.source, 'live');
    assert.equal(d.run?.difference, null);
    assert.equal(d.run?.followsRecommendations, false);
    assert.deepEqual(loopComparison(null), { run: null });
    const noDemand = loopComparison({
      runStartedAt: new Date(RUN).toISOString(),
      bucketMs: MIN,
      latest: [row('following', { fillRate: null }), row('fixed')],
      series: [],
    });
    assert.equal(noDemand.run?.difference?.fillRate, null);
  });
});
