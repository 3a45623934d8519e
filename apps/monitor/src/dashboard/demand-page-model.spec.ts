// Unit tests of the Demand page's view-models (pure): fan chart, backtest table, versions, reorder
// table, and the request-parameter checks.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelVersion } from '@storepulse/ml';
import {
  DemandQueryError,
  backtestTable,
  dateOfDay,
  dayNumber,
  demandModel,
  fanChart,
  parseDemandMetrics,
  parseIntParam,
  parseSearch,
  parseSku,
  reorderTable,
  type DemandForecastRow,
  type RecommendationRow,
} from './demand-page-model';

const forecast = (over: Partial<DemandForecastRow> = {}): DemandForecastRow => ({
  forecastId: '00000000-0000-4000-8000-000000000001',
  sku: 'SKU-1',
  category: 'tea',
  origin: '2026-03-01',
  generatedAt: '2026-03-01T10:00:00.000Z',
  modelName: 'demand',
  modelVersion: 2,
  method: 'ensemble',
  coldStart: false,
  timeZone: 'UTC',
  dates: ['2026-03-01', '2026-03-02', '2026-03-03'],
  p10: [1, 2, 0],
  p50: [3, 4, 1.5],
  p90: [6, 8, 4],
  ...over,
});

const row = (wape: number, meanWql: number) => ({
  wape,
  mase: wape * 4,
  wql10: meanWql * 0.8,
  wql50: meanWql * 1.3,
  wql90: meanWql * 0.9,
  meanWql,
  coverage80: 0.8,
  bias: -0.01,
  fits: 10,
  fitMsPerSeries: 1,
});

function version(v: number, status: ModelVersion['status'], metrics: Record<string, unknown>) {
  return {
    name: 'demand',
    kind: 'demand',
    horizon: '28d',
    parentVersion: v > 1 ? v - 1 : null,
    trainingFrom: 0,
    trainingTo: 1,
    featureNames: [],
    catalogHash: 'x',
    metrics,
    version: v,
    createdAt: `2026-03-0${v}T00:00:00.000Z`,
    updatedAt: `2026-03-0${v}T00:00:01.000Z`,
    status,
    artifactSha256: 'a',
    artifactBytes: 1,
  } satisfies ModelVersion;
}

const METRICS = {
  champion: 'ensemble',
  backtest: {
    seasonal_naive: row(0.3, 0.14),
    auto_ets: row(0.22, 0.1),
    croston: row(0.35, 0.16),
    global: row(0.21, 0.095),
    ensemble: row(0.2, 0.08),
  },
  origins: 3,
  horizonDays: 28,
  skus: 300,
  perOrigin: [],
  timeZone: 'UTC',
};

const rec = (sku: string, action: RecommendationRow['action'], stockout: string | null) =>
  ({
    sku,
    category: 'tea',
    generatedAt: '2026-03-01T10:00:00.000Z',
    action,
    recommendedOrderQty: 40,
    onHand: 5,
    onOrder: 0,
    reorderPoint: 12.5,
    projectedStockout: stockout,
    modelVersion: 2,
    safetyStock: 3.5,
    leadTimeDays: 7,
  }) satisfies RecommendationRow;

void describe('dates', () => {
  void it('counts calendar days across month and leap-year ends, and rejects non-dates', () => {
    assert.equal(dayNumber('1970-01-02'), 1);
    assert.equal(dayNumber('2024-03-01') - dayNumber('2024-02-28'), 2);
    assert.equal(dateOfDay(dayNumber('2026-01-01') - 1), '2025-12-31');
    assert.throws(() => dayNumber('2026-02-30'), /"2026-02-30" is not a calendar date/);
    assert.throws(() => dayNumber('20260101'), /is not a date YYYY-MM-DD/);
  });
});

void describe('fanChart', () => {
  void it('zero-fills the actual days before the origin and pads the series to one axis', () => {
    const c = fanChart(
      forecast(),
      [
        { date: '2026-02-26', units: 4 },
        { date: '2026-02-28', units: 7 },
        { date: '2026-02-28', units: 1 },
      ],
      4,
      null,
    );
    assert.deepEqual(c.labels, [
      '2026-02-25',
      '2026-02-26',
      '2026-02-27',
      '2026-02-28',
      '2026-03-01',
      '2026-03-02',
      '2026-03-03',
    ]);
    assert.deepEqual(c.actuals, [0, 4, 0, 8, null, null, null]);
    assert.deepEqual(c.p10, [null, null, null, null, 1, 2, 0]);
    assert.deepEqual(c.p50, [null, null, null, null, 3, 4, 1.5]);
    assert.deepEqual(c.p90, [null, null, null, null, 6, 8, 4]);
    assert.deepEqual(c.totals, { actualUnits: 12, actualDays: 4, p50Units: 8.5, horizonDays: 3 });
    assert.deepEqual(c.model, { name: 'demand', version: 2, method: 'ensemble' });
  });

  void it('rejects a stored forecast that is malformed, naming the forecast and the fault', () => {
    assert.throws(
      () => fanChart(forecast({ p90: [6, 8] }), [], 1, null),
      /forecast 0{8}-0{4}-4000-8000-0{11}1 of SKU-1: p90 has 2 values for 3 dates/,
    );
    assert.throws(
      () => fanChart(forecast({ p50: [3, 9, 1.5] }), [], 1, null),
      /quantiles cross on 2026-03-02 \(p10 2, p50 9, p90 8\)/,
    );
    assert.throws(
      () => fanChart(forecast({ dates: ['2026-03-01', '2026-03-03', '2026-03-04'] }), [], 1, null),
      /dates\[1\] is 2026-03-03, expected 2026-03-02/,
    );
  });
});

