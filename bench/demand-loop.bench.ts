import { TOPICS } from '@storepulse/contracts';
import {
  AutoEts,
  replenish,
  SeasonalNaive,
  type DailyQuantiles,
  type ForecastModel,
} from '@storepulse/ml';
import { Storefront, type InventoryKpis } from '@storepulse/simulator';
import { printTable, progress } from './support';

/**
 * npm run bench -- demand-loop   (BENCH_SKUS 300, BENCH_DAYS 120, BENCH_WARMUP_DAYS 56,
 * BENCH_EVENTS_PER_DAY 30000, BENCH_USERS 20000, BENCH_SEED 42,
 * BENCH_FORECASTER seasonal-naive | auto-ets, BENCH_SERVICE_LEVEL 0.95, BENCH_DAY_CORRELATION 0.6, as REPLENISHMENT_DAY_CORRELATION,
 * BENCH_PROMOTIONS 1 | 0: the promotion calendar)
 * The storefront and its inventory offline (no Kafka; orders only, the clickstream is not built), run
 * twice with the same seed: (a) the simulator's fixed reorder-point policy; (b) following the
 * recommendations of `replenish()` (service level 0.95, daily review, 2000 Monte Carlo paths),
 * computed at every simulated midnight for every SKU from a 28-day forecast (SeasonalNaive(7) by
 * default; BENCH_FORECASTER=auto-ets: AutoEts, restarts 0, fitInitialSeason false) fitted on that
 * SKU's last 56 days of sales (units of order_placed; a censored series: lost sales are not
 * seen, as in a real shop). Both runs share a warm-up under the fixed policy (identical by
 * construction: same seed, no recommendation yet), then the KPIs are measured over BENCH_DAYS.
 * Run (b) also carries the counterfactual shadow inventory (LOOP.md): the fixed policy on (b)'s own
 * demand, so one run gives following vs fixed side by side; the shadow's figures are compared with
 * run (a) (not identical: in (b) the real stock shapes the sessions and carts).
 */
const DAY = 86_400_000;
const SKUS = Number(process.env.BENCH_SKUS ?? 300);
const DAYS = Number(process.env.BENCH_DAYS ?? 120);
const WARMUP = Number(process.env.BENCH_WARMUP_DAYS ?? 56);
const PER_DAY = Number(process.env.BENCH_EVENTS_PER_DAY ?? 30_000);
const USERS = Number(process.env.BENCH_USERS ?? 20_000);
const SEED = Number(process.env.BENCH_SEED ?? 42);
const WINDOW = 56;
const HORIZON = 28;
const SERVICE_LEVEL = Number(process.env.BENCH_SERVICE_LEVEL ?? 0.95);
/** AR(1) correlation of consecutive days' demand scores in replenish() (0 = independent days). */
const DAY_CORRELATION = Number(process.env.BENCH_DAY_CORRELATION ?? 0.6);
const SAMPLES = 2000;
/** Monday 2026-06-01 00:00 UTC: the measured span starts WARMUP days later. */
const START = Date.UTC(2026, 5, 1);
const FORECASTER = process.env.BENCH_FORECASTER ?? 'seasonal-naive';
const PROMOTIONS = (process.env.BENCH_PROMOTIONS ?? '1') !== '0';
if (FORECASTER !== 'seasonal-naive' && FORECASTER !== 'auto-ets')
  throw new Error(`BENCH_FORECASTER: '${FORECASTER}' is not seasonal-naive or auto-ets`);
const FORECASTER_NAME =
  FORECASTER === 'auto-ets' ? 'AutoEts(7; restarts 0, fitInitialSeason false)' : 'SeasonalNaive(7)';
function model(): ForecastModel {
  return FORECASTER === 'auto-ets'
    ? new AutoEts({ seasonLength: 7, restarts: 0, fitInitialSeason: false })
    : new SeasonalNaive(7);
}

type Policy = 'fixed' | 'follow';

