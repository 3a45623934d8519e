import fc from 'fast-check';
import { TOPICS } from '@storepulse/contracts';

/**
 * A corpus of malformed storefront messages (fault suite, case 6), generated with fast-check from
 * a fixed seed, each with the field its reason must name. Every case starts from a valid message
 * and breaks it in one way, chosen so that the result can never be valid:
 * wrong types, missing required fields, huge strings, deep nesting, invalid UTF-8, NaN and
 * Infinity, timestamps without a zone, `__proto__` / `constructor` smuggling a required field,
 * truncated JSON, non-objects and empty values.
 */
export type PoisonKind =
  | 'wrong-type'
  | 'missing'
  | 'huge-string'
  | 'deep-nesting'
  | 'invalid-utf8'
  | 'nan-literal'
  | 'infinity'
  | 'no-zone-ts'
  | 'proto-smuggling'
  | 'truncated'
  | 'not-object'
  | 'empty';

export interface PoisonCase {
  topic: string;
  key: string;
  value: Buffer;
  kind: PoisonKind;
  /** The field the dead letter's reason must name (`$` for the whole message). */
  field: string;
}

export interface ValidCase {
  topic: string;
  key: string;
  value: Buffer;
  /** The rows it stores: 1 for clicks and stock, its lines for an order. */
  rows: number;
  eventId: string | undefined;
}

type Obj = Record<string, unknown>;

const BASE_TS = Date.UTC(2026, 10, 20, 12, 0, 0);
const CLICK_TYPES = ['page_view', 'product_view', 'search', 'add_to_cart', 'remove_from_cart'];
const SKU_TYPES = new Set(['product_view', 'add_to_cart', 'remove_from_cart']);

/** A v4 UUID from a number, so the corpus is the same on every run. */
export function uuidFor(n: number, prefix = 0): string {
  const h = n.toString(16).padStart(12, '0').slice(-12);
  const p = prefix.toString(16).padStart(8, '0').slice(-8);
  return `${p}-0000-4000-8000-${h}`;
}

function click(i: number): Obj {
  const type = CLICK_TYPES[i % CLICK_TYPES.length];
  const e: Obj = {
    event_id: uuidFor(i, 1),
    type,
    user_id: `u-${i % 97}`,
    session_id: `s-${i % 211}`,
    ts: new Date(BASE_TS + i * 1000).toISOString(),
  };
  if (SKU_TYPES.has(type)) {
    e.sku = `SKU-${i % 50}`;
    e.price = 5 + (i % 9);
    e.category = `cat-${i % 5}`;
  }
  if (type === 'search') e.query = `shoes ${i % 13}`;
  return e;
}

function order(i: number): Obj {
  return {
    event_id: uuidFor(i, 2),
    type: 'order_placed',
    order_id: `o-${i}`,
    user_id: `u-${i % 97}`,
    ts: new Date(BASE_TS + i * 60_000).toISOString(),
    currency: 'EUR',
    items: [
      { sku: `SKU-${i % 50}`, qty: 1 + (i % 3), unit_price: 2.5 },
      { sku: `SKU-${(i + 1) % 50}`, qty: 1, unit_price: 10, category: `cat-${i % 5}` },
    ],
  };
}

function stock(i: number): Obj {
  return {
    sku: `SKU-${i % 50}`,
    on_hand: 10 + (i % 40),
    on_order: i % 3,
    lead_time_days: 1 + (i % 7),
    ts: new Date(BASE_TS + i * 30_000).toISOString(),
  };
}

interface TopicShape {
  topic: string;
  make: (i: number) => Obj;
  /** Required fields of message `e` (sku is required for some click types). */
  required: (e: Obj) => string[];
  strings: string[];
  numbers: string[];
  /** Fields with a length limit, for huge strings. */
  limited: string[];
}

