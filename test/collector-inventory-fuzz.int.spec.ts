import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { Kafka } from 'kafkajs';
import { DLQ_HEADERS, TOPICS, TOPIC_SPECS, decodeStorefrontReference } from '@storepulse/contracts';
import { ensureTopics } from '@storepulse/kafka';
import { newWriteKey, type IngestResult } from '@storepulse/collector';
import { testKafka, waitFor } from './support/kafka';
import { testConfig } from './support/env';
import {
  post,
  recordTopics,
  startCollector,
  type RunningCollector,
  type SeenRecord,
} from './support/collector';

/**
 * Fuzz of POST /v1/inventory: INVENTORY_FUZZ_RUNS (default 500) generated bodies — valid stock
 * positions, positions with one field mutated (deleted, wrong type, negative, too long, out of
 * range, a bad time), random JSON, `__proto__`/`constructor` keys, as arrays, single objects,
 * NDJSON and beacons, and bodies broken as a whole (truncated, bad UTF-8, a bad NDJSON line, too
 * deep, too many, too large, wrong type) — against the running collector on the real broker. Each
 * request gets a 4xx with a message, or 200 with a result per position that the zod reference
 * decoder agrees with; a position with one mutated field is rejected naming exactly that field.
 * Afterwards inventory.stock.v1 holds exactly the accepted positions (as often as accepted, declared
 * fields only), the DLQ the rejected ones with their original bytes, and the process is alive.
 */
const RUNS = Number(process.env.INVENTORY_FUZZ_RUNS ?? 500);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const MAX_EVENTS = 30;
const MAX_BYTES = 32 * 1024;
const MAX_DEPTH = 8;
const FIELDS = ['sku', 'on_hand', 'on_order', 'lead_time_days', 'ts'] as const;

type BodyKind =
  | 'array'
  | 'single'
  | 'ndjson'
  | 'beacon'
  | 'truncated'
  | 'bad-utf8'
  | 'ndjson-bad-line'
  | 'too-deep'
  | 'too-many'
  | 'oversize'
  | 'wrong-type';

/** One generated position: its bytes and, when one field of a valid one was changed, which. */
interface Item {
  text: string;
  mutated: string | null;
}
interface Case {
  kind: BodyKind;
  items: Item[];
  cut: number;
}

/** Canonical form of a stock position (sorted keys): what the topic must hold for a valid one. */
function canonical(v: Record<string, unknown>): string {
  return JSON.stringify(
    Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))),
  );
}

/** The reference verdict: the canonical accepted position (zod decoder), or null when rejected. */
function oracle(text: string): string | null {
  const d = decodeStorefrontReference(TOPICS.inventory, text);
  return d.ok ? canonical(d.value.event) : null;
}

