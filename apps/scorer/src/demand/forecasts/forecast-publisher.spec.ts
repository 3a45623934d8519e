import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  demandForecastSchema,
  forecastId,
  type DemandForecastMessage,
} from '@storepulse/contracts';
import type { DemandForecaster, SkuDemandForecast } from '@storepulse/ml';
import { createLogger } from '@storepulse/observability';
import { ForecastPublisher, ForecastStoreError } from './forecast-publisher';
import type { ChampionSource, ForecastSink, ForecastStore } from './ports';
import { InMemoryDemandSeries, SeasonalNaiveDemandForecaster } from './testing';
import { dayInZone, dayToIso, hourIso } from './zone-day';

const log = createLogger('silent');
const DAY = 86_400_000;
// 2026-11-30 23:30 UTC = 2026-12-01 00:30 in Berlin
const NOW = Date.UTC(2026, 10, 30, 23, 30);
const OPTS = { timeZone: 'UTC', historyDays: 56, horizonDays: 28, minHistoryDays: 28 };

class FakeSink implements ForecastSink {
  readonly batches: DemandForecastMessage[][] = [];
  fail: Error | null = null;
  constructor(private readonly calls: string[]) {}
  publish(messages: readonly DemandForecastMessage[]) {
    this.calls.push('publish');
    if (this.fail) return Promise.reject(this.fail);
    this.batches.push([...messages]);
    return Promise.resolve({ bytes: 1, sends: 1 });
  }
  close() {
    return Promise.resolve();
  }
}

class FakeStore implements ForecastStore {
  readonly inserted: { messages: DemandForecastMessage[]; token: string }[] = [];
  fail: Error | null = null;
  constructor(private readonly calls: string[]) {}
  insert(messages: readonly DemandForecastMessage[], token: string) {
    this.calls.push('insert');
    if (this.fail) return Promise.reject(this.fail);
    this.inserted.push({ messages: [...messages], token });
    return Promise.resolve(messages.length);
  }
  latest() {
    return Promise.resolve(null);
  }
  list() {
    return Promise.resolve([]);
  }
}

const champion = (f: DemandForecaster | null): ChampionSource => ({
  refresh: () => Promise.resolve(f),
});

/** sku-a: 8 weeks of a weekly pattern 1..7; sku-b: sales in the last 10 days only (cold start). */
function source(today: number) {
  return new InMemoryDemandSeries([
    {
      sku: 'sku-a',
      category: 'toys',
      firstDay: today - 56,
      units: Array.from({ length: 56 }, (_, i) => ((today - 56 + i) % 7) + 1),
    },
    {
      sku: 'sku-b',
      category: 'garden',
      firstDay: today - 10,
      units: Array(10).fill(3) as number[],
    },
  ]);
}

function setup(
  opts: { now?: number; forecaster?: DemandForecaster | null; timeZone?: string } = {},
) {
  const calls: string[] = [];
  const sink = new FakeSink(calls);
  const store = new FakeStore(calls);
  let now = opts.now ?? NOW;
  const tz = opts.timeZone ?? 'UTC';
  const series = source(dayInZone(now, tz));
  const forecaster =
    opts.forecaster === undefined
      ? new SeasonalNaiveDemandForecaster('demand', 3)
      : opts.forecaster;
  const pub = new ForecastPublisher(
    series,
    champion(forecaster),
    sink,
    store,
    { ...OPTS, timeZone: tz },
    log,
    () => now,
  );
  return { pub, sink, store, series, calls, setNow: (ms: number) => (now = ms) };
}

