// ClickHouse reads that propensity training sets and live-AUC labelling need besides features: data bounds, when each user
// was first seen, and placed-order times (exact event times, for the label edges).
import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '@storepulse/clickhouse';

export interface PropensityHistory {
  /** Earliest and latest event time stored (clicks and orders); null on an empty store. */
  bounds(): Promise<{ startMs: number; watermarkMs: number } | null>;
  /** Every user with an event (click or order) before `beforeMs`, with the first event time. */
  firstSeen(beforeMs: number): Promise<Map<string, number>>;
  /** Times of `order_placed` events with event time in [fromMs, toMs), ascending, per user. */
  orderTimes(fromMs: number, toMs: number): Promise<Map<string, number[]>>;
}

export class ClickHousePropensityHistory implements PropensityHistory {
  constructor(private readonly client: ClickHouseClient) {}

  async bounds(): Promise<{ startMs: number; watermarkMs: number } | null> {
    const rows = await queryRows<{ lo: string; hi: string; n: string }>(
      this.client,
      `SELECT toString(min(l)) AS lo, toString(max(h)) AS hi, toString(sum(c)) AS n FROM (
         SELECT toUnixTimestamp64Milli(min(ts)) AS l, toUnixTimestamp64Milli(max(ts)) AS h, count() AS c FROM clickstream_events
         UNION ALL
         SELECT toUnixTimestamp64Milli(min(ts)), toUnixTimestamp64Milli(max(ts)), count() FROM order_lines)
       WHERE c > 0`,
    );
    const r = rows[0];
    if (!r || Number(r.n) === 0) return null;
    return { startMs: Number(r.lo), watermarkMs: Number(r.hi) };
  }

  async firstSeen(beforeMs: number): Promise<Map<string, number>> {
    const rows = await queryRows<{ u: string; t: string }>(
      this.client,
      `SELECT u, toString(min(t)) AS t FROM (
         SELECT user_id AS u, toUnixTimestamp64Milli(min(ts)) AS t FROM clickstream_events
          WHERE ts < fromUnixTimestamp64Milli({before:Int64}, 'UTC') GROUP BY user_id
         UNION ALL
         SELECT user_id, toUnixTimestamp64Milli(min(ts)) FROM order_lines
          WHERE ts < fromUnixTimestamp64Milli({before:Int64}, 'UTC') GROUP BY user_id)
       GROUP BY u`,
      { before: Math.floor(beforeMs) },
    );
    return new Map(rows.map((r) => [r.u, Number(r.t)]));
  }

  async orderTimes(fromMs: number, toMs: number): Promise<Map<string, number[]>> {
    const rows = await queryRows<{ u: string; ts: string[] }>(
      this.client,
      `SELECT u, arrayMap(x -> toString(x), arraySort(groupArray(t))) AS ts FROM (
         SELECT user_id AS u, order_id, toUnixTimestamp64Milli(min(ts)) AS t FROM order_lines
          WHERE type = 'order_placed'
            AND ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')
            AND ts < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
          GROUP BY user_id, order_id)
       GROUP BY u`,
      { from: Math.floor(fromMs), to: Math.floor(toMs) },
    );
    return new Map(rows.map((r) => [r.u, r.ts.map(Number)]));
  }
}