function arbitraries(run: string) {
  const ts = fc
    .date({
      min: new Date('2020-01-01T00:00:00Z'),
      max: new Date('2030-01-01T00:00:00Z'),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString());
  const position = fc.record({
    sku: fc.oneof(
      fc.string({ minLength: 1, maxLength: 30 }).map((s) => `inv-${run}-${s}`),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).map((s) => `inv-${run}-${s}`),
    ),
    on_hand: fc.integer({ min: -1000, max: 1_000_000 }),
    on_order: fc.integer({ min: 0, max: 1_000_000 }),
    lead_time_days: fc.oneof(
      fc.integer({ min: 0, max: 365 }),
      fc.double({ min: 0, max: 365, noNaN: true }),
    ),
    ts,
  });
  const bad = fc.oneof(
    fc.constant<'delete'>('delete'),
    fc.jsonValue({ maxDepth: 3 }),
    fc.constant('x'.repeat(1500)),
    fc.constant(-1),
    fc.constant(1.5),
    fc.constant(366),
    fc.constant(''),
    fc.constant('2026-13-45T99:00:00'),
    fc.constant(Number.POSITIVE_INFINITY), // serialises as null
    fc.constant({ __proto__: { polluted: 'yes' } }),
  );
  const mutated = fc.tuple(position, fc.constantFrom(...FIELDS), bad).map(([p, f, v]): Item => {
    const o: Record<string, unknown> = { ...p };
    if (v === 'delete') delete o[f];
    else o[f] = v;
    return { text: JSON.stringify(o), mutated: f };
  });
  const item: fc.Arbitrary<Item> = fc.oneof(
    { weight: 4, arbitrary: position.map((p) => ({ text: JSON.stringify(p), mutated: null })) },
    { weight: 4, arbitrary: mutated },
    {
      weight: 1,
      arbitrary: fc
        .jsonValue({ maxDepth: 4 })
        .map((v) => ({ text: JSON.stringify(v) ?? 'null', mutated: null })),
    },
    {
      weight: 1,
      arbitrary: position.map((p) => ({
        text: JSON.stringify(p).replace(
          /^\{/,
          '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"extra":[1,{"a":2}],',
        ),
        mutated: null,
      })),
    },
  );
  return fc.record<Case>({
    kind: fc.constantFrom<BodyKind>(
      'array',
      'array',
      'array',
      'single',
      'ndjson',
      'beacon',
      'truncated',
      'bad-utf8',
      'ndjson-bad-line',
      'too-deep',
      'too-many',
      'oversize',
      'wrong-type',
    ),
    items: fc.array(item, { minLength: 1, maxLength: 12 }),
    cut: fc.nat(),
  });
}

interface Built {
  body: Buffer;
  contentType: string;
  beacon: boolean;
  /** The positions when the request should be read item by item, else null. */
  items: Item[] | null;
  expect: 'ok' | 400 | 413 | 415;
}

function build(c: Case): Built {
  const b = buildBody(c);
  return b.body.length > MAX_BYTES ? { ...b, items: null, expect: 413 } : b;
}

function buildBody(c: Case): Built {
  const texts = c.items.map((i) => i.text);
  const arr = `[${texts.join(',')}]`;
  const json = 'application/json';
  const whole = (body: Buffer, expect: 400 | 413 | 415, contentType = json): Built => ({
    body,
    contentType,
    beacon: false,
    items: null,
    expect,
  });
  switch (c.kind) {
    case 'array':
      return {
        body: Buffer.from(arr),
        contentType: json,
        beacon: false,
        items: c.items,
        expect: 'ok',
      };
    case 'single': {
      const one = c.items.find((i) => !i.text.startsWith('[')) ?? { text: '{}', mutated: null };
      return {
        body: Buffer.from(one.text),
        contentType: json,
        beacon: false,
        items: [one],
        expect: 'ok',
      };
    }
    case 'ndjson':
      return {
        body: Buffer.from(texts.join('\n') + '\n'),
        contentType: 'application/x-ndjson',
        beacon: false,
        items: c.items,
        expect: 'ok',
      };
    case 'beacon':
      return {
        body: Buffer.from(arr),
        contentType: 'text/plain;charset=UTF-8',
        beacon: true,
        items: c.items,
        expect: 'ok',
      };
    case 'truncated':
      return whole(Buffer.from(arr.slice(0, c.cut % arr.length)), 400);
    case 'bad-utf8': {
      const b = Buffer.from(arr);
      const at = 1 + (c.cut % (b.length - 1));
      return whole(
        Buffer.concat([b.subarray(0, at), Buffer.from([0xc3, 0x28]), b.subarray(at)]),
        400,
      );
    }
    case 'ndjson-bad-line': {
      const lines = [...texts];
      lines.splice(c.cut % (lines.length + 1), 0, '{"sku": oops');
      return whole(Buffer.from(lines.join('\n')), 400, 'application/x-ndjson');
    }
    case 'too-deep': {
      const deep = `{"sku":"d","nest":${'{"a":'.repeat(MAX_DEPTH)}1${'}'.repeat(MAX_DEPTH)}}`;
      return whole(Buffer.from(`[${[...texts, deep].join(',')}]`), 400);
    }
    case 'too-many': {
      const many = Array.from({ length: MAX_EVENTS + 1 }, (_, k) => texts[k % texts.length]);
      return whole(Buffer.from(`[${many.join(',')}]`), 413);
    }
    case 'oversize':
      return whole(
        Buffer.from(`[${[...texts, JSON.stringify({ sku: 'p'.repeat(MAX_BYTES) })].join(',')}]`),
        413,
      );
    case 'wrong-type':
      return whole(Buffer.from(arr), 415, 'application/xml');
  }
}

describe(`collector inventory fuzz: ${RUNS} generated bodies at POST /v1/inventory (real broker)`, () => {
  const run = randomUUID().slice(0, 8);
  const storefront = `inv-fuzz-${run}`;
  const key = newWriteKey(storefront);
  let kafka: Kafka;
  let c: RunningCollector;
  let seen: { records: SeenRecord[]; stop(): Promise<void> };

  before(async () => {
    kafka = testKafka();
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, TOPIC_SPECS, 3, 1);
    await admin.disconnect();
    seen = await recordTopics(kafka, [TOPICS.inventory, TOPICS.storefrontDlq]);
    c = await startCollector(
      testConfig({
        COLLECTOR_WRITE_KEYS: key.configEntry,
        COLLECTOR_MAX_EVENTS: String(MAX_EVENTS),
        COLLECTOR_MAX_BODY_BYTES: String(MAX_BYTES),
        COLLECTOR_MAX_DEPTH: String(MAX_DEPTH),
        COLLECTOR_RATE_PER_SEC: '0',
      }),
      kafka,
    );
  });
  after(async () => {
    await c?.close();
    await seen?.stop();
  });

  it('precise 4xx or per-position results; exactly the accepted positions produced; DLQ bytes exact', async () => {
    const expected = new Map<string, number>(); // canonical position → times accepted
    const expectedDlq = new Map<string, string>(); // `${requestId}|${index}` → original bytes
    const statuses = new Map<string, number>();
    let acceptedTotal = 0;
    let fieldChecked = 0;
    await fc.assert(
      fc.asyncProperty(arbitraries(run), async (cs) => {
        const b = build(cs);
        const url = `${c.url}/v1/inventory${b.beacon ? `?key=${encodeURIComponent(key.key)}` : ''}`;
        const r = await post(url, b.body, {
          'content-type': b.contentType,
          ...(b.beacon ? {} : { 'x-api-key': key.key }),
        });
        const sk = `${cs.kind}:${r.status}`;
        statuses.set(sk, (statuses.get(sk) ?? 0) + 1);
        if (r.status !== 200) {
          const msg = (r.json as { message?: unknown } | undefined)?.message;
          assert.equal(
            typeof msg,
            'string',
            `${cs.kind}: ${r.status} without a message: ${r.text}`,
          );
          assert.equal(r.status, b.expect, `${cs.kind}: ${r.text}`);
          if (cs.kind === 'ndjson-bad-line')
            assert.match(String(msg), /^line \d+ is not valid JSON/);
          if (cs.kind === 'too-deep') assert.match(String(msg), /nesting deeper than 8/);
          return;
        }
        assert.equal(b.expect, 'ok', `${cs.kind}: 200 for a broken body: ${r.text}`);
        assert.ok(b.items);
        const res = r.json as IngestResult;
        const requestId = r.headers.get('x-request-id') ?? '';
        const rejected = new Map(res.rejected.map((x) => [x.index, x]));
        assert.equal(res.accepted + res.rejected.length, b.items.length);
        b.items.forEach((item, index) => {
          const want = oracle(item.text);
          const rj = rejected.get(index);
          assert.equal(
            rj === undefined,
            want !== null,
            `position ${index}: ${item.text} → ${r.text}`,
          );
          if (want !== null) {
            expected.set(want, (expected.get(want) ?? 0) + 1);
            return;
          }
          assert.ok(rj && rj.errors.length > 0);
          for (const e of rj.errors) assert.ok(e.field.length > 0 && e.message.length > 0, r.text);
          if (item.mutated !== null) {
            // one field of a valid position was changed: the errors name that field, nothing else
            fieldChecked++;
            for (const e of rj.errors)
              assert.ok(
                e.field === item.mutated || e.field.startsWith(`${item.mutated}.`),
                `mutated ${item.mutated}, error on ${e.field}: ${item.text}`,
              );
          }
          expectedDlq.set(`${requestId}|${index}`, item.text);
        });
        acceptedTotal += res.accepted;
      }),
      { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }), endOnFailure: true },
    );
    assert.equal(
      ({} as Record<string, unknown>)['polluted'],
      undefined,
      'Object.prototype polluted',
    );
    assert.equal((await fetch(`${c.url}/health/live`)).status, 200);
    assert.ok(fieldChecked > 0, 'some single-field mutations were rejected');

    const ours = () => seen.records.filter((x) => x.headers['x-storefront'] === storefront);
    await waitFor(
      () => Promise.resolve(ours().length >= acceptedTotal + expectedDlq.size),
      60_000,
      `${acceptedTotal} positions + ${expectedDlq.size} dead letters`,
    );
    await new Promise((res) => setTimeout(res, 1500)); // anything extra arrives too
    const got = new Map<string, number>();
    const dlq = new Map<string, string>();
    for (const rec of ours()) {
      if (rec.topic === TOPICS.storefrontDlq) {
        const k = `${rec.headers['x-dlq-request-id']}|${rec.headers['x-dlq-index']}`;
        assert.ok(!dlq.has(k), `dead letter ${k} twice`);
        dlq.set(k, rec.value);
        assert.ok(rec.headers[DLQ_HEADERS.reason].length > 0);
        assert.equal(rec.headers[DLQ_HEADERS.sourceTopic], TOPICS.inventory);
        continue;
      }
      const v = JSON.parse(rec.value) as Record<string, unknown>;
      assert.deepEqual(
        Object.keys(v).sort(),
        [...FIELDS].sort(),
        `declared fields only: ${rec.value}`,
      );
      assert.equal(rec.key, v['sku'], 'keyed by sku');
      const k = canonical(v);
      got.set(k, (got.get(k) ?? 0) + 1);
    }
    assert.deepEqual(
      new Map([...got].sort()),
      new Map([...expected].sort()),
      'positions on the topic',
    );
    assert.equal(dlq.size, expectedDlq.size);
    for (const [k, bytes] of expectedDlq) assert.equal(dlq.get(k), bytes, `dead letter ${k}`);
    console.log(
      `inventory fuzz: ${RUNS} requests, ${acceptedTotal} positions accepted, ${expectedDlq.size} dead-lettered, ` +
        `${fieldChecked} single-field rejections checked; ` +
        [...statuses]
          .sort()
          .map(([k, n]) => `${k}=${n}`)
          .join(' '),
    );
  });
});