const SHAPES: TopicShape[] = [
  {
    topic: TOPICS.clickstream,
    make: click,
    required: (e) => [
      'event_id',
      'type',
      'user_id',
      'session_id',
      'ts',
      ...(SKU_TYPES.has(String(e.type)) ? ['sku'] : []),
    ],
    strings: ['event_id', 'type', 'user_id', 'session_id', 'ts', 'sku', 'category', 'query'],
    numbers: ['price'],
    limited: ['user_id', 'session_id', 'sku', 'category', 'query'],
  },
  {
    topic: TOPICS.orders,
    make: order,
    required: () => ['event_id', 'type', 'order_id', 'user_id', 'ts', 'currency', 'items'],
    strings: ['event_id', 'type', 'order_id', 'user_id', 'ts', 'currency', 'items.0.sku'],
    numbers: ['items.0.qty', 'items.1.unit_price'],
    limited: ['order_id', 'user_id', 'items.0.sku', 'items.1.category'],
  },
  {
    topic: TOPICS.inventory,
    make: stock,
    required: () => ['sku', 'on_hand', 'on_order', 'lead_time_days', 'ts'],
    strings: ['sku', 'ts'],
    numbers: ['on_hand', 'on_order', 'lead_time_days'],
    limited: ['sku'],
  },
];

function setPath(root: Obj, path: string, v: unknown): void {
  const parts = path.split('.');
  let cur: Record<string, unknown> = root;
  for (const p of parts.slice(0, -1)) cur = cur[p] as Record<string, unknown>;
  cur[parts[parts.length - 1]] = v;
}

const nonString = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ minLength: 1, maxLength: 4 }), fc.integer(), { maxKeys: 3 }),
);
const nonNumber = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.constant({}),
);
const badUtf8 = fc.constantFrom(
  [0xff],
  [0xc3, 0x28],
  [0xed, 0xa0, 0x80], // a UTF-16 surrogate encoded
  [0xc0, 0xaf], // an overlong '/'
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xe2, 0x82], // a truncated 3-byte sequence
);
const noZone = fc.constantFrom(
  '2026-11-20T10:00:00',
  '2026-11-20 10:00:00',
  '2026-11-20T10:00:00.000',
  '2026-11-20',
  '1763632800000',
);

const MARK = '\u0001MARK\u0001';

/** One malformed message of `kind` on `shape`, from message number `i`. */
function poison(
  shape: TopicShape,
  i: number,
  kind: PoisonKind,
  pick: number,
  extra: { bad: unknown; size: number; bytes: readonly number[]; ts: string },
): { value: Buffer; field: string } {
  const e = shape.make(i);
  const at = <T>(xs: T[]): T => xs[pick % xs.length];
  switch (kind) {
    case 'wrong-type': {
      // the caller hands a non-number for a number field (even picks) and a non-string otherwise
      const f = pick % 2 === 0 && shape.numbers.length > 0 ? at(shape.numbers) : at(shape.strings);
      setPath(e, f, extra.bad);
      return { value: Buffer.from(JSON.stringify(e)), field: f };
    }
    case 'missing': {
      const f = at(shape.required(e));
      delete e[f];
      return { value: Buffer.from(JSON.stringify(e)), field: f };
    }
    case 'huge-string': {
      const f = at(shape.limited);
      setPath(e, f, 'x'.repeat(extra.size));
      return { value: Buffer.from(JSON.stringify(e)), field: f };
    }
    case 'deep-nesting': {
      const f = at(shape.required(e));
      const depth = extra.size;
      const nested =
        pick % 2 === 0
          ? '['.repeat(depth) + ']'.repeat(depth)
          : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
      setPath(e, f, MARK);
      const text = JSON.stringify(e).replace(JSON.stringify(MARK), nested);
      return { value: Buffer.from(text), field: f };
    }
    case 'invalid-utf8': {
      const f = at(
        shape.strings.filter((s) => !s.startsWith('items') && s !== 'ts' && s !== 'event_id'),
      );
      setPath(e, f, `v${MARK}w`);
      const [before, after] = JSON.stringify(e).split(JSON.stringify(MARK).slice(1, -1));
      return {
        value: Buffer.concat([Buffer.from(before), Buffer.from(extra.bytes), Buffer.from(after)]),
        field: '$',
      };
    }
    case 'nan-literal': {
      const f = at(shape.numbers);
      setPath(e, f, MARK);
      return {
        value: Buffer.from(
          JSON.stringify(e).replace(JSON.stringify(MARK), at(['NaN', 'Infinity', '-Infinity'])),
        ),
        field: '$',
      };
    }
    case 'infinity': {
      const f = at(shape.numbers);
      setPath(e, f, MARK);
      return {
        value: Buffer.from(
          JSON.stringify(e).replace(JSON.stringify(MARK), at(['1e999', '-1e999'])),
        ),
        field: f,
      };
    }
    case 'no-zone-ts':
      e.ts = extra.ts;
      return { value: Buffer.from(JSON.stringify(e)), field: 'ts' };
    case 'proto-smuggling': {
      // the required field only exists on a would-be prototype: it must still count as missing
      const f = at(shape.required(e).filter((x) => x !== 'items'));
      const v = e[f];
      delete e[f];
      const body = JSON.stringify(e).slice(1);
      const smuggled =
        pick % 2 === 0
          ? `{"__proto__":${JSON.stringify({ [f]: v })},${body}`
          : `{"constructor":{"prototype":${JSON.stringify({ [f]: v })}},${body}`;
      return { value: Buffer.from(smuggled), field: f };
    }
    case 'truncated': {
      const text = JSON.stringify(e);
      return { value: Buffer.from(text.slice(0, 1 + (pick % (text.length - 1)))), field: '$' };
    }
    case 'not-object':
      return {
        value: Buffer.from(at(['[]', '42', '"event"', 'null', 'true', JSON.stringify([e])])),
        field: '$',
      };
    case 'empty':
      return { value: Buffer.alloc(0), field: '$' };
  }
}