describe('ForecastPublisher', () => {
  it('publishes one contract-valid message per SKU with 28 days from today, then stores the same messages', async () => {
    const { pub, sink, store, series, calls } = setup();
    const r = await pub.run('manual');
    assert.equal(r.status, 'published');
    assert.deepEqual(calls, ['publish', 'insert'], 'the read model is written after the commit');
    assert.equal(sink.batches.length, 1, 'one transaction per run');
    const msgs = sink.batches[0];
    assert.deepEqual(msgs.map((m) => m.sku).sort(), ['sku-a', 'sku-b']);
    assert.deepEqual(store.inserted[0].messages, msgs);
    const today = dayInZone(NOW, 'UTC');
    assert.deepEqual(series.queries, [{ toDay: today, days: 56, timeZone: 'UTC', futureDays: 28 }]);
    for (const m of msgs) {
      demandForecastSchema.parse(m);
      assert.equal(m.origin, '2026-11-30');
      assert.equal(m.horizon.length, 28);
      assert.equal(m.horizon[0].date, '2026-11-30');
      assert.equal(m.horizon[27].date, '2026-12-27');
      assert.equal(m.generated_at, new Date(NOW).toISOString());
      assert.equal(m.unit, 'units/day');
      assert.equal(m.time_zone, 'UTC');
      assert.equal(
        m.forecast_id,
        forecastId(m.sku, m.origin, '2026-11-30T23:00:00.000Z', { name: 'demand', version: 3 }),
      );
    }
    const a = msgs.find((m) => m.sku === 'sku-a');
    const b = msgs.find((m) => m.sku === 'sku-b');
    // seasonal naive repeats the last week: day d has (d % 7) + 1 units, exactly (zero residuals)
    assert.deepEqual(
      a?.horizon.slice(0, 7).map((d) => d.p50),
      Array.from({ length: 7 }, (_, i) => ((today + i) % 7) + 1),
    );
    assert.deepEqual(a?.model, { name: 'demand', version: 3, method: 'seasonal_naive' });
    assert.equal(a?.cold_start, false);
    assert.equal(b?.cold_start, true);
    assert.equal(b?.model.method, 'global');
    assert.equal(b?.horizon[0].p50, 3);
    assert.equal(r.skus, 2);
    assert.equal(r.coldStarts, 1);
    assert.equal(r.series, 2);
    assert.deepEqual(r.model, { name: 'demand', version: 3, method: 'seasonal_naive' });
  });

  it('a second run in the same hour has the same forecast ids; the next hour has new ones', async () => {
    const { pub, sink, setNow } = setup();
    await pub.run('manual');
    setNow(NOW + 20 * 60_000 - 1); // 23:49:59.999, same hour
    await pub.run('schedule');
    setNow(NOW + 30 * 60_000); // 00:00 next day: new origin too
    await pub.run('schedule');
    const ids = sink.batches.map((b) => b.map((m) => m.forecast_id).sort());
    assert.deepEqual(ids[0], ids[1]);
    assert.equal(ids[2].filter((id) => ids[0].includes(id)).length, 0);
    assert.equal(sink.batches[2][0].origin, '2026-12-01');
  });

  it('the day boundary is midnight in the shop time zone', async () => {
    const { pub, sink, series } = setup({ timeZone: 'Europe/Berlin' });
    await pub.run('manual');
    assert.equal(series.queries[0].toDay, dayInZone(NOW, 'UTC') + 1);
    assert.equal(sink.batches[0][0].origin, '2026-12-01');
    assert.equal(sink.batches[0][0].time_zone, 'Europe/Berlin');
  });

  it('without a champion the run is skipped: nothing read, published or stored', async () => {
    const { pub, calls, series } = setup({ forecaster: null });
    const r = await pub.run('schedule');
    assert.equal(r.status, 'skipped');
    assert.match(r.reason ?? '', /no demand champion/);
    assert.deepEqual(calls, []);
    assert.equal(series.queries.length, 0);
  });

  it('a forecast that breaks the contract is not published, with the SKU and the field; the others are', async () => {
    const bad: DemandForecaster = {
      name: 'demand',
      version: 1,
      method: 'auto_ets',
      forecast: async (series, o) => {
        const good = await new SeasonalNaiveDemandForecaster('demand', 1).forecast(series, o);
        return good.map((f): SkuDemandForecast => {
          if (f.sku === 'sku-a')
            return {
              ...f,
              days: f.days.map((d, i) => (i === 4 ? { ...d, p10: d.p50 + 1 } : d)),
            };
          return f;
        });
      },
    };
    const { pub, sink } = setup({ forecaster: bad });
    const r = await pub.run('manual');
    assert.deepEqual(
      sink.batches[0].map((m) => m.sku),
      ['sku-b'],
    );
    assert.equal(r.rejectedCount, 1);
    assert.equal(r.rejected[0].sku, 'sku-a');
    assert.match(r.rejected[0].reason, /^horizon\.4: quantiles must not cross/);
  });

  it('rejects forecasts with the wrong number of days or days not consecutive from the origin, and reports missing SKUs', async () => {
    const bad: DemandForecaster = {
      name: 'demand',
      version: 1,
      method: 'auto_ets',
      forecast: async (series, o) => {
        const good = await new SeasonalNaiveDemandForecaster('demand', 1).forecast(series, o);
        const a = good.find((f) => f.sku === 'sku-a') as SkuDemandForecast;
        return [
          { ...a, days: a.days.slice(1).concat(a.days[0]) },
          { ...a, sku: 'sku-x', days: a.days.slice(0, 27) },
        ];
      },
    };
    const { pub, sink } = setup({ forecaster: bad });
    const r = await pub.run('manual');
    assert.equal(sink.batches[0].length, 0);
    assert.deepEqual(
      r.rejected.map((x) => x.reason),
      [
        `horizon.0.date: is ${dayToIso(dayInZone(NOW, 'UTC') + 1)}, expected 2026-11-30 (origin + 0)`,
        'horizon: has 27 days, expected 28',
      ],
    );
    assert.deepEqual(r.missing, ['sku-b']);
    assert.equal(r.missingCount, 1);
  });

  it('a failed transaction fails the run and writes nothing to the read model', async () => {
    const { pub, sink, store } = setup();
    sink.fail = new Error('broker down');
    await assert.rejects(pub.run('manual'), /broker down/);
    assert.equal(store.inserted.length, 0);
  });

  it('a failed read-model insert after the commit is an error that says the forecasts were published', async () => {
    const { pub, store } = setup();
    store.fail = new Error('engine gone');
    await assert.rejects(pub.run('manual'), (e: unknown) => {
      assert.ok(e instanceof ForecastStoreError);
      assert.equal(e.published, 2);
      assert.match(e.message, /2 forecasts were published to Kafka.*engine gone/);
      return true;
    });
  });

  it('forecasts in chunks and reports progress', async () => {
    const calls: string[] = [];
    const today = dayInZone(NOW, 'UTC');
    const many = new InMemoryDemandSeries(
      Array.from({ length: 25 }, (_, k) => ({
        sku: `s${String(k).padStart(2, '0')}`,
        category: 'c',
        firstDay: today - 40,
        units: Array(40).fill(k + 1) as number[],
      })),
    );
    const sink = new FakeSink(calls);
    const chunks: number[] = [];
    const f = new SeasonalNaiveDemandForecaster('demand', 1);
    const counting: DemandForecaster = {
      name: 'demand',
      version: 1,
      method: 'seasonal_naive',
      forecast: (s, o) => {
        chunks.push(s.length);
        return f.forecast(s, o);
      },
    };
    const pub = new ForecastPublisher(
      many,
      champion(counting),
      sink,
      new FakeStore(calls),
      { ...OPTS, chunkSkus: 10 },
      log,
      () => NOW,
    );
    const progress: string[] = [];
    const r = await pub.run('manual', (p) => progress.push(`${p.phase} ${p.done}/${p.total}`));
    assert.deepEqual(chunks, [10, 10, 5]);
    assert.equal(r.skus, 25);
    assert.equal(r.coldStarts, 0);
    assert.deepEqual(progress, [
      'series 0/1',
      'series 1/1',
      'forecast 10/25',
      'forecast 20/25',
      'forecast 25/25',
      'publish 0/25',
      'publish 25/25',
      'store 25/25',
    ]);
  });
});

describe('zone days', () => {
  it('counts local calendar days in the shop zone', () => {
    assert.equal(dayToIso(dayInZone(NOW, 'UTC')), '2026-11-30');
    assert.equal(dayToIso(dayInZone(NOW, 'Europe/Berlin')), '2026-12-01');
    assert.equal(dayToIso(dayInZone(Date.UTC(2026, 11, 1, 3), 'America/New_York')), '2026-11-30');
    assert.equal(dayInZone(0, 'UTC'), 0);
    assert.equal(dayInZone(DAY - 1, 'UTC'), 0);
    assert.equal(hourIso(NOW), '2026-11-30T23:00:00.000Z');
  });
});
