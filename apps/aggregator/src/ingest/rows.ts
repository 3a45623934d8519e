import type { KafkaMessage } from 'kafkajs';
import {
  TOPICS,
  decodeStorefront,
  toChDateTime64,
  isoToMs,
  type StorefrontMessage,
} from '@storepulse/contracts';
import type { DeadLetter } from '@storepulse/kafka';

export interface ClickstreamRow {
  event_id: string;
  type: string;
  user_id: string;
  session_id: string;
  ts: string;
  sku: string;
  price: number | null;
  category: string;
  query: string;
  _topic: string;
  _partition: number;
  _offset: number;
}
export interface OrderLineRow {
  event_id: string;
  type: string;
  order_id: string;
  user_id: string;
  ts: string;
  currency: string;
  line_no: number;
  sku: string;
  category: string;
  qty: number;
  unit_price: number;
  _topic: string;
  _partition: number;
  _offset: number;
}
export interface InventoryRow {
  sku: string;
  on_hand: number;
  on_order: number;
  lead_time_days: number;
  ts: string;
  _topic: string;
  _partition: number;
  _offset: number;
}

export const RAW_TABLE_BY_TOPIC = {
  [TOPICS.clickstream]: 'clickstream_events',
  [TOPICS.orders]: 'order_lines',
  [TOPICS.inventory]: 'inventory_snapshots',
} as const;

export interface PreparedChunk {
  table: string;
  rows: (ClickstreamRow | OrderLineRow | InventoryRow)[];
  /** Event-time of each valid event (ms), for end-to-end latency. */
  eventTimesMs: number[];
  deadLetters: DeadLetter[];
}

/** Event-time policy: how late or how far in the future an event may be, relative to `now`. */
export interface EventTimePolicy {
  allowedLatenessMs: number;
  maxFutureMs: number;
}

export interface PrepareContext {
  topic: string;
  partition: number;
  consumerGroup: string;
  /**
   * Reference time of the chunk. The ingest service persists it with the pending chunk so a replay
   * classifies every message exactly as the first attempt did (deterministic rows under one token).
   */
  now: Date;
  /** When set, events outside [now − allowedLateness, now + maxFuture] are dead-lettered. */
  eventTime?: EventTimePolicy;
}

function fmtMs(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms}ms`;
}

/** Why an event time violates the policy, or undefined when it is acceptable. */
export function eventTimeViolation(
  eventMs: number,
  now: Date,
  policy: EventTimePolicy,
): string | undefined {
  const n = now.getTime();
  if (eventMs < n - policy.allowedLatenessMs)
    return `ts: event time ${new Date(eventMs).toISOString()} is older than the allowed lateness of ${fmtMs(policy.allowedLatenessMs)} (reference time ${now.toISOString()})`;
  if (eventMs > n + policy.maxFutureMs)
    return `ts: event time ${new Date(eventMs).toISOString()} is more than ${fmtMs(policy.maxFutureMs)} in the future (reference time ${now.toISOString()})`;
  return undefined;
}

function toRows(
  m: StorefrontMessage,
  topic: string,
  partition: number,
  offset: number,
): PreparedChunk['rows'] {
  const src = { _topic: topic, _partition: partition, _offset: offset };
  switch (m.topic) {
    case TOPICS.clickstream: {
      const e = m.event;
      return [
        {
          event_id: e.event_id,
          type: e.type,
          user_id: e.user_id,
          session_id: e.session_id,
          ts: toChDateTime64(isoToMs(e.ts)),
          sku: e.sku ?? '',
          price: e.price ?? null,
          category: e.category ?? '',
          query: e.query ?? '',
          ...src,
        },
      ];
    }
    case TOPICS.orders: {
      const e = m.event;
      const ts = toChDateTime64(isoToMs(e.ts));
      return e.items.map((it, i) => ({
        event_id: e.event_id,
        type: e.type,
        order_id: e.order_id,
        user_id: e.user_id,
        ts,
        currency: e.currency,
        line_no: i,
        sku: it.sku,
        category: it.category ?? '',
        qty: it.qty,
        unit_price: it.unit_price,
        ...src,
      }));
    }
    case TOPICS.inventory: {
      const e = m.event;
      return [
        {
          sku: e.sku,
          on_hand: e.on_hand,
          on_order: e.on_order,
          lead_time_days: e.lead_time_days,
          ts: toChDateTime64(isoToMs(e.ts)),
          ...src,
        },
      ];
    }
  }
}

/** Validates one chunk of messages of one topic-partition into table rows and dead letters. Pure. */
export function prepareChunk(
  messages: readonly KafkaMessage[],
  ctx: PrepareContext,
): PreparedChunk {
  const table = RAW_TABLE_BY_TOPIC[ctx.topic as keyof typeof RAW_TABLE_BY_TOPIC];
  const out: PreparedChunk = { table: table ?? '', rows: [], eventTimesMs: [], deadLetters: [] };
  const deadLetter = (msg: KafkaMessage, reason: string, fields: string[]) =>
    out.deadLetters.push({
      sourceTopic: ctx.topic,
      sourcePartition: ctx.partition,
      sourceOffset: msg.offset,
      key: msg.key,
      value: msg.value,
      reason,
      fields,
      failedAt: ctx.now,
      consumerGroup: ctx.consumerGroup,
    });
  for (const msg of messages) {
    const decoded = decodeStorefront(ctx.topic, msg.value);
    const violation =
      decoded.ok && ctx.eventTime
        ? eventTimeViolation(isoToMs(decoded.value.event.ts), ctx.now, ctx.eventTime)
        : undefined;
    if (violation !== undefined) {
      deadLetter(msg, violation, ['ts']);
    } else if (decoded.ok) {
      const offset = Number(msg.offset);
      for (const row of toRows(decoded.value, ctx.topic, ctx.partition, offset)) out.rows.push(row);
      out.eventTimesMs.push(isoToMs(decoded.value.event.ts));
    } else {
      deadLetter(
        msg,
        decoded.reason,
        decoded.errors.map((e) => e.field),
      );
    }
  }
  return out;
}
