// Daily demand series of the demand benchmark, generated offline (no Kafka, no ClickHouse) by the
// project's storefront simulator and aggregated with the definitions of the ClickHouse series
// reader (issue 12 "Series"): order_placed units per SKU per UTC day, zero-filled; cancellations do
// not reduce demand (an order placed is demand, whatever happens to it later); promo = relative
// price ≤ 0.95. Two definitions of the relative price:
// - 'sales' (the order rollups'): the day's units-weighted mean unit_price of its order lines over
//   the SKU's median daily price, 1 on days without a sale. Used as a FUTURE covariate in a
//   backtest, it leaks the target: a price below 1 (so promo = 1) exists only on days with a sale.
// - 'calendar' (default): 1 − the day's traffic-weighted mean discount of the promotion calendar
//   (the simulator's planned promotions, hour by hour, the largest discount when several overlap).
//   It is known in advance and does not depend on the sales.
import type { DemandSeries } from '@storepulse/ml';
import { Storefront, seasonality } from '@storepulse/simulator';
import { TOPICS } from '@storepulse/contracts';
import { z } from 'zod';
import { progress } from './support';

const DAY_MS = 86_400_000;

const orderSchema = z.object({
  type: z.enum(['order_placed', 'order_cancelled']),
  ts: z.string(),
  items: z.array(
    z.object({
      sku: z.string(),
      qty: z.number().int().min(1),
      unit_price: z.number().min(0),
      category: z.string(),
    }),
  ),
});

export interface SimulatedDemandOptions {
  seed: number;
  skus: number;
  users: number;
  /** Days of series (history + horizons); the last day ends at endMs. */
  days: number;
  eventsPerDay: number;
  /** End of the simulated window (a UTC midnight). */
  endMs: number;
  /** Relative price definition (see the header); default 'calendar'. */
  covariates?: 'calendar' | 'sales';
}

export interface SimulatedDemand {
  series: DemandSeries[];
  events: number;
  orders: number;
  units: number;
  cancelledUnits: number;
  ms: number;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const k = s.length >> 1;
  return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2;
}

/** Runs the storefront for `days` and aggregates its orders into one series per catalogue SKU. */
export function simulatedDemand(o: SimulatedDemandOptions): SimulatedDemand {
  if (o.endMs % DAY_MS !== 0) throw new RangeError('simulatedDemand: endMs must be a UTC midnight');
  const startMs = o.endMs - o.days * DAY_MS;
  const startDay = startMs / DAY_MS;
  const sf = new Storefront({
    seed: o.seed,
    users: o.users,
    skus: o.skus,
    invalidRate: 0,
    startMs,
    eventsPerSec: o.eventsPerDay / 86_400,
  });
  const index = new Map<string, number>();
  sf.catalogue.forEach((it, i) => index.set(it.sku, i));
  const n = sf.catalogue.length;
  const units = Array.from({ length: n }, () => new Float64Array(o.days));
  const revenue = Array.from({ length: n }, () => new Float64Array(o.days));
  const category: string[] = new Array<string>(n).fill('');
  let events = 0;
  let orders = 0;
  let total = 0;
  let cancelled = 0;
  let lastLog = 0;
  const t0 = Date.now();
  for (const chunk of sf.history(o.endMs, o.eventsPerDay, 50_000)) {
    events += chunk.length;
    for (const m of chunk) {
      if (m.topic !== TOPICS.orders) continue;
      const parsed = orderSchema.safeParse(JSON.parse(m.value.toString('utf8')));
      if (!parsed.success)
        throw new Error(`simulatedDemand: unexpected order message: ${m.value.toString('utf8')}`);
      const ord = parsed.data;
      const day = Math.floor(Date.parse(ord.ts) / DAY_MS) - startDay;
      if (day < 0 || day >= o.days) continue;
      for (const it of ord.items) {
        const i = index.get(it.sku);
        if (i === undefined) throw new Error(`simulatedDemand: order for unknown SKU ${it.sku}`);
        if (ord.type === 'order_cancelled') {
          cancelled += it.qty;
          continue;
        }
        units[i][day] += it.qty;
        revenue[i][day] += it.qty * it.unit_price;
        category[i] = it.category;
        total += it.qty;
      }
      if (ord.type === 'order_placed') orders++;
    }
    if (Date.now() - lastLog > 10_000) {
      lastLog = Date.now();
      progress(
        `simulated ${new Date(sf.now).toISOString().slice(0, 10)}: ${events} events, ${orders} orders, ${((Date.now() - t0) / 1000).toFixed(0)} s`,
      );
    }
  }
  const calendar = o.covariates === 'sales' ? null : calendarPrices(sf, index, startMs, o.days);
  const series: DemandSeries[] = sf.catalogue.map((it, i) => {
    const daily: number[] = [];
    for (let d = 0; d < o.days; d++) if (units[i][d] > 0) daily.push(revenue[i][d] / units[i][d]);
    const usual = daily.length > 0 ? median(daily) : 1;
    const price = calendar ? calendar[i] : new Float64Array(o.days).fill(1);
    const promo = new Float64Array(o.days);
    for (let d = 0; d < o.days; d++) {
      if (!calendar && units[i][d] > 0 && usual > 0) price[d] = revenue[i][d] / units[i][d] / usual;
      promo[d] = price[d] <= 0.95 ? 1 : 0;
    }
    return {
      id: it.sku,
      // a SKU that never sold has no category in the orders: take the catalogue's
      category: category[i] !== '' ? category[i] : it.category,
      y: units[i],
      startDay,
      price,
      promo,
    };
  });
  return { series, events, orders, units: total, cancelledUnits: cancelled, ms: Date.now() - t0 };
}

/** Per SKU and day: 1 − the traffic-weighted mean over the day's hours of the largest discount. */
function calendarPrices(
  sf: Storefront,
  index: Map<string, number>,
  startMs: number,
  days: number,
): Float64Array[] {
  const HOUR_MS = 3_600_000;
  const hours = days * 24;
  const n = index.size;
  const disc = Array.from({ length: n }, () => new Float32Array(hours));
  for (const p of sf.promotions) {
    const h0 = Math.max(0, Math.floor((p.startMs - startMs) / HOUR_MS));
    const h1 = Math.min(hours, Math.ceil((p.endMs - startMs) / HOUR_MS));
    for (const sku of p.skus) {
      const i = index.get(sku);
      if (i === undefined)
        throw new Error(`calendarPrices: promotion ${p.id} of unknown SKU ${sku}`);
      for (let h = h0; h < h1; h++) {
        // the share of the hour the promotion covers
        const a = Math.max(p.startMs, startMs + h * HOUR_MS);
        const b = Math.min(p.endMs, startMs + (h + 1) * HOUR_MS);
        const d = (p.discount * Math.max(0, b - a)) / HOUR_MS;
        if (d > disc[i][h]) disc[i][h] = d;
      }
    }
  }
  const weight = Float64Array.from({ length: hours }, (_, h) =>
    seasonality(startMs + (h + 0.5) * HOUR_MS),
  );
  return disc.map((dh) => {
    const price = new Float64Array(days);
    for (let d = 0; d < days; d++) {
      let wd = 0;
      let w = 0;
      for (let h = d * 24; h < (d + 1) * 24; h++) {
        wd += weight[h] * dh[h];
        w += weight[h];
      }
      price[d] = 1 - wd / w;
    }
    return price;
  });
}
