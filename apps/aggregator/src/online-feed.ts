import type { Provider } from '@nestjs/common';
import { ONLINE_FEATURES, type OnlineFeatureStore, type StoredRows } from '@storepulse/features';
import { AggregatorService } from './aggregator.service';
import type { DurableChunk } from './ingest/ingest.service';
import type { ClickstreamRow, OrderLineRow, PreparedChunk } from './ingest/rows';

/** ClickHouse DateTime64(3) text as written by the aggregator ('2026-11-28 10:15:00.123', UTC) → ms. */
export function chTimeToMs(ts: string): number {
  return Date.parse(`${ts.replace(' ', 'T')}Z`);
}

type Row = PreparedChunk['rows'][number];
const isClick = (r: Row): r is ClickstreamRow => 'session_id' in r;
const isOrderLine = (r: Row): r is OrderLineRow => 'line_no' in r;

/** A durable chunk as the online feature tier reads it (user rows only; inventory is not needed). */
export function storedRowsOf(c: DurableChunk): StoredRows | undefined {
  const base = {
    topic: c.topic,
    partition: c.partition,
    firstOffset: Number(c.firstOffset),
    lastOffset: Number(c.lastOffset),
  };
  // collected while the chunk was prepared: no parsing of the JSON lines back into rows
  if (c.userRows && c.table === 'clickstream_events') return { ...base, clicks: c.userRows.clicks };
  if (c.userRows && c.table === 'order_lines')
    return { ...base, orderLines: c.userRows.orderLines };
  if (c.table === 'clickstream_events')
    return {
      ...base,
      clicks: c.rows.filter(isClick).map((r) => ({
        userId: r.user_id,
        type: r.type,
        sku: r.sku,
        category: r.category,
        tsMs: chTimeToMs(r.ts),
      })),
    };
  if (c.table === 'order_lines')
    return {
      ...base,
      orderLines: c.rows.filter(isOrderLine).map((r) => ({
        userId: r.user_id,
        type: r.type,
        lineNo: r.line_no,
        qty: r.qty,
        unitPrice: r.unit_price,
        tsMs: chTimeToMs(r.ts),
      })),
    };
  return undefined;
}

/** Feeds every durable chunk of the aggregator to the online tier. */
export function connectOnlineFeed(aggregator: AggregatorService, online: OnlineFeatureStore): void {
  aggregator.ingest.onDurable((c) => {
    const rows = storedRowsOf(c);
    if (rows) online.onStored(rows);
  });
}

/**
 * For a process that runs both the aggregator and FeaturesModule (the all-in-one, the standalone
 * aggregator): connects them when the online tier is on.
 */
export const ONLINE_FEED_PROVIDER: Provider = {
  provide: 'ONLINE_FEED',
  useFactory: (aggregator: AggregatorService, online: OnlineFeatureStore | null) => {
    if (online) connectOnlineFeed(aggregator, online);
    return online !== null;
  },
  inject: [AggregatorService, ONLINE_FEATURES],
};