export const POISON_KINDS: PoisonKind[] = [
  'wrong-type',
  'missing',
  'huge-string',
  'deep-nesting',
  'invalid-utf8',
  'nan-literal',
  'infinity',
  'no-zone-ts',
  'proto-smuggling',
  'truncated',
  'not-object',
  'empty',
];

/**
 * `n` malformed messages spread over the three input topics and every kind, deterministic for a
 * seed. Huge strings are 1 KiB to 64 KiB (a few up to 512 KiB), nesting 20 to 20,000 levels.
 */
export function poisonCorpus(n: number, seed = 20261201): PoisonCase[] {
  const arb = fc.record({
    shape: fc.nat(SHAPES.length - 1),
    kind: fc.constantFrom(...POISON_KINDS),
    i: fc.nat(1_000_000),
    pick: fc.nat(1_000),
    badString: nonString,
    badNumber: nonNumber,
    size: fc.oneof(
      { weight: 20, arbitrary: fc.integer({ min: 1_025, max: 65_536 }) },
      { weight: 1, arbitrary: fc.integer({ min: 65_536, max: 512 * 1024 }) },
    ),
    depth: fc.integer({ min: 20, max: 20_000 }),
    bytes: badUtf8,
    ts: noZone,
  });
  return fc.sample(arb, { numRuns: n, seed }).map((r, k) => {
    const shape = SHAPES[r.shape];
    const numberField = r.kind === 'wrong-type' && r.pick % 2 === 0 && shape.numbers.length > 0;
    const { value, field } = poison(shape, r.i, r.kind, r.pick, {
      bad: numberField ? r.badNumber : r.badString,
      size: r.kind === 'deep-nesting' ? r.depth : r.size,
      bytes: r.bytes,
      ts: r.ts,
    });
    return { topic: shape.topic, key: `poison-${k}`, value, kind: r.kind, field };
  });
}

/** `n` valid messages over the three topics (event ids unique within the corpus). */
export function validCorpus(n: number, baseMs = BASE_TS, stepMs = 1000): ValidCase[] {
  return Array.from({ length: n }, (_, k) => {
    const shape = SHAPES[k % SHAPES.length];
    const e = shape.make(5_000_000 + k);
    e.ts = new Date(baseMs + k * stepMs).toISOString();
    return {
      topic: shape.topic,
      key: `valid-${k}`,
      value: Buffer.from(JSON.stringify(e)),
      rows: shape.topic === TOPICS.orders ? (e.items as unknown[]).length : 1,
      eventId: typeof e.event_id === 'string' ? e.event_id : undefined,
    };
  });
}

/** The reason names the field: exactly, or a field inside it (`items` → `items.0`). */
export function namesField(fields: readonly string[], expected: string): boolean {
  return fields.some((f) => f === expected || f.startsWith(`${expected}.`));
}

/** Valid and malformed messages interleaved per topic, deterministically. */
export function interleave<A, B>(a: A[], b: B[], seed = 7): (A | B)[] {
  const out: (A | B)[] = [...a, ...b];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
