import type { ClickstreamEvent, OrderEvent } from '@storepulse/contracts';
import type { OnlineClick, OnlineOrderLine } from './online';

/**
 * The online tier's row of one valid clickstream event (the values the aggregator stores): used by
 * the aggregator for durable chunks and by the scorer for events not stored yet, so both agree.
 */
export function onlineClickOf(e: ClickstreamEvent, tsMs: number): OnlineClick {
  return { userId: e.user_id, type: e.type, sku: e.sku ?? '', category: e.category ?? '', tsMs };
}

/** The online tier's rows of one valid order event: one per line, `lineNo` its index. */
export function onlineOrderLinesOf(
  e: OrderEvent,
  tsMs: number,
  out: OnlineOrderLine[] = [],
): OnlineOrderLine[] {
  for (let i = 0; i < e.items.length; i++) {
    const it = e.items[i];
    out.push({
      userId: e.user_id,
      type: e.type,
      lineNo: i,
      qty: it.qty,
      unitPrice: it.unit_price,
      tsMs,
    });
  }
  return out;
}
