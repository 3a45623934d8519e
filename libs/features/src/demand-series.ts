// Daily demand series per SKU for forecasting (docs/models.md "Demand"), read from the order
// rollups. The interface is the seam between ClickHouse and the demand trainer / forecast publisher.
//
// Definitions (apps/trainer/src/demand/README.md "Series"):
// - demand of a day = Σ fr_sku_order_1h.units (order_placed units) over the hourly buckets whose
//   start falls on that day in the shop time zone (toDate(bucket, tz)); a zone with a non-whole-hour
//   offset (e.g. Asia/Kolkata, +5:30) is rounded to the hour: a bucket belongs to the day of its
//   start. Cancellations are NOT subtracted (a cancellation is demand that was expressed; returned
//   stock shows in inventory.stock.v1's on_hand, which replenishment uses). Days without orders are 0.
// - category = the latest non-empty category seen for the SKU in order_lines or clickstream_events
//   (the SKU's identity has no rollup; the catalog can move a SKU, the latest placement wins).
// - price[d] = the SKU's last price of day d (fr_sku_click_1h.last_price), carried forward over days
//   without one (from before the window too), divided by the median of those daily prices over the
//   window; 1 when the SKU has no price at all. promo[d] = 1 when price[d] ≤ 0.95 (the contracts carry
//   prices but no promotion flag, so it is derived). Future days: the last relative price carried
//   forward with promo 0.
import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '@storepulse/clickhouse';
import type { DemandSeries } from '@storepulse/ml';

export interface DemandSeriesQuery {
  /** Days since 1970-01-01 in the shop time zone: the first day NOT included (usually today). */
  toDay: number;
  /** How many days to read, ending the day before toDay. */
  days: number;
  /** IANA zone whose midnight is the day boundary. */
  timeZone: string;
  /** Future days of price/promo covariates to append (the forecast horizon); default 0. */
  futureDays?: number;
  /** Only these SKUs (default: every SKU with a sale or a view in the window). */
  skus?: readonly string[];
}

export interface DemandSeriesSet {
  series: DemandSeries[];
  /** Per SKU: days (since epoch, shop zone) of its first sale ever, for the cold-start rule. */
  firstSaleDay: Map<string, number>;
  /** The last complete hour of data used (epoch ms), i.e. the actuals' watermark. */
  watermarkMs: number | null;
}

export interface DemandSeriesSource {
  read(q: DemandSeriesQuery): Promise<DemandSeriesSet>;
  /** Days (shop zone) with at least one stored sale: the first and the last, null when none. */
  bounds(timeZone: string): Promise<{ firstDay: number; lastDay: number } | null>;
}

/** A relative price at or below this is a promotion day. */
export const PROMO_PRICE_RATIO = 0.95;
const DAY_MS = 86_400_000;

export class DemandSeriesQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DemandSeriesQueryError';
  }
}

/** Throws DemandSeriesQueryError unless `tz` is an IANA zone this runtime knows. */
export function checkTimeZone(tz: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw new DemandSeriesQueryError(`timeZone: '${tz}' is not an IANA time zone`);
  }
  return tz;
}

/** Days since 1970-01-01 of the calendar date of instant `ms` in zone `tz`. */
export function dayInZone(ms: number, tz: string): number {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: checkTimeZone(tz),
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(new Date(ms));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  return Math.round(Date.UTC(get('year'), get('month') - 1, get('day')) / DAY_MS);
}

/** YYYY-MM-DD of a day count since 1970-01-01. */
export function dayToIso(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  const k = v.length >> 1;
  return v.length % 2 ? v[k] : (v[k - 1] + v[k]) / 2;
}

function checkQuery(q: DemandSeriesQuery): void {
  checkTimeZone(q.timeZone);
  if (!Number.isInteger(q.toDay))
    throw new DemandSeriesQueryError(`toDay: must be an integer day count, got ${q.toDay}`);
  if (!Number.isInteger(q.days) || q.days < 1)
    throw new DemandSeriesQueryError(`days: must be an integer ≥ 1, got ${q.days}`);
  const f = q.futureDays ?? 0;
  if (!Number.isInteger(f) || f < 0)
    throw new DemandSeriesQueryError(`futureDays: must be an integer ≥ 0, got ${f}`);
}

/** Reads DemandSeries from fr_sku_order_1h (units) and fr_sku_click_1h (prices); see the header. */
export class ClickHouseDemandSeries implements DemandSeriesSource {
  constructor(private readonly client: ClickHouseClient) {}

