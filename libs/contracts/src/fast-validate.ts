import {
  CLICKSTREAM_TYPES,
  ORDER_TYPES,
  SKU_REQUIRED_TYPES,
  clickstreamEventSchema,
  inventoryEventSchema,
  orderEventSchema,
} from './schemas';

/**
 * Hand-written acceptance predicates for the storefront schemas (the hot path of ingest).
 *
 * Contract: each predicate is SOUND with respect to its zod schema — when it returns true, the zod
 * schema accepts the same value (and its parsed output is the value's declared fields). It may
 * return false for a value zod would accept (e.g. a 129-unit string that is 128 code points);
 * callers then ask the zod schema, which decides and produces the field-level errors. So accept /
 * reject behaviour and error reasons are zod's by construction; the predicate only skips zod for
 * the common valid message. The string formats use the very regular expressions of the zod
 * schemas. `fast-validate.spec.ts` compares both on many generated valid and invalid inputs.
 */

function formatPattern(schema: { _zod: { def: { pattern?: RegExp } } }, what: string): RegExp {
  const p = schema._zod.def.pattern;
  if (!(p instanceof RegExp)) throw new Error(`zod schema for ${what} has no pattern`);
  return p;
}
const UUID = formatPattern(clickstreamEventSchema.shape.event_id, 'event_id');
const ISO_TS = formatPattern(clickstreamEventSchema.shape.ts, 'ts');
const ORDER_TS = formatPattern(orderEventSchema.shape.ts, 'ts');
const INVENTORY_TS = formatPattern(inventoryEventSchema.shape.ts, 'ts');
const CURRENCY = /^[A-Z]{3}$/;
const CLICK_TYPES: ReadonlySet<unknown> = new Set<string>(CLICKSTREAM_TYPES);
const ORDER_TYPE_SET: ReadonlySet<unknown> = new Set<string>(ORDER_TYPES);

type Json = Record<string, unknown>;

/** A string of 1..max UTF-16 units (hence 1..max code points). */
const idOk = (v: unknown, max = 128): boolean =>
  typeof v === 'string' && v.length >= 1 && v.length <= max;
/** Absent, or a string of at most max UTF-16 units. */
const optStrOk = (v: unknown, max: number): boolean =>
  v === undefined || (typeof v === 'string' && v.length <= max);
const moneyOk = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const tsOk = (v: unknown, re: RegExp): boolean => typeof v === 'string' && re.test(v);

export function clickstreamAccepted(e: Json): boolean {
  const type = e['type'];
  const sku = e['sku'];
  const price = e['price'];
  return (
    typeof e['event_id'] === 'string' &&
    UUID.test(e['event_id']) &&
    CLICK_TYPES.has(type) &&
    idOk(e['user_id']) &&
    idOk(e['session_id']) &&
    tsOk(e['ts'], ISO_TS) &&
    (sku === undefined ? !SKU_REQUIRED_TYPES.has(type as string) : idOk(sku)) &&
    (price === undefined || moneyOk(price)) &&
    optStrOk(e['category'], 128) &&
    optStrOk(e['query'], 1024)
  );
}

function itemOk(it: unknown): boolean {
  if (typeof it !== 'object' || it === null || Array.isArray(it)) return false;
  const i = it as Json;
  const qty = i['qty'];
  return (
    idOk(i['sku']) &&
    typeof qty === 'number' &&
    Number.isSafeInteger(qty) &&
    qty > 0 &&
    moneyOk(i['unit_price']) &&
    optStrOk(i['category'], 128)
  );
}

export function orderAccepted(e: Json): boolean {
  const items = e['items'];
  if (!(
    typeof e['event_id'] === 'string' &&
    UUID.test(e['event_id']) &&
    ORDER_TYPE_SET.has(e['type']) &&
    idOk(e['order_id']) &&
    idOk(e['user_id']) &&
    tsOk(e['ts'], ORDER_TS) &&
    typeof e['currency'] === 'string' &&
    CURRENCY.test(e['currency']) &&
    Array.isArray(items) &&
    items.length >= 1 &&
    items.length <= 1000
  ))
    return false;
  for (const it of items as unknown[]) if (!itemOk(it)) return false;
  return true;
}

export function inventoryAccepted(e: Json): boolean {
  const onHand = e['on_hand'];
  const onOrder = e['on_order'];
  const lead = e['lead_time_days'];
  return (
    idOk(e['sku']) &&
    typeof onHand === 'number' &&
    Number.isSafeInteger(onHand) &&
    typeof onOrder === 'number' &&
    Number.isSafeInteger(onOrder) &&
    onOrder >= 0 &&
    typeof lead === 'number' &&
    Number.isFinite(lead) &&
    lead >= 0 &&
    lead <= 365 &&
    tsOk(e['ts'], INVENTORY_TS)
  );
}
