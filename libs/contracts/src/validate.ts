import { isUtf8 } from 'node:buffer';
import { z } from 'zod';
import { TOPICS } from './topics';
import {
  clickstreamEventSchema,
  inventoryEventSchema,
  orderEventSchema,
  type ClickstreamEvent,
  type InventoryEvent,
  type OrderEvent,
  type OrderItem,
} from './schemas';
import { clickstreamAccepted, inventoryAccepted, orderAccepted } from './fast-validate';

export interface FieldError {
  /** Dotted path of the offending field, e.g. `items.0.qty`; `$` for the whole message. */
  field: string;
  message: string;
}

export type Decoded<T> =
  { ok: true; value: T } | { ok: false; reason: string; errors: FieldError[] };

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const key of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

function pathOf(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '$' : path.map((p) => String(p)).join('.');
}

type JsonObject = Record<string, unknown>;
type Failure = { ok: false; reason: string; errors: FieldError[] };

/** Offset of the first byte that starts an invalid UTF-8 sequence (only called on invalid input). */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    if (c < 0x80) {
      i += 1;
      continue;
    }
    // lead byte → continuation count and the smallest code point it may encode (no overlongs)
    const [n, min] =
      c >= 0xc2 && c <= 0xdf
        ? [1, 0x80]
        : c >= 0xe0 && c <= 0xef
          ? [2, 0x800]
          : c >= 0xf0 && c <= 0xf4
            ? [3, 0x10000]
            : [0, 0];
    if (n === 0) return i;
    let cp = c & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const x = b[i + k];
      if (x === undefined || (x & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (x & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return b.length;
}

/** Bytes → a JSON object, or the `$` failure (empty, invalid JSON, not an object). */
function parseObject(
  bytes: Buffer | string | null | undefined,
): { ok: true; json: JsonObject } | Failure {
  if (bytes === null || bytes === undefined || bytes.length === 0) {
    return {
      ok: false,
      reason: '$: empty message (no value)',
      errors: [{ field: '$', message: 'empty message (no value)' }],
    };
  }
  if (typeof bytes !== 'string' && !isUtf8(bytes)) {
    // Decoding would silently turn the bad bytes into U+FFFD and store a value nobody sent.
    const msg = `invalid UTF-8 at byte ${firstInvalidUtf8(bytes)}`;
    return { ok: false, reason: `$: ${msg}`, errors: [{ field: '$', message: msg }] };
  }
  let json: unknown;
  try {
    json = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch (e) {
    const msg = `invalid JSON: ${e instanceof Error ? e.message : String(e)}`;
    return { ok: false, reason: `$: ${msg}`, errors: [{ field: '$', message: msg }] };
  }
  return asObject(json);
}

/** A parsed JSON value → the object, or the `$` failure (not an object). */
function asObject(json: unknown): { ok: true; json: JsonObject } | Failure {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    const msg = `must be a JSON object, got ${Array.isArray(json) ? 'array' : json === null ? 'null' : typeof json}`;
    return { ok: false, reason: `$: ${msg}`, errors: [{ field: '$', message: msg }] };
  }
  return { ok: true, json: json as JsonObject };
}

/** Validates a parsed JSON object against `schema`; field-level errors name each offending field. */
function validateWith<S extends z.ZodType>(schema: S, json: JsonObject): Decoded<z.infer<S>> {
  const r = schema.safeParse(json);
  if (r.success) return { ok: true, value: r.data };
  const errors = r.error.issues.map((i) => ({
    field: pathOf(i.path),
    // A type error on a field that is simply absent reads better as "is required".
    message: i.code !== 'custom' && valueAt(json, i.path) === undefined ? 'is required' : i.message,
  }));
  return { ok: false, reason: errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors };
}

/**
 * Decodes UTF-8 JSON bytes and validates against `schema` (zod only: the reference behaviour).
 * Never throws on bad input.
 */
export function decode<S extends z.ZodType>(
  schema: S,
  bytes: Buffer | string | null | undefined,
): Decoded<z.infer<S>> {
  const p = parseObject(bytes);
  return p.ok ? validateWith(schema, p.json) : p;
}

/**
 * Same outcome as `decode(schema, bytes)`: the hand-written `accepted` predicate (sound w.r.t. the
 * schema, see fast-validate.ts) lets the common valid message skip zod; anything it does not accept
 * goes through zod, which decides and words the errors. With `strip`, the value is the declared
 * fields only (as zod returns it); without, it is the parsed JSON object itself, which may carry
 * undeclared keys — read only the declared fields of it.
 */
function decodeFast<S extends z.ZodType>(
  schema: S,
  accepted: (json: JsonObject) => boolean,
  strip: ((json: JsonObject) => z.infer<S>) | null,
  bytes: Buffer | string | null | undefined,
): Decoded<z.infer<S>> {
  const p = parseObject(bytes);
  if (!p.ok) return p;
  if (accepted(p.json)) return { ok: true, value: strip ? strip(p.json) : (p.json as z.infer<S>) };
  return validateWith(schema, p.json);
}

// Outputs of accepted values, shaped as zod returns them (declared keys only, absent optionals omitted).
function stripClickstream(j: JsonObject): ClickstreamEvent {
  const e = j as ClickstreamEvent;
  const out: ClickstreamEvent = {
    event_id: e.event_id,
    type: e.type,
    user_id: e.user_id,
    session_id: e.session_id,
    ts: e.ts,
  };
  if (e.sku !== undefined) out.sku = e.sku;
  if (e.price !== undefined) out.price = e.price;
  if (e.category !== undefined) out.category = e.category;
  if (e.query !== undefined) out.query = e.query;
  return out;
}
function stripOrder(j: JsonObject): OrderEvent {
  const e = j as OrderEvent;
  return {
    event_id: e.event_id,
    type: e.type,
    order_id: e.order_id,
    user_id: e.user_id,
    ts: e.ts,
    currency: e.currency,
    items: e.items.map((it) => {
      const o: OrderItem = { sku: it.sku, qty: it.qty, unit_price: it.unit_price };
      if (it.category !== undefined) o.category = it.category;
      return o;
    }),
  };
}
function stripInventory(j: JsonObject): InventoryEvent {
  const e = j as InventoryEvent;
  return {
    sku: e.sku,
    on_hand: e.on_hand,
    on_order: e.on_order,
    lead_time_days: e.lead_time_days,
    ts: e.ts,
  };
}

export type StorefrontMessage =
  | { topic: typeof TOPICS.clickstream; event: ClickstreamEvent }
  | { topic: typeof TOPICS.orders; event: OrderEvent }
  | { topic: typeof TOPICS.inventory; event: InventoryEvent };

export function decodeClickstream(
  bytes: Buffer | string | null | undefined,
): Decoded<ClickstreamEvent> {
  return decodeFast(clickstreamEventSchema, clickstreamAccepted, stripClickstream, bytes);
}
export function decodeOrder(bytes: Buffer | string | null | undefined): Decoded<OrderEvent> {
  return decodeFast(orderEventSchema, orderAccepted, stripOrder, bytes);
}
export function decodeInventory(
  bytes: Buffer | string | null | undefined,
): Decoded<InventoryEvent> {
  return decodeFast(inventoryEventSchema, inventoryAccepted, stripInventory, bytes);
}

function noSchema(topic: string): Failure {
  return {
    ok: false,
    reason: `$: no schema for topic ${topic}`,
    errors: [{ field: '$', message: `no schema for topic ${topic}` }],
  };
}

/** Decodes a message of any storefront topic. */
export function decodeStorefront(
  topic: string,
  bytes: Buffer | string | null | undefined,
): Decoded<StorefrontMessage> {
  switch (topic) {
    case TOPICS.clickstream: {
      const r = decodeClickstream(bytes);
      return r.ok ? { ok: true, value: { topic, event: r.value } } : r;
    }
    case TOPICS.orders: {
      const r = decodeOrder(bytes);
      return r.ok ? { ok: true, value: { topic, event: r.value } } : r;
    }
    case TOPICS.inventory: {
      const r = decodeInventory(bytes);
      return r.ok ? { ok: true, value: { topic, event: r.value } } : r;
    }
    default:
      return noSchema(topic);
  }
}

/**
 * `decodeStorefront` for the ingest hot path: the same accept / reject decision and the same errors,
 * but a valid event is the parsed JSON object itself (no copy): it may carry undeclared keys, so
 * read only its declared fields.
 */
export function checkStorefront(
  topic: string,
  bytes: Buffer | string | null | undefined,
): Decoded<StorefrontMessage> {
  switch (topic) {
    case TOPICS.clickstream: {
      const r = decodeFast(clickstreamEventSchema, clickstreamAccepted, null, bytes);
      return r.ok ? { ok: true, value: { topic, event: r.value } } : r;
    }
    case TOPICS.orders: {
      const r = decodeFast(orderEventSchema, orderAccepted, null, bytes);
      return r.ok ? { ok: true, value: { topic, event: r.value } } : r;
    }
    case TOPICS.inventory: {
      const r = decodeFast(inventoryEventSchema, inventoryAccepted, null, bytes);
      return r.ok ? { ok: true, value: { topic, event: r.value } } : r;
    }
    default:
      return noSchema(topic);
  }
}

/**
 * `decodeStorefront` for a value already parsed from JSON (one element of an HTTP batch, see
 * apps/collector): the same accept / reject decision, errors and stripped output (declared fields
 * only) as the aggregator's decoder of the same bytes.
 */
export function decodeStorefrontValue(topic: string, json: unknown): Decoded<StorefrontMessage> {
  const p = asObject(json);
  if (!p.ok) return p;
  const o = p.json;
  switch (topic) {
    case TOPICS.clickstream: {
      if (clickstreamAccepted(o)) return { ok: true, value: { topic, event: stripClickstream(o) } };
      const r = validateWith(clickstreamEventSchema, o);
      return r.ok ? { ok: true, value: { topic, event: r.value } } : r;
    }
    case TOPICS.orders: {
      if (orderAccepted(o)) return { ok: true, value: { topic, event: stripOrder(o) } };
      const r = validateWith(orderEventSchema, o);
      return r.ok ? { ok: true, value: { topic, event: r.value } } : r;
    }
    case TOPICS.inventory: {
      if (inventoryAccepted(o)) return { ok: true, value: { topic, event: stripInventory(o) } };
      const r = validateWith(inventoryEventSchema, o);
      return r.ok ? { ok: true, value: { topic, event: r.value } } : r;
    }
    default:
      return noSchema(topic);
  }
}

/** The zod-only decoder of a storefront topic (reference for tests and for the JSON schemas). */
export function decodeStorefrontReference(
  topic: string,
  bytes: Buffer | string | null | undefined,
): Decoded<StorefrontMessage> {
  switch (topic) {
    case TOPICS.clickstream: {
      const r = decode(clickstreamEventSchema, bytes);
      return r.ok ? { ok: true, value: { topic, event: r.value } } : r;
    }
    case TOPICS.orders: {
      const r = decode(orderEventSchema, bytes);
      return r.ok ? { ok: true, value: { topic, event: r.value } } : r;
    }
    case TOPICS.inventory: {
      const r = decode(inventoryEventSchema, bytes);
      return r.ok ? { ok: true, value: { topic, event: r.value } } : r;
    }
    default:
      return noSchema(topic);
  }
}