  async read(q: DemandSeriesQuery): Promise<DemandSeriesSet> {
    checkQuery(q);
    const tz = q.timeZone;
    const fromDay = q.toDay - q.days;
    const future = q.futureDays ?? 0;
    // buckets whose local date is in [fromDay, toDay): prefilter on UTC ±1 day, then exactly
    const params = {
      tz,
      fromDay,
      toDay: q.toDay,
      lo: (fromDay - 1) * DAY_MS,
      hi: (q.toDay + 1) * DAY_MS,
      skus: q.skus ? [...q.skus] : [],
      all: q.skus ? 0 : 1,
    };
    const skuFilter = '({all:UInt8} = 1 OR sku IN {skus:Array(String)})';
    const window = `bucket >= fromUnixTimestamp64Milli({lo:Int64}, 'UTC') AND bucket < fromUnixTimestamp64Milli({hi:Int64}, 'UTC')`;
    const localDay = `toInt32(toUInt16(toDate(bucket, {tz:String})))`;
    const [units, prices, carried, identity, first] = await Promise.all([
      queryRows<{ sku: string; d: number; u: string; b: string }>(
        this.client,
        `SELECT sku, ${localDay} AS d, toString(sum(units)) AS u,
                toString(toUnixTimestamp(max(bucket))) AS b
           FROM fr_sku_order_1h WHERE ${window} AND ${skuFilter}
          GROUP BY sku, d HAVING d >= {fromDay:Int32} AND d < {toDay:Int32}`,
        params,
      ),
      queryRows<{ sku: string; d: number; p: string; v: string; b: string; np: number | string }>(
        this.client,
        `SELECT sku, ${localDay} AS d, toString(argMaxMerge(last_price)) AS p,
                toString(sum(n_views)) AS v, toString(toUnixTimestamp(max(bucket))) AS b,
                sum(n_priced) AS np
           FROM fr_sku_click_1h WHERE ${window} AND ${skuFilter}
          GROUP BY sku, d HAVING d >= {fromDay:Int32} AND d < {toDay:Int32}`,
        params,
      ),
      // the last price before the window, to carry into its first days
      queryRows<{ sku: string; p: string }>(
        this.client,
        `SELECT sku, toString(argMaxMerge(last_price)) AS p, sum(n_priced) AS np
           FROM fr_sku_click_1h
          WHERE bucket < fromUnixTimestamp64Milli({hi:Int64}, 'UTC') AND ${skuFilter}
            AND ${localDay} < {fromDay:Int32}
          GROUP BY sku HAVING np > 0`,
        params,
      ),
      queryRows<{ sku: string; category: string }>(
        this.client,
        `SELECT sku, argMax(category, ts) AS category FROM (
           SELECT sku, toString(category) AS category, ts FROM order_lines
            WHERE category != '' AND ${skuFilter}
           UNION ALL
           SELECT sku, toString(category), ts FROM clickstream_events
            WHERE sku != '' AND category != '' AND ${skuFilter})
         GROUP BY sku`,
        params,
      ),
      queryRows<{ sku: string; d: number }>(
        this.client,
        `SELECT sku, toInt32(toUInt16(toDate(min(bucket), {tz:String}))) AS d
           FROM fr_sku_order_1h WHERE units > 0 AND ${skuFilter} GROUP BY sku`,
        params,
      ),
    ]);

    const n = q.days;
    const perSku = new Map<string, { y: Float64Array; price: (number | null)[] }>();
    const entry = (sku: string) => {
      let e = perSku.get(sku);
      if (!e) {
        e = { y: new Float64Array(n), price: new Array<number | null>(n).fill(null) };
        perSku.set(sku, e);
      }
      return e;
    };
    let lastBucket = -Infinity;
    for (const r of units) {
      const u = Number(r.u);
      if (u > 0 || q.skus) entry(r.sku).y[Number(r.d) - fromDay] += u;
      if (u > 0) lastBucket = Math.max(lastBucket, Number(r.b) * 1000);
    }
    for (const r of prices) {
      const priced = Number(r.np) > 0;
      if (!priced && Number(r.v) === 0 && !perSku.has(r.sku) && !q.skus) continue;
      const e = entry(r.sku);
      if (priced) e.price[Number(r.d) - fromDay] = Number(r.p);
      lastBucket = Math.max(lastBucket, Number(r.b) * 1000);
    }
    if (q.skus) for (const s of q.skus) entry(s);
    const before = new Map(carried.map((r) => [r.sku, Number(r.p)]));
    const categories = new Map(identity.map((r) => [r.sku, r.category]));

    const series: DemandSeries[] = [];
    for (const sku of [...perSku.keys()].sort()) {
      const e = perSku.get(sku)!;
      const abs = new Array<number | null>(n);
      let last = before.get(sku) ?? null;
      for (let i = 0; i < n; i++) {
        const p = e.price[i];
        if (p !== null && p > 0) last = p;
        abs[i] = last;
      }
      const known = abs.filter((p): p is number => p !== null);
      const med = known.length > 0 ? median(known) : 0;
      const price = new Float64Array(n + future);
      const promo = new Float64Array(n + future);
      for (let i = 0; i < n; i++) {
        const p = abs[i];
        price[i] = p !== null && med > 0 ? p / med : 1;
        promo[i] = price[i] <= PROMO_PRICE_RATIO ? 1 : 0;
      }
      const lastRel = n > 0 ? price[n - 1] : 1;
      for (let i = n; i < n + future; i++) price[i] = lastRel;
      series.push({
        id: sku,
        category: categories.get(sku) ?? '',
        y: e.y,
        startDay: fromDay,
        price,
        promo,
      });
    }
    return {
      series,
      firstSaleDay: new Map(first.map((r) => [r.sku, Number(r.d)])),
      // every hour before the latest bucket read is complete; that bucket may still be filling
      watermarkMs: Number.isFinite(lastBucket) ? lastBucket : null,
    };
  }

  async bounds(timeZone: string): Promise<{ firstDay: number; lastDay: number } | null> {
    checkTimeZone(timeZone);
    const rows = await queryRows<{ lo: number; hi: number; n: string }>(
      this.client,
      `SELECT toInt32(toUInt16(toDate(min(bucket), {tz:String}))) AS lo,
              toInt32(toUInt16(toDate(max(bucket), {tz:String}))) AS hi,
              toString(count()) AS n
         FROM fr_sku_order_1h WHERE units > 0`,
      { tz: timeZone },
    );
    const r = rows[0];
    if (!r || Number(r.n) === 0) return null;
    return { firstDay: Number(r.lo), lastDay: Number(r.hi) };
  }
}
