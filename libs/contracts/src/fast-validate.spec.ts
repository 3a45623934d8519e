import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkStorefront,
  decode,
  decodeClickstream,
  decodeInventory,
  decodeOrder,
  decodeStorefront,
  decodeStorefrontReference,
  type Decoded,
} from './validate';
import { clickstreamAccepted, inventoryAccepted, orderAccepted } from './fast-validate';
import {
  CLICKSTREAM_TYPES,
  ORDER_TYPES,
  clickstreamEventSchema,
  inventoryEventSchema,
  orderEventSchema,
} from './schemas';
import { TOPICS } from './topics';

/** Deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rnd = prng(20261128);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
const hex = (n: number) =>
  Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(rnd() * 16)]).join('');
const uuid = () =>
  `${hex(8)}-${hex(4)}-4${hex(3)}-${pick(['8', '9', 'a', 'b'])}${hex(3)}-${hex(12)}`;
const isoTs = () => new Date(1_700_000_000_000 + Math.floor(rnd() * 1e11)).toISOString();

type Json = Record<string, unknown>;

function validClick(): Json {
  const type = pick(CLICKSTREAM_TYPES);
  const e: Json = {
    event_id: uuid(),
    type,
    user_id: `u-${Math.floor(rnd() * 1e5)}`,
    session_id: `s-${hex(6)}`,
    ts: isoTs(),
  };
  if (type !== 'page_view' || rnd() < 0.3) e['sku'] = `SKU-${Math.floor(rnd() * 1000)}`;
  if (rnd() < 0.5) e['price'] = Math.round(rnd() * 10000) / 100;
  if (rnd() < 0.5) e['category'] = pick(['shoes', 'books', 'Café "déco"\n', '']);
  if (type === 'search' || rnd() < 0.1) e['query'] = pick(['red shoes', 'ü\\"x', '']);
  return e;
}
function validItem(): Json {
  const it: Json = {
    sku: `SKU-${Math.floor(rnd() * 1000)}`,
    qty: 1 + Math.floor(rnd() * 5),
    unit_price: Math.round(rnd() * 10000) / 100,
  };
  if (rnd() < 0.5) it['category'] = pick(['toys', 'garden']);
  return it;
}
function validOrder(): Json {
  return {
    event_id: uuid(),
    type: pick(ORDER_TYPES),
    order_id: `o-${hex(8)}`,
    user_id: `u-${Math.floor(rnd() * 1e5)}`,
    ts: isoTs(),
    currency: pick(['EUR', 'USD', 'GBP']),
    items: Array.from({ length: 1 + Math.floor(rnd() * 4) }, validItem),
  };
}
function validInventory(): Json {
  return {
    sku: `SKU-${Math.floor(rnd() * 1000)}`,
    on_hand: Math.floor(rnd() * 200) - 20,
    on_order: Math.floor(rnd() * 100),
    lead_time_days: Math.round(rnd() * 3650) / 10,
    ts: isoTs(),
  };
}

const INF = '__INF__';
const NEG_INF = '__NEG_INF__';
const DELETE = Symbol('delete');
/** Values every field is tried with: wrong types, edges of every bound, the formats' corner cases. */
const VALUES: readonly unknown[] = [
  DELETE,
  null,
  true,
  false,
  0,
  -0,
  1,
  -1,
  1.5,
  -0.5,
  365,
  365.0001,
  1000,
  2 ** 53,
  -(2 ** 53),
  1e21,
  INF,
  NEG_INF,
  '',
  'x',
  'a'.repeat(128),
  'a'.repeat(129),
  '😀'.repeat(64),
  '😀'.repeat(65),
  'é'.repeat(200),
  'a'.repeat(1024),
  'a'.repeat(1025),
  '😀'.repeat(600),
  '\ud800',
  [],
  ['a'],
  Array.from({ length: 129 }, () => 1),
  {},
  { length: 0 },
  { length: 200 },
  { length: 'x' },
  { sku: 'a', qty: 1, unit_price: 1 },
  'EUR',
  'eur',
  'EURO',
  ...CLICKSTREAM_TYPES,
  ...ORDER_TYPES,
  'teleport',
  '0b6f2f5e-8a5b-4f8e-9a43-3c1d2b7e9f10',
  '0B6F2F5E-8A5B-4F8E-9A43-3C1D2B7E9F10',
  '0b6f2f5e-8a5b-9f8e-9a43-3c1d2b7e9f10',
  '0b6f2f5e-8a5b-4f8e-7a43-3c1d2b7e9f10',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '0b6f2f5e8a5b4f8e9a433c1d2b7e9f10',
  '2026-11-28T10:15:00Z',
  '2026-11-28T10:15:00.123456789+01:00',
  '2026-11-28T10:15:00+0100',
  '2026-11-28T10:15Z',
  '2026-11-28T10:15:00',
  '2026-11-28T10:15:00z',
  '2026-11-28 10:15:00Z',
  '2026-02-29T10:15:00Z',
  '2028-02-29T10:15:00Z',
  '2026-11-31T10:15:00Z',
  '2026-11-28T24:00:00Z',
  '2026-11-28T23:59:60Z',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999Z',
  '2026-11-28T10:15:00.Z',
];
const ITEMS_VALUES: readonly unknown[] = [
  [],
  [1],
  [null],
  [[]],
  ['x'],
  Array.from({ length: 1000 }, () => ({ sku: 'a', qty: 1, unit_price: 0 })),
  Array.from({ length: 1001 }, () => ({ sku: 'a', qty: 1, unit_price: 0 })),
  [
    ...Array.from({ length: 1001 }, () => ({ sku: 'a', qty: 1, unit_price: 0 })),
    { sku: 'a', qty: 1.5, unit_price: 0 },
  ],
];

