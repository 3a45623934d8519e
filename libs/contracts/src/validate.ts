import { z } from 'zod';
import { TOPICS } from './topics';
import {
  clickstreamEventSchema,
  inventoryEventSchema,
  orderEventSchema,
  type ClickstreamEvent,
  type InventoryEvent,
  type OrderEvent,
} from './schemas';

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

/** Decodes UTF-8 JSON bytes and validates against `schema`. Never throws on bad input. */
export function decode<S extends z.ZodType>(
  schema: S,
  bytes: Buffer | string | null | undefined,
): Decoded<z.infer<S>> {
  if (bytes === null || bytes === undefined || bytes.length === 0) {
    return {
      ok: false,
      reason: '$: empty message (no value)',
      errors: [{ field: '$', message: 'empty message (no value)' }],
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch (e) {
    const msg = `invalid JSON: ${e instanceof Error ? e.message : String(e)}`;
    return { ok: false, reason: `$: ${msg}`, errors: [{ field: '$', message: msg }] };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    const msg = `must be a JSON object, got ${Array.isArray(json) ? 'array' : json === null ? 'null' : typeof json}`;
    return { ok: false, reason: `$: ${msg}`, errors: [{ field: '$', message: msg }] };
  }
  const r = schema.safeParse(json);
  if (r.success) return { ok: true, value: r.data };
  const errors = r.error.issues.map((i) => ({
    field: pathOf(i.path),
    // A type error on a field that is simply absent reads better as "is required".
    message: i.code !== 'custom' && valueAt(json, i.path) === undefined ? 'is required' : i.message,
  }));
  return { ok: false, reason: errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors };
}

export type StorefrontMessage =
  | { topic: typeof TOPICS.clickstream; event: ClickstreamEvent }
  | { topic: typeof TOPICS.orders; event: OrderEvent }
  | { topic: typeof TOPICS.inventory; event: InventoryEvent };

export function decodeClickstream(
  bytes: Buffer | string | null | undefined,
): Decoded<ClickstreamEvent> {
  return decode(clickstreamEventSchema, bytes);
}
export function decodeOrder(bytes: Buffer | string | null | undefined): Decoded<OrderEvent> {
  return decode(orderEventSchema, bytes);
}
export function decodeInventory(
  bytes: Buffer | string | null | undefined,
): Decoded<InventoryEvent> {
  return decode(inventoryEventSchema, bytes);
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
      return {
        ok: false,
        reason: `$: no schema for topic ${topic}`,
        errors: [{ field: '$', message: `no schema for topic ${topic}` }],
      };
  }
}
