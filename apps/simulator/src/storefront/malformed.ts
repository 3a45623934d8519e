import { SKU_REQUIRED_TYPES, TOPICS, type TopicName } from '@storepulse/contracts';
import type { Prng } from './prng';

export const INVALID_KINDS = [
  'bad_json',
  'missing_field',
  'wrong_type',
  'unknown_type',
  'negative_qty',
  'missing_sku',
  'bad_ts',
] as const;
export type InvalidKind = (typeof INVALID_KINDS)[number];

type Json = Record<string, unknown>;

const KINDS_BY_TOPIC: Record<string, readonly InvalidKind[]> = {
  [TOPICS.clickstream]: [
    'bad_json',
    'missing_field',
    'wrong_type',
    'unknown_type',
    'missing_sku',
    'bad_ts',
  ],
  [TOPICS.orders]: INVALID_KINDS,
  // Inventory has no `type` field; negative_qty = negative on_order.
  [TOPICS.inventory]: [
    'bad_json',
    'missing_field',
    'wrong_type',
    'negative_qty',
    'missing_sku',
    'bad_ts',
  ],
};

const REQUIRED: Record<string, readonly string[]> = {
  [TOPICS.clickstream]: ['event_id', 'type', 'user_id', 'session_id', 'ts'],
  [TOPICS.orders]: ['event_id', 'type', 'order_id', 'user_id', 'ts', 'currency', 'items'],
  [TOPICS.inventory]: ['on_hand', 'on_order', 'lead_time_days', 'ts'],
};

const UNKNOWN_TYPES: Record<string, readonly string[]> = {
  [TOPICS.clickstream]: ['wishlist_add', 'page_scroll', 'ProductView', 'add-to-cart', ''],
  [TOPICS.orders]: ['order_refunded', 'order_shipped', 'ORDER_PLACED'],
};

const BAD_TS: readonly unknown[] = [
  '2026-11-28 10:15:00',
  '2026-11-28T25:61:00Z',
  'yesterday',
  '28/11/2026 10:15',
  '',
  '2026-11-28T10:15:00',
];

function firstItem(o: Json): Json | undefined {
  const items = o['items'];
  if (!Array.isArray(items) || items.length === 0) return undefined;
  const it: unknown = items[0];
  return typeof it === 'object' && it !== null ? (it as Json) : undefined;
}

/**
 * Breaks a valid event on purpose, in a way every consumer validating against the contract must
 * reject. The key is left alone (brokers and partitioners still see a normal key).
 */
export function malform(
  topic: TopicName,
  o: Json,
  rng: Prng,
): { kind: InvalidKind; value: Buffer } {
  const kinds = KINDS_BY_TOPIC[topic] ?? ['bad_json'];
  const kind = rng.pick(kinds);
  switch (kind) {
    case 'bad_json': {
      const s = JSON.stringify(o);
      // Any strict prefix of a JSON object text is invalid JSON.
      return { kind, value: Buffer.from(s.slice(0, 1 + rng.int(s.length - 1)), 'utf8') };
    }
    case 'missing_field':
      delete o[rng.pick(REQUIRED[topic] ?? ['ts'])];
      break;
    case 'wrong_type':
      if (topic === TOPICS.orders) {
        const it = firstItem(o);
        if (it) it['qty'] = String(it['qty']);
      } else if (topic === TOPICS.inventory) {
        o['on_hand'] = String(o['on_hand']);
      } else if (typeof o['price'] === 'number') {
        o['price'] = String(o['price']);
      } else {
        o['session_id'] = rng.int(1_000_000);
      }
      break;
    case 'unknown_type':
      o['type'] = rng.pick(UNKNOWN_TYPES[topic] ?? ['unknown']);
      break;
    case 'negative_qty':
      if (topic === TOPICS.inventory) {
        o['on_order'] = -1 - rng.int(50);
      } else {
        const it = firstItem(o);
        if (it) it['qty'] = -1 - rng.int(3);
      }
      break;
    case 'missing_sku':
      if (topic === TOPICS.orders) {
        const it = firstItem(o);
        if (it) delete it['sku'];
      } else if (topic === TOPICS.inventory) {
        delete o['sku'];
      } else {
        if (!SKU_REQUIRED_TYPES.has(String(o['type']))) o['type'] = 'add_to_cart';
        delete o['sku'];
      }
      break;
    case 'bad_ts':
      o['ts'] = rng.chance(0.2) ? Date.parse(String(o['ts'])) : rng.pick(BAD_TS);
      break;
  }
  return { kind, value: Buffer.from(JSON.stringify(o), 'utf8') };
}