interface RunResult {
  kpis: InventoryKpis;
  /** The shadow inventory's (the fixed policy on this run's demand); null without it. */
  shadow: InventoryKpis | null;
  seconds: number;
  recommendations: number;
  placed: number;
  fitMs: number;
  replenishMs: number;
}

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function run(policy: Policy): RunResult {
  const t0 = Date.now();
  const sf = new Storefront({
    seed: SEED,
    users: USERS,
    skus: SKUS,
    invalidRate: 0,
    startMs: START,
    eventsPerSec: PER_DAY / 86_400,
    seasonality: true,
    warmupMs: 20 * 60_000,
    clickstreamFromMs: Infinity,
    promotions: PROMOTIONS,
    followRecommendations: policy === 'follow',
  });
  const index = new Map(sf.catalogue.map((c, i) => [c.sku, i]));
  const total = WARMUP + DAYS;
  // sales[sku][day]: order_placed units.
  const sales = Array.from({ length: SKUS }, () => new Float64Array(total));
  let recommendations = 0;
  let placed = 0;
  let fitMs = 0;
  let replenishMs = 0;
  for (let d = 0; d < total; d++) {
    const dayStart = START + d * DAY;
    if (d === WARMUP) sf.resetKpis();
    if (policy === 'follow' && d >= WARMUP) {
      for (let i = 0; i < SKUS; i++) {
        const a = Date.now();
        const y = sales[i].subarray(Math.max(0, d - WINDOW), d);
        const fc = model().fit(y).predict(HORIZON);
        const days: DailyQuantiles[] = [];
        for (let h = 0; h < HORIZON; h++)
          days.push({
            date: isoDay(dayStart + h * DAY),
            p10: fc.p10[h],
            p50: fc.p50[h],
            p90: fc.p90[h],
          });
        const b = Date.now();
        const pos = sf.stock(i);
        const r = replenish(
          days,
          { onHand: pos.on_hand, onOrder: pos.on_order, leadTimeDays: pos.lead_time_days },
          {
            serviceLevel: SERVICE_LEVEL,
            reviewPeriodDays: 1,
            samples: SAMPLES,
            dayCorrelation: DAY_CORRELATION,
          },
        );
        const c = Date.now();
        fitMs += b - a;
        replenishMs += c - b;
        recommendations++;
        const outcome = sf.applyRecommendation({
          recommendation_id: `${i}-${d}`,
          sku: sf.catalogue[i].sku,
          action: r.action,
          recommended_order_qty: r.recommendedOrderQty,
          stock: { ...pos, ts: new Date(sf.now).toISOString() },
        });
        if (outcome === 'placed') placed++;
      }
    }
    for (;;) {
      const batch = sf.next(50_000, dayStart + DAY - 1);
      if (batch.length === 0) break;
      for (const m of batch) {
        if (m.topic !== TOPICS.orders) continue;
        const o = JSON.parse(m.value.toString('utf8')) as {
          type: string;
          items: { sku: string; qty: number }[];
        };
        if (o.type !== 'order_placed') continue;
        for (const it of o.items) {
          const i = index.get(it.sku);
          if (i !== undefined) sales[i][d] += it.qty;
        }
      }
    }
    if ((d + 1) % 20 === 0 || d + 1 === total) {
      const k = sf.kpis();
      progress(
        `${policy}: day ${d + 1}/${total} (${d < WARMUP ? 'warm-up' : 'measured'}), ${((Date.now() - t0) / 1000).toFixed(0)} s, fill rate so far ${k.fillRate?.toFixed(3) ?? '-'}`,
      );
    }
  }
  // Close the integrals at the end of the last day.
  sf.skipTo(START + total * DAY);
  return {
    kpis: sf.kpis(),
    shadow: sf.fixedPolicyKpis(),
    seconds: (Date.now() - t0) / 1000,
    recommendations,
    placed,
    fitMs,
    replenishMs,
  };
}

