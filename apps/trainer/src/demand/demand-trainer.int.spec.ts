import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  createClickHouse,
  insertIdempotent,
  runMigrations,
  type ClickHouseHandle,
} from '@storepulse/clickhouse';
import type { AppConfig } from '@storepulse/config';
import { toChDateTime64 } from '@storepulse/contracts';
import { ClickHouseDemandSeries } from '@storepulse/features';
import {
  DEMAND_METHODS,
  DEMAND_MODEL_NAME,
  getTf,
  loadDemandForecaster,
  ModelRegistry,
  syntheticDemand,
  type DemandModelMetrics,
} from '@storepulse/ml';
import { testConfig, testLogger } from '../../../../test/support/env';
import { DemandTrainer, type DemandRunResult } from './demand-trainer';

/**
 * Integration on the embedded engine (real ClickHouse, no Kafka needed): ~100 days of synthetic
 * orders for 40 SKUs (+ one SKU on sale for 5 days) inserted into order_lines, so the materialized
 * views fill fr_sku_order_1h; the trainer reads them, backtests every method, registers and gates.
 */
const DAY = 86_400_000;
const DAYS = 110;
const START_DAY = Math.round(Date.UTC(2026, 5, 1) / DAY);
const TO_DAY = START_DAY + DAYS;
const LIMITS = { maxRows: 5000, maxBytes: 1 << 24 };
const GLOBAL = {
  hidden: [16],
  decoderUnits: 4,
  epochs: 3,
  windowsPerSeries: 8,
  lookback: 28,
  seed: 3,
};