function mutate(base: Json, keys: readonly string[]): Json {
  const e: Json = structuredClone(base);
  const n = 1 + Math.floor(rnd() * 3);
  for (let k = 0; k < n; k++) {
    const r = rnd();
    if (r < 0.1) {
      e[`extra_${k}`] = pick(VALUES);
      continue;
    }
    const items = e['items'];
    if (r < 0.35 && Array.isArray(items) && items.length > 0) {
      if (rnd() < 0.2) {
        e['items'] = structuredClone(pick(ITEMS_VALUES));
        continue;
      }
      const item = items[Math.floor(rnd() * items.length)] as unknown;
      if (typeof item === 'object' && item !== null && !Array.isArray(item)) {
        const it = item as Json;
        const key = pick(['sku', 'qty', 'unit_price', 'category', 'extra']);
        const v = pick(VALUES);
        if (v === DELETE) delete it[key];
        else it[key] = structuredClone(v);
      }
      continue;
    }
    const key = pick(keys);
    const v = pick(VALUES);
    if (v === DELETE) delete e[key];
    else e[key] = structuredClone(v);
  }
  return e;
}

function toJson(e: Json): string {
  return JSON.stringify(e).replaceAll(`"${INF}"`, '1e400').replaceAll(`"${NEG_INF}"`, '-1e400');
}

const CASES = [
  {
    topic: TOPICS.clickstream,
    valid: validClick,
    keys: Object.keys(clickstreamEventSchema.shape),
    fast: decodeClickstream,
    ref: (b: Buffer) => decode(clickstreamEventSchema, b) as Decoded<unknown>,
    accepted: clickstreamAccepted,
  },
  {
    topic: TOPICS.orders,
    valid: validOrder,
    keys: Object.keys(orderEventSchema.shape),
    fast: decodeOrder,
    ref: (b: Buffer) => decode(orderEventSchema, b) as Decoded<unknown>,
    accepted: orderAccepted,
  },
  {
    topic: TOPICS.inventory,
    valid: validInventory,
    keys: Object.keys(inventoryEventSchema.shape),
    fast: decodeInventory,
    ref: (b: Buffer) => decode(inventoryEventSchema, b) as Decoded<unknown>,
    accepted: inventoryAccepted,
  },
];

describe('fast validator == zod schemas', () => {
  for (const c of CASES) {
    it(`${c.topic}: generated valid events take the fast path and decode as zod does`, () => {
      for (let i = 0; i < 3000; i++) {
        const e = c.valid();
        const b = Buffer.from(toJson(e));
        assert.ok(c.accepted(JSON.parse(b.toString()) as Json), toJson(e));
        const ref = c.ref(b);
        assert.ok(ref.ok, toJson(e));
        assert.deepStrictEqual(c.fast(b), ref);
        assert.deepStrictEqual(decodeStorefront(c.topic, b), decodeStorefrontReference(c.topic, b));
      }
    });

    it(`${c.topic}: mutated events get the same decision, value, fields and reasons`, () => {
      let rejected = 0;
      let accepted = 0;
      for (let i = 0; i < 20_000; i++) {
        const e = mutate(c.valid(), c.keys);
        const b = Buffer.from(toJson(e));
        const ref = c.ref(b);
        const msg = `${c.topic}: ${toJson(e).slice(0, 400)}`;
        assert.deepStrictEqual(c.fast(b), ref, msg);
        const storefront = decodeStorefrontReference(c.topic, b);
        assert.deepStrictEqual(decodeStorefront(c.topic, b), storefront, msg);
        const checked = checkStorefront(c.topic, b);
        assert.equal(checked.ok, storefront.ok, msg);
        if (!checked.ok) {
          assert.deepStrictEqual(checked, storefront, msg);
          rejected++;
        } else {
          // checkStorefront hands back the parsed object: its declared fields equal zod's output
          assert.ok(storefront.ok);
          const declared = storefront.value.event as unknown as Json;
          const got = checked.value.event as unknown as Json;
          for (const k of Object.keys(declared))
            assert.deepStrictEqual(
              k === 'items'
                ? (got[k] as Json[]).map((it, j) =>
                    Object.fromEntries(
                      Object.keys((declared[k] as Json[])[j]).map((f) => [f, it[f]]),
                    ),
                  )
                : got[k],
              declared[k],
              msg,
            );
          accepted++;
        }
      }
      // the generator really exercises both sides
      assert.ok(rejected > 5000, `rejected ${rejected}`);
      assert.ok(accepted > 500, `accepted ${accepted}`);
    });
  }

  it('non-JSON, non-objects and unknown topics fail exactly as before', () => {
    for (const v of [null, undefined, '', '{', '[1]', 'null', '1', '"x"', 'true', '{"a":1}']) {
      for (const t of [TOPICS.clickstream, TOPICS.orders, TOPICS.inventory, 'nope']) {
        const b = typeof v === 'string' ? Buffer.from(v) : v;
        assert.deepStrictEqual(decodeStorefront(t, b), decodeStorefrontReference(t, b));
        assert.deepStrictEqual(checkStorefront(t, b), decodeStorefrontReference(t, b));
      }
    }
  });
});