function main(): void {
  progress(
    `${SKUS} SKUs, ${USERS} users, ~${PER_DAY} events/day, seed ${SEED}: ${WARMUP} warm-up days + ${DAYS} measured days, twice`,
  );
  const a = run('fixed');
  const b = run('follow');
  const pct = (x: number | null) => (x === null ? '-' : `${(100 * x).toFixed(1)} %`);
  const both = (f: (r: RunResult) => string): string => `${f(a)} | ${f(b)}`;
  printTable(
    'Closed loop: (a) fixed reorder-point policy | (b) following replenish() recommendations',
    [
      [
        'SKUs, measured days (after warm-up), promotions',
        `${SKUS}, ${DAYS} (after ${WARMUP}), ${PROMOTIONS ? 'on' : 'off'}`,
      ],
      [
        'forecaster (b)',
        `${FORECASTER_NAME} on the last ${WINDOW} days of sales, refit daily, ${HORIZON}-day horizon`,
      ],
      [
        'replenish (b)',
        `service level ${SERVICE_LEVEL}, review period 1 day, ${SAMPLES} paths, day correlation ${DAY_CORRELATION}, lead time = SKU's`,
      ],
      ['fill rate (units sold / demanded)', both((r) => pct(r.kpis.fillRate))],
      ['stock-out SKU-days', both((r) => r.kpis.stockoutSkuDays.toFixed(0))],
      ['stock-out share of SKU-days', both((r) => pct(r.kpis.stockoutSkuDays / (SKUS * DAYS)))],
      ['mean units on hand (all SKUs)', both((r) => r.kpis.meanOnHandUnits.toFixed(0))],
      ['units demanded', both((r) => r.kpis.unitsDemanded.toFixed(0))],
      ['units sold', both((r) => String(r.kpis.unitsSold))],
      ['units lost', both((r) => r.kpis.unitsLost.toFixed(0))],
      ['purchase orders placed', both((r) => String(r.kpis.purchaseOrdersPlaced))],
      ['units received', both((r) => String(r.kpis.unitsReceived))],
      ['recommendations (b): computed, placed', `${b.recommendations}, ${b.placed}`],
      [
        'CPU (b): forecasts, replenish',
        `${(b.fitMs / 1000).toFixed(1)} s, ${(b.replenishMs / 1000).toFixed(1)} s`,
      ],
      ['wall time per run', both((r) => `${r.seconds.toFixed(0)} s`)],
    ],
  );
  const s = b.shadow;
  if (!s) throw new Error('run (b) has no shadow inventory: Storefront.fixedPolicyKpis() is null');
  const k = b.kpis;
  const diff = (x: number, y: number, digits: number) =>
    `${x - y >= 0 ? '+' : ''}${(x - y).toFixed(digits)}`;
  const rel = (x: number, y: number) => (y === 0 ? '-' : `${(100 * (x / y - 1)).toFixed(1)} %`);
  const fill = (r: InventoryKpis) => r.fillRate ?? 0;
  printTable(
    'One run, side by side: (b) following replenish() | the shadow inventory (fixed policy on the same demand) | shadow vs run (a)',
    [
      [
        'fill rate',
        `${pct(k.fillRate)} | ${pct(s.fillRate)} | ${diff(100 * fill(s), 100 * fill(a.kpis), 2)} pt`,
      ],
      [
        'stock-out SKU-days',
        `${k.stockoutSkuDays.toFixed(0)} | ${s.stockoutSkuDays.toFixed(0)} | ${rel(s.stockoutSkuDays, a.kpis.stockoutSkuDays)}`,
      ],
      [
        'mean units on hand',
        `${k.meanOnHandUnits.toFixed(0)} | ${s.meanOnHandUnits.toFixed(0)} | ${rel(s.meanOnHandUnits, a.kpis.meanOnHandUnits)}`,
      ],
      [
        'units lost',
        `${k.unitsLost.toFixed(0)} | ${s.unitsLost.toFixed(0)} | ${rel(s.unitsLost, a.kpis.unitsLost)}`,
      ],
      [
        'units demanded',
        `${k.unitsDemanded.toFixed(0)} | ${s.unitsDemanded.toFixed(0)} | ${rel(s.unitsDemanded, a.kpis.unitsDemanded)}`,
      ],
      [
        'purchase orders placed',
        `${k.purchaseOrdersPlaced} | ${s.purchaseOrdersPlaced} | ${rel(s.purchaseOrdersPlaced, a.kpis.purchaseOrdersPlaced)}`,
      ],
      [
        'following − fixed (one run)',
        `fill ${diff(100 * fill(k), 100 * fill(s), 2)} pt, stock-out SKU-days ${rel(k.stockoutSkuDays, s.stockoutSkuDays)}, on hand ${rel(k.meanOnHandUnits, s.meanOnHandUnits)}`,
      ],
      [
        'following − fixed (two runs)',
        `fill ${diff(100 * fill(k), 100 * fill(a.kpis), 2)} pt, stock-out SKU-days ${rel(k.stockoutSkuDays, a.kpis.stockoutSkuDays)}, on hand ${rel(k.meanOnHandUnits, a.kpis.meanOnHandUnits)}`,
      ],
    ],
  );
}

main();
