import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from './client';

/** [low, high) offsets of one topic-partition. */
export interface OffsetRange {
  topic: string;
  partition: number;
  low: string;
  high: string;
}

/** Raw table of each storefront topic (fixed set: table names never come from input). */
const RAW_TABLE: Record<string, string> = {
  'storefront.clickstream.v1': 'clickstream_events',
  'storefront.orders.v1': 'order_lines',
  'inventory.stock.v1': 'inventory_snapshots',
};

/**
 * Messages in the ranges that have rows in their raw table (an order counts once, whatever its
 * lines) and that are in `dead_letters`: what the aggregator made of them.
 */
export async function countStoredInRanges(
  client: ClickHouseClient,
  ranges: readonly OffsetRange[],
): Promise<{ stored: number; deadLettered: number }> {
  let stored = 0;
  let deadLettered = 0;
  for (const r of ranges) {
    const table = RAW_TABLE[r.topic];
    const params = { topic: r.topic, partition: r.partition, low: r.low, high: r.high };
    if (table) {
      const [s] = await queryRows<{ n: string }>(
        client,
        `SELECT toString(uniqExact(_offset)) AS n FROM ${table}
         WHERE _topic = {topic:String} AND _partition = {partition:UInt32}
           AND _offset >= {low:UInt64} AND _offset < {high:UInt64}`,
        params,
      );
      stored += Number(s.n);
    }
    const [d] = await queryRows<{ n: string }>(
      client,
      `SELECT toString(uniqExact(source_offset)) AS n FROM dead_letters
       WHERE source_topic = {topic:String} AND source_partition = {partition:UInt32}
         AND source_offset >= {low:UInt64} AND source_offset < {high:UInt64}
         AND dlq_offset = -1`, // the aggregator's letters (not other consumers' archived ones)
      params,
    );
    deadLettered += Number(d.n);
  }
  return { stored, deadLettered };
}
