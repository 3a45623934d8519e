import type { KafkaMessage } from 'kafkajs';
import {
  TOPICS,
  checkStorefront,
  toChDateTime64,
  isoToMs,
  REPLAY_HEADER,
  type StorefrontMessage,
} from '@storepulse/contracts';
import { JsonLinesWriter, serializedLines, type SerializedRows } from '@storepulse/clickhouse';
import type { DeadLetter } from '@storepulse/kafka';
import {
  onlineClickOf,
  onlineOrderLinesOf,
  type OnlineClick,
  type OnlineOrderLine,
} from '@storepulse/features';

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
  /** Number of rows (without materialising `rows`); `rows.length` when absent. */
  rowCount?: number;
  /**
   * The rows as JSONEachRow bytes (see SerializedRows), when they were built that way; they then
   * describe exactly `rows`. Whoever derives a chunk with other rows must drop this (and rowCount).
   */
  serialized?: SerializedRows;
  /**
   * The user fields of the valid clickstream events / order lines (what the online feature tier
   * reads), collected while preparing when `PrepareContext.collectUserRows` is set, so that feeding
   * the tier does not parse the rows back from their JSON lines.
   */
  userRows?: { clicks: OnlineClick[]; orderLines: OnlineOrderLine[] };
  /**
   * The valid events with an event_id (clickstream, orders), in row order, when collected
   * (`PrepareContext.collectEvents`): what event_id deduplication looks up and drops.
   */
  events?: ChunkEvent[];
}

/**
 * One valid event of a chunk: its id, event time, offset and how many rows (order lines) it has. A
 * stock position has no event_id: its identity is (sku, ts) — `id` is `inv:<sku>:<ts ms>`, `sku` set.
 */
export interface ChunkEvent {
  id: string;
  tsMs: number;
  offset: string;
  rows: number;
  sku?: string;
}

/** Whether a message carries the replay header with value `1`. */
export function isReplay(msg: KafkaMessage): boolean {
  const h = msg.headers?.[REPLAY_HEADER];
  const v = Array.isArray(h) ? h[0] : h;
  return v !== undefined && v.toString() === '1';
}

/** Event-time policy: how late or how far in the future an event may be, relative to `now`. */
export interface EventTimePolicy {
  allowedLatenessMs: number;
  maxFutureMs: number;
  /**
   * For messages with the replay header (history import): how old an event may be instead of the
   * allowed lateness (IMPORT_MAX_AGE_DAYS); undefined = replayed messages get the normal lateness.
   */
  replayMaxAgeMs?: number;
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
  /** Also collect `PreparedChunk.userRows` (someone feeds the online feature tier). */
  collectUserRows?: boolean;
  /** Also collect `PreparedChunk.events` (event_id deduplication is on). */
  collectEvents?: boolean;
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
  replay = false,
): string | undefined {
  const n = now.getTime();
  if (replay && policy.replayMaxAgeMs !== undefined) {
    const maxAge = Math.max(policy.replayMaxAgeMs, policy.allowedLatenessMs);
    if (eventMs < n - maxAge)
      return `ts: event time ${new Date(eventMs).toISOString()} of a replayed message is older than IMPORT_MAX_AGE_DAYS (${fmtMs(maxAge)}, reference time ${now.toISOString()})`;
  } else if (eventMs < n - policy.allowedLatenessMs)
    return `ts: event time ${new Date(eventMs).toISOString()} is older than the allowed lateness of ${fmtMs(policy.allowedLatenessMs)} (reference time ${now.toISOString()})`;
  if (eventMs > n + policy.maxFutureMs)
    return `ts: event time ${new Date(eventMs).toISOString()} is more than ${fmtMs(policy.maxFutureMs)} in the future (reference time ${now.toISOString()})`;
  return undefined;
}

const ROW_KEYS = {
  clickstream: [
    'event_id',
    'type',
    'user_id',
    'session_id',
    'ts',
    'sku',
    'price',
    'category',
    'query',
    '_topic',
    '_partition',
    '_offset',
  ],
  orders: [
    'event_id',
    'type',
    'order_id',
    'user_id',
    'ts',
    'currency',
    'line_no',
    'sku',
    'category',
    'qty',
    'unit_price',
    '_topic',
    '_partition',
    '_offset',
  ],
  inventory: [
    'sku',
    'on_hand',
    'on_order',
    'lead_time_days',
    'ts',
    '_topic',
    '_partition',
    '_offset',
  ],
} as const;

