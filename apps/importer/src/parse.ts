import { createHash } from 'node:crypto';
import { CLICKSTREAM_TYPES, ORDER_TYPES, TOPICS } from '@storepulse/contracts';

/** One message parsed from an import file, with the line it starts on (1-based). */
export interface ImportMessage {
  topic: string;
  key: string | null;
  value: Buffer;
  /** Event time (ms) when the value has a parseable `ts`; undefined otherwise (the aggregator will say why). */
  tsMs: number | undefined;
  line: number;
}

/** A line the file format does not allow (not the contract: contract errors go to the DLQ). */
export interface LineError {
  line: number;
  message: string;
}

export interface ParseResult {
  messages: ImportMessage[];
  errors: LineError[];
}

export type ImportFormat = 'ndjson' | 'csv';

const CLICK_TYPES = new Set<string>(CLICKSTREAM_TYPES);
const ORDER_TYPE_SET = new Set<string>(ORDER_TYPES);
const STOREFRONT = new Set<string>([TOPICS.clickstream, TOPICS.orders, TOPICS.inventory]);

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Topic of a storefront event by its fields: clickstream and order `type`s, or a stock position. */
export function topicOf(v: Record<string, unknown>): string | undefined {
  const t = str(v.type);
  if (t !== undefined && CLICK_TYPES.has(t)) return TOPICS.clickstream;
  if (t !== undefined && ORDER_TYPE_SET.has(t)) return TOPICS.orders;
  if (t === undefined && 'on_hand' in v) return TOPICS.inventory;
  return undefined;
}

/** The topic's documented key (README, topic contracts) of an event. */
export function defaultKey(topic: string, v: Record<string, unknown>): string | null {
  const k =
    topic === TOPICS.clickstream
      ? v.user_id
      : topic === TOPICS.orders
        ? v.order_id
        : topic === TOPICS.inventory
          ? v.sku
          : undefined;
  return str(k) ?? null;
}

function tsOf(v: Record<string, unknown>): number | undefined {
  const ts = str(v.ts);
  if (ts === undefined) return undefined;
  const ms = Date.parse(ts);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * NDJSON: one message per line, optionally `key|value` as kafka-console-producer takes it with
 * `parse.key=true key.separator=|` (a line starting with `{` is a value without a key; otherwise the
 * key ends at the first `|`). Blank lines are skipped. The topic is `topic` when given, else chosen
 * by the event's `type` (or a stock position's `on_hand`); without a key prefix the key is the
 * topic's documented key. The value is sent as written (byte for byte).
 */
export function parseNdjson(text: string, topic?: string): ParseResult {
  const messages: ImportMessage[] = [];
  const errors: LineError[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const raw = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    if (raw.trim() === '') continue;
    let key: string | null = null;
    let valueText = raw;
    if (!raw.trimStart().startsWith('{')) {
      const bar = raw.indexOf('|');
      if (bar < 0) {
        errors.push({ line, message: 'expected a JSON object or key|JSON object' });
        continue;
      }
      key = raw.slice(0, bar);
      valueText = raw.slice(bar + 1);
    }
    let v: unknown;
    try {
      v = JSON.parse(valueText);
    } catch (e) {
      errors.push({ line, message: `invalid JSON: ${(e as Error).message}` });
      continue;
    }
    if (!isRecord(v)) {
      errors.push({ line, message: 'expected a JSON object' });
      continue;
    }
    const t = topic ?? topicOf(v);
    if (t === undefined) {
      errors.push({
        line,
        message:
          'cannot tell the topic: type is not a clickstream or order type and it is not a stock position (pass --topic)',
      });
      continue;
    }
    messages.push({
      topic: t,
      key: key ?? defaultKey(t, v),
      value: Buffer.from(valueText, 'utf8'),
      tsMs: tsOf(v),
      line,
    });
  }
  return { messages, errors };
}

/** CSV columns of the orders contract, one row per line item (README "Importing history"). */
export const CSV_COLUMNS = {
  required: ['order_id', 'user_id', 'ts', 'currency', 'sku', 'qty', 'unit_price'],
  optional: ['event_id', 'type', 'category'],
} as const;

/** Splits one CSV record (RFC 4180 quoting: "a ""b""", no line breaks inside fields). */
export function splitCsv(line: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let v = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) return undefined;
        v += line.slice(i, q);
        if (line[q + 1] === '"') {
          v += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      out.push(v);
      if (i === line.length) return out;
      if (line[i] !== ',') return undefined;
      i++;
    } else {
      const c = line.indexOf(',', i);
      if (c < 0) {
        out.push(line.slice(i));
        return out;
      }
      out.push(line.slice(i, c));
      i = c + 1;
    }
  }
}

/**
 * A deterministic event_id (UUID, version-5 layout, SHA-1) for an order event whose file has no
 * event_id column: the same file gives the same ids, so a rerun is deduplicated.
 */