describe('demand training on order history (embedded engine, real TF.js)', () => {
  let ch: ClickHouseHandle;
  let registry: ModelRegistry;
  let config: AppConfig;
  let first: DemandRunResult;
  const phases: string[] = [];

  before(async () => {
    config = testConfig({
      DEMAND_HORIZON_DAYS: '28',
      DEMAND_BACKTEST_ORIGINS: '3',
      DEMAND_HISTORY_DAYS: '120',
      DEMAND_MIN_HISTORY_DAYS: '28',
      SHOP_TIME_ZONE: 'UTC',
    });
    ch = await createClickHouse(config.clickhouse);
    await runMigrations(ch.client);
    registry = new ModelRegistry(ch.client);
    const synth = syntheticDemand({
      series: 40,
      days: DAYS,
      futureDays: 0,
      seed: 21,
      startDay: START_DAY,
      minLevel: 1,
      maxLevel: 40,
    });
    synth.push({
      id: 'NEW',
      category: 'cat-new',
      startDay: START_DAY,
      y: Float64Array.from({ length: DAYS }, (_, i) => (i >= DAYS - 5 ? 3 : 0)),
    });
    const lines: Record<string, unknown>[] = [];
    const views: Record<string, unknown>[] = [];
    let n = 0;
    for (const s of synth)
      s.y.forEach((units, i) => {
        const ts = toChDateTime64((s.startDay + i) * DAY + 10 * 3_600_000 + (n % 3600) * 1000);
        const k = n++;
        const price = 10 * (s.price?.[i] ?? 1);
        views.push({
          event_id: `00000000-0000-4000-8000-${String(k).padStart(12, '0')}`,
          type: 'product_view',
          user_id: `u-${k % 50}`,
          session_id: `s-${k}`,
          ts,
          sku: s.id,
          price,
          category: s.category,
          query: '',
          _topic: 'storefront.clickstream.v1',
          _partition: 0,
          _offset: k,
        });
        const qty = Math.round(units);
        if (qty > 0)
          lines.push({
            event_id: `00000000-0000-4000-9000-${String(k).padStart(12, '0')}`,
            type: 'order_placed',
            order_id: `o-${k}`,
            user_id: `u-${k % 50}`,
            ts,
            currency: 'EUR',
            line_no: 0,
            sku: s.id,
            category: s.category,
            qty,
            unit_price: price,
            _topic: 'storefront.orders.v1',
            _partition: 0,
            _offset: k,
          });
      });
    // the raw tables are partitioned by day: insert at most 50 days per block
    const byDays = (rows: Record<string, unknown>[], d0: number) =>
      rows.filter((r) => {
        const d = Math.floor(Date.parse(`${String(r.ts).replace(' ', 'T')}Z`) / DAY) - START_DAY;
        return d >= d0 && d < d0 + 50;
      });
    for (let d0 = 0; d0 < DAYS; d0 += 50) {
      await insertIdempotent(
        ch.client,
        'order_lines',
        byDays(lines, d0),
        `demand-int/o/${d0}`,
        LIMITS,
      );
      await insertIdempotent(
        ch.client,
        'clickstream_events',
        byDays(views, d0),
        `demand-int/c/${d0}`,
        LIMITS,
      );
    }
  });

  after(async () => {
    await ch?.close();
  });

  const trainer = async (dayOffset: number) =>
    new DemandTrainer(
      (await getTf({ log: () => undefined })).tf,
      registry,
      new ClickHouseDemandSeries(ch.client),
      config.demand,
      testLogger(),
      { global: GLOBAL, now: () => (TO_DAY + dayOffset) * DAY + 3_600_000 },
    );

  it('backtests every method, registers version 1 and promotes it over seasonal naive', async () => {
    first = await (await trainer(0)).run((p) => phases.push(p.phase));
    assert.ok(phases.includes('series') && phases.includes('backtest global'), phases.join());
    assert.ok(phases.includes('registry'));
    assert.equal(first.version, 1);
    assert.equal(first.parentVersion, null);
    assert.equal(first.skus, 41);
    assert.equal(first.origins, 3);
    assert.equal(first.step, 6, '110 days: origins 6 days apart');
    assert.equal(first.window.to, new Date(TO_DAY * DAY).toISOString().slice(0, 10));
    assert.equal(first.promoted, true, first.reason);
    assert.match(first.reason, /first champion: mean WQL .* < seasonal-naive baseline/);
    const v = await registry.champion(DEMAND_MODEL_NAME);
    assert.equal(v?.version, 1);
    assert.equal(v?.kind, 'demand');
    assert.equal(v?.horizon, '28d');
    assert.ok(v?.featureNames.includes('lag_28'));
    const m = v?.metrics as unknown as DemandModelMetrics;
    for (const method of DEMAND_METHODS) {
      const row = m.backtest[method];
      assert.ok(row && Number.isFinite(row.meanWql), `${method}: ${JSON.stringify(row)}`);
      assert.equal(row.fits, m.backtest.seasonal_naive?.fits, `${method} scored on the same pairs`);
    }
    assert.equal(m.perOrigin.length, 3);
    assert.equal(first.champion, m.champion);
    assert.ok(
      DEMAND_METHODS.every((x) => m.backtest[x]!.meanWql >= m.backtest[m.champion]!.meanWql),
      'the champion has the best mean wQL',
    );
  });

  it('the artifact loads and forecasts every SKU 28 days ahead with non-crossing quantiles; the 5-day SKU is a cold start', async () => {
    const v = await registry.champion(DEMAND_MODEL_NAME);
    assert.ok(v);
    const f = await loadDemandForecaster(v, await registry.artifact(DEMAND_MODEL_NAME, v.version));
    assert.equal(f.method, first.champion);
    const { series } = await new ClickHouseDemandSeries(ch.client).read({
      toDay: TO_DAY,
      days: 120,
      timeZone: 'UTC',
      futureDays: 28,
    });
    const out = await f.forecast(series, { originDay: TO_DAY, horizon: 28, minHistoryDays: 28 });
    assert.equal(out.length, 41);
    for (const fc of out) {
      assert.equal(fc.days.length, 28);
      assert.equal(fc.days[0].date, new Date(TO_DAY * DAY).toISOString().slice(0, 10));
      for (const d of fc.days)
        assert.ok(0 <= d.p10 && d.p10 <= d.p50 && d.p50 <= d.p90, `${fc.sku} ${JSON.stringify(d)}`);
    }
    const young = out.find((x) => x.sku === 'NEW');
    assert.equal(young?.coldStart, true);
    assert.equal(young?.method, 'global');
    assert.equal(young?.category, 'cat-new');
    const old = out.filter((x) => x.sku !== 'NEW');
    assert.ok(old.every((x) => !x.coldStart && x.method === first.champion));
  });

  it('a second run warm-starts from the champion (parent version 1) and is gated with a recorded reason', async () => {
    const second = await (await trainer(1)).run(() => undefined);
    assert.equal(second.version, 2);
    assert.equal(second.warmStart, true);
    assert.equal(second.parentVersion, 1);
    assert.deepEqual(second.against, { version: 1, method: first.champion });
    const v2 = await registry.get(DEMAND_MODEL_NAME, 2);
    assert.equal(v2?.parentVersion, 1);
    assert.equal(v2?.status, second.promoted ? 'champion' : 'rejected');
    const events = await registry.events({ name: DEMAND_MODEL_NAME });
    const gate = events.find(
      (e) => e.version === 2 && (e.event === 'promoted' || e.event === 'rejected'),
    );
    assert.ok(gate, JSON.stringify(events));
    assert.equal(gate.reason, second.reason);
    assert.match(gate.reason, /against champion v1 \(.*, re-scored on this backtest\): .*mean WQL/);
  });
});