/** The key part of `estimateRowBytes` for a row with these keys: 2 + Σ (key length + 4). */
const keyBytes = (keys: readonly string[]) => keys.reduce((s, k) => s + k.length + 4, 2);
const KEY_BYTES = {
  clickstream: keyBytes(ROW_KEYS.clickstream),
  orders: keyBytes(ROW_KEYS.orders),
  inventory: keyBytes(ROW_KEYS.inventory),
};
// Value parts of estimateRowBytes (libs/clickhouse insert.ts), term by term.
const numBytes = (v: number) => (v < 1e6 && v > -1e5 ? 6 : 14);
/** Characters JSON.stringify escapes (quote, backslash, controls) and surrogates (lone ones are escaped). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
/** JSON string literal, exactly as JSON.stringify writes it. */
const q = (s: string) => (NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`);

/**
 * ClickHouse DateTime64(3) text of a validated ISO timestamp. The canonical UTC form
 * `YYYY-MM-DDThh:mm:ss.sssZ` (what producers send) is already normalised — the schema's pattern
 * admits only real dates and times — so it is sliced; any other form goes through Date.
 */
function chTs(ts: string, ms: number): string {
  if (ts.length === 24 && ts.charCodeAt(23) === 90 /* Z */ && ts.charCodeAt(19) === 46 /* . */)
    return `${ts.slice(0, 10)} ${ts.slice(11, 23)}`;
  return toChDateTime64(ms);
}

/**
 * Writes the rows of one valid message as JSONEachRow lines (each equal to JSON.stringify of the row
 * object the previous implementation built, see rows.spec.ts) with their estimateRowBytes sizes.
 * No row objects: nothing per message outlives the message (cheap garbage collection).
 */
function appendRows(
  m: StorefrontMessage,
  ts: string,
  tail: string,
  srcBytes: number,
  w: JsonLinesWriter,
): void {
  switch (m.topic) {
    case TOPICS.clickstream: {
      const e = m.event;
      const sku = e.sku ?? '';
      const price = e.price ?? null;
      const category = e.category ?? '';
      const query = e.query ?? '';
      w.push(
        `{"event_id":${q(e.event_id)},"type":${q(e.type)},"user_id":${q(e.user_id)},"session_id":${q(e.session_id)},"ts":"${ts}","sku":${q(sku)},"price":${price === null ? 'null' : price},"category":${q(category)},"query":${q(query)},${tail}`,
        KEY_BYTES.clickstream +
          e.event_id.length +
          e.type.length +
          e.user_id.length +
          e.session_id.length +
          ts.length +
          sku.length +
          (price === null ? 4 : numBytes(price)) +
          category.length +
          query.length +
          16 +
          srcBytes,
      );
      return;
    }
    case TOPICS.orders: {
      const e = m.event;
      const head = `{"event_id":${q(e.event_id)},"type":${q(e.type)},"order_id":${q(e.order_id)},"user_id":${q(e.user_id)},"ts":"${ts}","currency":${q(e.currency)},"line_no":`;
      const headBytes =
        KEY_BYTES.orders +
        e.event_id.length +
        e.type.length +
        e.order_id.length +
        e.user_id.length +
        ts.length +
        e.currency.length +
        12 +
        srcBytes;
      for (let i = 0; i < e.items.length; i++) {
        const it = e.items[i];
        const category = it.category ?? '';
        w.push(
          `${head}${i},"sku":${q(it.sku)},"category":${q(category)},"qty":${it.qty},"unit_price":${it.unit_price},${tail}`,
          headBytes +
            numBytes(i) +
            it.sku.length +
            category.length +
            4 +
            numBytes(it.qty) +
            numBytes(it.unit_price),
        );
      }
      return;
    }
    case TOPICS.inventory: {
      const e = m.event;
      w.push(
        `{"sku":${q(e.sku)},"on_hand":${e.on_hand},"on_order":${e.on_order},"lead_time_days":${e.lead_time_days},"ts":"${ts}",${tail}`,
        KEY_BYTES.inventory +
          e.sku.length +
          numBytes(e.on_hand) +
          numBytes(e.on_order) +
          numBytes(e.lead_time_days) +
          ts.length +
          4 +
          srcBytes,
      );
      return;
    }
  }
}

type Row = PreparedChunk['rows'][number];

/** The online tier's fields of one valid message (the same values its stored rows hold). */
function collectUserRows(
  m: StorefrontMessage,
  tsMs: number,
  out: NonNullable<PreparedChunk['userRows']>,
): void {
  if (m.topic === TOPICS.clickstream) out.clicks.push(onlineClickOf(m.event, tsMs));
  else if (m.topic === TOPICS.orders) onlineOrderLinesOf(m.event, tsMs, out.orderLines);
}

/**
 * Builds one chunk incrementally: `add` slices of the chunk's messages in order, then `finish`.
 * The result is the same whatever the slicing (prepareChunk is `add(all)` + `finish`); slicing lets
 * a caller yield to the event loop between slices.
 */
export class ChunkBuilder {
  private readonly w: JsonLinesWriter;
  private readonly eventTimesMs: number[] = [];
  private readonly deadLetters: DeadLetter[] = [];
  private readonly minMs: number;
  private readonly maxMs: number;
  // "_topic":…,"_partition":…,"_offset": is the same for the whole chunk; its estimate too.
  private readonly srcHead: string;
  private readonly srcHeadBytes: number;
  private readonly userRows: PreparedChunk['userRows'];
  private readonly events: ChunkEvent[] | undefined;

  constructor(
    private readonly ctx: PrepareContext,
    capacityBytes = 1 << 16,
  ) {
    this.w = new JsonLinesWriter(capacityBytes);
    const nowMs = ctx.now.getTime();
    this.minMs = ctx.eventTime ? nowMs - ctx.eventTime.allowedLatenessMs : 0;
    this.maxMs = ctx.eventTime ? nowMs + ctx.eventTime.maxFutureMs : 0;
    this.srcHead = `"_topic":${q(ctx.topic)},"_partition":${ctx.partition},"_offset":`;
    this.srcHeadBytes = ctx.topic.length + 2 + numBytes(ctx.partition);
    if (ctx.collectUserRows) this.userRows = { clicks: [], orderLines: [] };
    if (ctx.collectEvents) this.events = [];
  }

  private deadLetter(msg: KafkaMessage, reason: string, fields: string[]): void {
    const ctx = this.ctx;
    this.deadLetters.push({
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
  }

  add(messages: readonly KafkaMessage[]): void {
    const { ctx, w } = this;
    const policy = ctx.eventTime;
    for (const msg of messages) {
      const decoded = checkStorefront(ctx.topic, msg.value);
      if (!decoded.ok) {
        this.deadLetter(
          msg,
          decoded.reason,
          decoded.errors.map((e) => e.field),
        );
        continue;
      }
      const ts = decoded.value.event.ts;
      const ms = isoToMs(ts);
      if (policy && (ms < this.minMs || ms > this.maxMs)) {
        const violation = eventTimeViolation(ms, ctx.now, policy, isReplay(msg));
        if (violation !== undefined) {
          this.deadLetter(msg, violation, ['ts']);
          continue;
        }
      }
      const offset = Number(msg.offset);
      appendRows(
        decoded.value,
        chTs(ts, ms),
        `${this.srcHead}${offset}}`,
        this.srcHeadBytes + numBytes(offset),
        w,
      );
      this.eventTimesMs.push(ms);
      if (this.userRows) collectUserRows(decoded.value, ms, this.userRows);
      if (this.events) {
        const v = decoded.value;
        if (v.topic === TOPICS.clickstream)
          this.events.push({ id: v.event.event_id, tsMs: ms, offset: msg.offset, rows: 1 });
        else if (v.topic === TOPICS.orders)
          this.events.push({
            id: v.event.event_id,
            tsMs: ms,
            offset: msg.offset,
            rows: v.event.items.length,
          });
        else
          this.events.push({
            id: `inv:${v.event.sku}:${ms}`,
            tsMs: ms,
            offset: msg.offset,
            rows: 1,
            sku: v.event.sku,
          });
      }
    }
  }

  finish(): PreparedChunk {
    const table = RAW_TABLE_BY_TOPIC[this.ctx.topic as keyof typeof RAW_TABLE_BY_TOPIC];
    const serialized = this.w.finish();
    let rows: Row[] | undefined;
    return {
      table: table ?? '',
      get rows(): Row[] {
        rows ??= serializedLines(serialized).map((l) => JSON.parse(l) as Row);
        return rows;
      },
      rowCount: serialized.ends.length,
      eventTimesMs: this.eventTimesMs,
      deadLetters: this.deadLetters,
      serialized,
      ...(this.userRows ? { userRows: this.userRows } : {}),
      ...(this.events ? { events: this.events } : {}),
    };
  }
}

/**
 * `chunk` without the events at the given indexes of `chunk.events` (and all their rows: every line
 * of an order); the serialised rows are re-sliced (same line bytes and sizes), so the sub-chunking
 * of what remains is what a chunk of only those rows would get. Pure. Needs `chunk.events`, and
 * `serialized` or `rows` in event order (what ChunkBuilder makes).
 */
export function withoutEvents(chunk: PreparedChunk, drop: ReadonlySet<number>): PreparedChunk {
  const events = chunk.events;
  if (!events || drop.size === 0) return chunk;
  const keepLine: boolean[] = [];
  const keptEvents: ChunkEvent[] = [];
  const eventTimesMs: number[] = [];
  const clicks: OnlineClick[] = [];
  const orderLines: OnlineOrderLine[] = [];
  const ur = chunk.userRows;
  let click = 0;
  let line = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    const keep = !drop.has(i);
    for (let r = 0; r < e.rows; r++) keepLine.push(keep);
    if (keep) {
      keptEvents.push(e);
      eventTimesMs.push(chunk.eventTimesMs[i]);
    }
    if (ur) {
      if (chunk.table === 'clickstream_events') {
        if (keep) clicks.push(ur.clicks[click]);
        click++;
      } else if (chunk.table === 'order_lines') {
        for (let r = 0; r < e.rows; r++) if (keep) orderLines.push(ur.orderLines[line + r]);
        line += e.rows;
      }
    }
  }
  const base = {
    table: chunk.table,
    deadLetters: chunk.deadLetters,
    eventTimesMs,
    events: keptEvents,
    ...(ur ? { userRows: { clicks, orderLines } } : {}),
  };
  const s = chunk.serialized;
  if (!s) return { ...base, rows: chunk.rows.filter((_, i) => keepLine[i]) };
  const parts: Buffer[] = [];
  const ends: number[] = [];
  const sizes: number[] = [];
  let off = 0;
  for (let i = 0; i < s.ends.length; i++) {
    if (!keepLine[i]) continue;
    const a = i === 0 ? 0 : s.ends[i - 1];
    parts.push(s.body.subarray(a, s.ends[i]));
    off += s.ends[i] - a;
    ends.push(off);
    sizes.push(s.sizes[i]);
  }
  const serialized: SerializedRows = { body: Buffer.concat(parts, off), ends, sizes };
  let rows: Row[] | undefined;
  return {
    ...base,
    get rows(): Row[] {
      rows ??= serializedLines(serialized).map((l) => JSON.parse(l) as Row);
      return rows;
    },
    rowCount: ends.length,
    serialized,
  };
}

/** Room for a chunk's JSONEachRow bytes: rows are about the size of their messages. */
export function chunkCapacity(messages: readonly KafkaMessage[]): number {
  let valueBytes = 0;
  for (const m of messages) valueBytes += m.value?.length ?? 0;
  return valueBytes * 2;
}

/**
 * Validates one chunk of messages of one topic-partition into table rows and dead letters. Pure.
 * The rows are produced as JSONEachRow bytes (`serialized`); `rows` (the row objects) is derived
 * from them on first access — only tests, replay verification and the object insert path read it.
 */
export function prepareChunk(
  messages: readonly KafkaMessage[],
  ctx: PrepareContext,
): PreparedChunk {
  const b = new ChunkBuilder(ctx, chunkCapacity(messages));
  b.add(messages);
  return b.finish();
}