export function derivedEventId(type: string, orderId: string): string {
  const h = createHash('sha1').update(`storepulse-import\u0000${type}\u0000${orderId}`).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

interface OrderGroup {
  line: number;
  lines: number[];
  head: {
    event_id: string;
    type: string;
    order_id: string;
    user_id: string;
    ts: string;
    currency: string;
  };
  items: { sku: string; qty: number; unit_price: number; category?: string }[];
}

/**
 * CSV of order lines → one `storefront.orders.v1` message per (order_id, type): a header row naming
 * the columns (any order; {@link CSV_COLUMNS}), then one row per line item. Rows of one order may be
 * anywhere in the file; they must agree on event_id, user_id, ts and currency. `type` defaults to
 * order_placed, `event_id` to {@link derivedEventId}. Messages come in the order of each order's
 * first row; the key is order_id.
 */
export function parseOrdersCsv(text: string): ParseResult {
  const errors: LineError[] = [];
  const rows = text.split('\n');
  const headerAt = rows.findIndex((r) => r.trim() !== '');
  if (headerAt < 0) return { messages: [], errors: [{ line: 1, message: 'empty file' }] };
  const header = splitCsv(rows[headerAt].replace(/\r$/, '').trim())?.map((h) => h.trim());
  if (!header) return { messages: [], errors: [{ line: headerAt + 1, message: 'bad header' }] };
  const missing = CSV_COLUMNS.required.filter((c) => !header.includes(c));
  if (missing.length > 0)
    return {
      messages: [],
      errors: [{ line: headerAt + 1, message: `header misses column(s) ${missing.join(', ')}` }],
    };
  const known = new Set<string>([...CSV_COLUMNS.required, ...CSV_COLUMNS.optional]);
  const unknown = header.filter((h) => !known.has(h));
  if (unknown.length > 0)
    return {
      messages: [],
      errors: [{ line: headerAt + 1, message: `unknown column(s) ${unknown.join(', ')}` }],
    };
  const col = (name: string) => header.indexOf(name);
  const groups = new Map<string, OrderGroup>();
  for (let i = headerAt + 1; i < rows.length; i++) {
    const line = i + 1;
    const raw = rows[i].replace(/\r$/, '');
    if (raw.trim() === '') continue;
    const f = splitCsv(raw);
    if (!f) {
      errors.push({ line, message: 'unbalanced quotes' });
      continue;
    }
    if (f.length !== header.length) {
      errors.push({ line, message: `expected ${header.length} fields, got ${f.length}` });
      continue;
    }
    const get = (name: string) => (col(name) >= 0 ? f[col(name)].trim() : '');
    const qty = Number(get('qty'));
    const price = Number(get('unit_price'));
    const bad: string[] = [];
    for (const c of CSV_COLUMNS.required) if (get(c) === '') bad.push(`${c} is empty`);
    if (get('qty') !== '' && !Number.isFinite(qty)) bad.push(`qty "${get('qty')}" is not a number`);
    if (get('unit_price') !== '' && !Number.isFinite(price))
      bad.push(`unit_price "${get('unit_price')}" is not a number`);
    if (bad.length > 0) {
      errors.push({ line, message: bad.join('; ') });
      continue;
    }
    const type = get('type') || 'order_placed';
    const orderId = get('order_id');
    const head = {
      event_id: get('event_id') || derivedEventId(type, orderId),
      type,
      order_id: orderId,
      user_id: get('user_id'),
      ts: get('ts'),
      currency: get('currency'),
    };
    const category = get('category');
    const item = {
      sku: get('sku'),
      qty,
      unit_price: price,
      ...(category !== '' ? { category } : {}),
    };
    const k = `${type}\u0000${orderId}`;
    const g = groups.get(k);
    if (!g) {
      groups.set(k, { line, lines: [line], head, items: [item] });
      continue;
    }
    const differs = (['event_id', 'user_id', 'ts', 'currency'] as const).filter(
      (c) => g.head[c] !== head[c],
    );
    if (differs.length > 0) {
      errors.push({
        line,
        message: `order ${orderId} (${type}) has another ${differs.join(', ')} than on line ${g.line}`,
      });
      continue;
    }
    g.lines.push(line);
    g.items.push(item);
  }
  const messages: ImportMessage[] = [];
  for (const g of groups.values()) {
    const ms = Date.parse(g.head.ts);
    messages.push({
      topic: TOPICS.orders,
      key: g.head.order_id,
      value: Buffer.from(JSON.stringify({ ...g.head, items: g.items }), 'utf8'),
      tsMs: Number.isFinite(ms) ? ms : undefined,
      line: g.line,
    });
  }
  return { messages, errors };
}

/** Parses an import file; `topic` overrides the topic chosen per line (NDJSON; CSV is orders only). */
export function parseImport(text: string, format: ImportFormat, topic?: string): ParseResult {
  if (topic !== undefined && !STOREFRONT.has(topic))
    return {
      messages: [],
      errors: [{ line: 0, message: `--topic ${topic} is not a storefront topic` }],
    };
  if (format === 'csv') {
    if (topic !== undefined && topic !== TOPICS.orders)
      return {
        messages: [],
        errors: [
          { line: 0, message: `CSV files are order lines: --topic must be ${TOPICS.orders}` },
        ],
      };
    return parseOrdersCsv(text);
  }
  return parseNdjson(text, topic);
}