void describe('backtest and versions', () => {
  void it('puts the champion first, then the other methods by mean wQL, with roles and deltas', () => {
    const p = parseDemandMetrics(METRICS);
    assert.ok(p.ok);
    const t = backtestTable(version(2, 'champion', METRICS), p.value);
    assert.deepEqual(
      t.rows.map((r) => [r.method, r.role, r.meanWqlVsChampion]),
      [
        ['ensemble', 'champion', 0],
        ['global', 'model', 0.1875],
        ['auto_ets', 'baseline', 0.25],
        ['seasonal_naive', 'baseline', 0.75],
        ['croston', 'baseline', 1],
      ],
    );
    assert.equal(t.rows[2]?.wape, 0.22);
    assert.deepEqual([t.origins, t.horizonDays, t.skus], [3, 28, 300]);
  });

  void it('names the first field that does not fit DemandModelMetrics', () => {
    const bad = {
      ...METRICS,
      backtest: { ...METRICS.backtest, croston: { ...row(1, 1), mase: 'x' } },
    };
    assert.deepEqual(parseDemandMetrics(bad), {
      ok: false,
      error: 'metrics.backtest.croston.mase: must be a finite number',
    });
    assert.deepEqual(parseDemandMetrics({ ...METRICS, champion: 'tsb' }), {
      ok: false,
      error: 'metrics.champion: "tsb" has no row in metrics.backtest',
    });
    assert.deepEqual(parseDemandMetrics({}), {
      ok: false,
      error: 'metrics.champion: must be a method name',
    });
  });

  void it('shows the champion backtest by default, any version on request, and unreadable metrics', () => {
    const v3 = version(3, 'rejected', { ...METRICS, champion: 'global' });
    const v2 = version(2, 'champion', METRICS);
    const v1 = version(1, 'retired', { backtest: {} });
    const d = demandModel([v1, v3, v2], [], null);
    assert.equal(d.championVersion, 2);
    assert.deepEqual(
      d.versions.map((v) => [v.version, v.status, v.method, v.meanWql, v.metricsError]),
      [
        [3, 'rejected', 'global', 0.095, null],
        [2, 'champion', 'ensemble', 0.08, null],
        [1, 'retired', null, null, 'metrics.champion: must be a method name'],
      ],
    );
    assert.equal(d.backtest?.version, 2);
    assert.equal(demandModel([v1, v3, v2], [], 3).backtest?.champion, 'global');
    assert.equal(demandModel([v1, v3, v2], [], 1).backtest, null);
    // No champion: the newest readable version.
    assert.equal(demandModel([v1, v3], [], null).backtest?.version, 3);
    assert.throws(
      () => demandModel([v1], [], 9),
      (e: unknown) =>
        e instanceof DemandQueryError && e.message === 'version: demand v9 is not in the registry',
    );
  });
});

void describe('reorderTable', () => {
  void it('keeps action = reorder, earliest stock-out first, none last, ties by SKU', () => {
    const t = reorderTable(
      [
        rec('D', 'reorder', null),
        rec('B', 'reorder', '2026-03-05'),
        rec('X', 'ok', '2026-03-02'),
        rec('C', 'reorder', '2026-03-03'),
        rec('A', 'reorder', '2026-03-05'),
        rec('Y', 'overstock', null),
      ],
      '2026-03-04',
    );
    assert.deepEqual(
      t.rows.map((r) => [r.sku, r.projectedStockout, r.daysToStockout]),
      [
        ['C', '2026-03-03', -1],
        ['A', '2026-03-05', 1],
        ['B', '2026-03-05', 1],
        ['D', null, null],
      ],
    );
    assert.equal(t.rows[0]?.recommendedOrderQty, 40);
  });
});

void describe('request parameters', () => {
  const err = (field: string, msg: string) => (e: unknown) =>
    e instanceof DemandQueryError && e.field === field && e.message === `${field}: ${msg}`;
  void it('parses integers within bounds and names the parameter otherwise', () => {
    assert.equal(parseIntParam('limit', undefined, 20, 1, 200), 20);
    assert.equal(parseIntParam('limit', '7', 20, 1, 200), 7);
    assert.throws(
      () => parseIntParam('limit', '0', 20, 1, 200),
      err('limit', '0 must be between 1 and 200'),
    );
    assert.throws(
      () => parseIntParam('limit', '2.5', 20, 1, 200),
      err('limit', '"2.5" is not an integer'),
    );
  });
  void it('checks SKU ids and search text', () => {
    assert.equal(parseSku('SKU 1/ä'), 'SKU 1/ä');
    assert.throws(() => parseSku(''), err('sku', 'must not be empty'));
    assert.throws(
      () => parseSku('x'.repeat(129)),
      err('sku', 'is 129 characters long; at most 128'),
    );
    assert.throws(() => parseSku('a\u0001'), err('sku', 'must not contain control characters'));
    assert.equal(parseSearch('  '), null);
    assert.equal(parseSearch(' ab '), 'ab');
    assert.throws(() => parseSearch('q'.repeat(65)), err('q', 'is 65 characters long; at most 64'));
  });
});
