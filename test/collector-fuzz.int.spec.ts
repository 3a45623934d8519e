import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { Kafka } from 'kafkajs';
import {
  CLICKSTREAM_TYPES,
  DLQ_HEADERS,
  ORDER_TYPES,
  TOPICS,
  TOPIC_SPECS,
  decodeStorefrontReference,
} from '@storepulse/contracts';
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
 * Fuzz: FUZZ_RUNS (default 2000) generated request bodies — valid, mutated and random events in
 * arrays, single objects, NDJSON and beacons, and bodies broken as a whole (truncated, bad UTF-8, a
 * bad NDJSON line, too deep, too many, too large, wrong type) — against the running collector on
 * the real broker. Every request gets 200 with a per-event result that the zod reference decoder
 * agrees with, or a 4xx naming the problem; afterwards the event topics hold exactly the accepted
 * events (each as often as it was accepted), the DLQ exactly the rejected ones with their bytes,
 * nothing of a refused request, and the process is alive.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const MAX_EVENTS = 30;
const MAX_BYTES = 32 * 1024;
const MAX_DEPTH = 8;

const CLICK = new Set<string>(CLICKSTREAM_TYPES);
const ORDER = new Set<string>(ORDER_TYPES);

type BodyKind =
  | 'array'
  | 'single'
  | 'ndjson'
  | 'beacon'
  | 'truncated'
  | 'garbage'
  | 'bad-utf8'
  | 'ndjson-bad-line'
  | 'too-deep'
  | 'too-many'
  | 'oversize'
  | 'wrong-type';

interface Case {
  kind: BodyKind;
  events: string[];
  cut: number;
  garbage: string;
}

/** The reference verdict on one event's bytes: its topic when valid (zod decoder), else null. */
function oracle(text: string): string | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const type = (v as Record<string, unknown>)['type'];
  const topic =
    typeof type === 'string' && CLICK.has(type)
      ? TOPICS.clickstream
      : typeof type === 'string' && ORDER.has(type)
        ? TOPICS.orders
        : null;
  if (topic === null) return null;
  return decodeStorefrontReference(topic, text).ok ? topic : null;
}

const eventId = (text: string): string | null => {
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    return typeof v['event_id'] === 'string' ? v['event_id'] : null;
  } catch {
    return null;
  }
};

function arbitraries(user: string) {
  const str = (max: number) =>
    fc.oneof(
      fc.string({ minLength: 1, maxLength: max }),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: max }),
    );
  const ts = fc
    .date({
      min: new Date('2020-01-01T00:00:00Z'),
      max: new Date('2030-01-01T00:00:00Z'),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString());
  const click = fc.record(
    {
      event_id: fc.uuid({ version: 4 }),
      type: fc.constantFrom(...CLICKSTREAM_TYPES),
      user_id: fc.constant(user),
      session_id: str(20),
      ts,
      sku: str(20),
      price: fc.double({ min: 0, max: 1e6, noNaN: true }),
      category: str(10),
      query: str(40),
    },
    { requiredKeys: ['event_id', 'type', 'user_id', 'session_id', 'ts'] },
  );
  const item = fc.record(
    {
      sku: str(20),
      qty: fc.integer({ min: 1, max: 50 }),
      unit_price: fc.double({ min: 0, max: 1e4, noNaN: true }),
      category: str(10),
    },
    { requiredKeys: ['sku', 'qty', 'unit_price'] },
  );
  const order = fc.record({
    event_id: fc.uuid({ version: 4 }),
    type: fc.constantFrom(...ORDER_TYPES),
    order_id: str(20),
    user_id: fc.constant(user),
    ts,
    currency: fc.constantFrom('EUR', 'USD', 'GBP'),
    items: fc.array(item, { minLength: 1, maxLength: 4 }),
  });
  const valid = fc.oneof(click, order).map((e) => e as Record<string, unknown>);
  const FIELDS = [
    'event_id',
    'type',
    'user_id',
    'session_id',
    'ts',
    'sku',
    'price',
    'order_id',
    'currency',
    'items',
    'query',
  ];
  const mutated = fc
    .tuple(
      valid,
      fc.constantFrom(...FIELDS),
      fc.oneof(
        fc.constant<'delete'>('delete'),
        fc.jsonValue({ maxDepth: 3 }),
        fc.constant('x'.repeat(1500)),
        fc.constant(-1),
        fc.constant('2026-13-45T99:00:00'),
      ),
    )
    .map(([e, f, v]) => {
      const o = { ...e };
      if (v === 'delete') delete o[f];
      else o[f] = v;
      return JSON.stringify(o);
    });
  const polluting = valid.map((e) =>
    JSON.stringify(e).replace(
      /^\{/,
      '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},',
    ),
  );
  const event = fc.oneof(
    { weight: 4, arbitrary: valid.map((e) => JSON.stringify(e)) },
    { weight: 4, arbitrary: mutated },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 1, arbitrary: polluting },
  );
  return fc.record<Case>({
    kind: fc.constantFrom<BodyKind>(
      'array',
      'array',
      'array',
      'single',
      'ndjson',
      'ndjson',
      'beacon',
      'truncated',
      'garbage',
      'bad-utf8',
      'ndjson-bad-line',
      'too-deep',
      'too-many',
      'oversize',
      'wrong-type',
    ),
    events: fc.array(event, { minLength: 1, maxLength: 12 }),
    cut: fc.nat(),
    garbage: fc.string({ maxLength: 60 }),
  });
}

interface Built {
  body: Buffer;
  contentType: string;
  beacon: boolean;
  /** Per event: original bytes, when the request should be read as events. */
  events: string[] | null;
  expect: 'ok' | 400 | 413 | 415 | 'ok-or-400';
}

/** Any body over the byte limit is 413, whatever else is wrong with it. */
function build(c: Case): Built {
  const b = buildBody(c);
  return b.body.length > MAX_BYTES ? { ...b, events: null, expect: 413 } : b;
}

function buildBody(c: Case): Built {
  const arr = `[${c.events.join(',')}]`;
  const json = 'application/json';
  switch (c.kind) {
    case 'array':
      return {
        body: Buffer.from(arr),
        contentType: json,
        beacon: false,
        events: c.events,
        expect: 'ok',
      };
    case 'single': {
      // a top-level array would be a batch: take an event that is not one
      const one = c.events.find((e) => !e.startsWith('[')) ?? '{}';
      return {
        body: Buffer.from(one),
        contentType: json,
        beacon: false,
        events: [one],
        expect: 'ok',
      };
    }
    case 'ndjson':
      return {
        body: Buffer.from(c.events.join('\n') + '\n'),
        contentType: 'application/x-ndjson',
        beacon: false,
        events: c.events,
        expect: 'ok',
      };
    case 'beacon':
      return {
        body: Buffer.from(arr),
        contentType: 'text/plain;charset=UTF-8',
        beacon: true,
        events: c.events,
        expect: 'ok',
      };
    case 'truncated':
      return {
        body: Buffer.from(arr.slice(0, c.cut % arr.length)),
        contentType: json,
        beacon: false,
        events: null,
        expect: 400,
      };
    case 'garbage':
      return {
        body: Buffer.from(c.garbage),
        contentType: json,
        beacon: false,
        events: null,
        expect: 'ok-or-400',
      };
    case 'bad-utf8': {
      const b = Buffer.from(arr);
      const at = 1 + (c.cut % (b.length - 1));
      return {
        body: Buffer.concat([b.subarray(0, at), Buffer.from([0xc3, 0x28]), b.subarray(at)]),
        contentType: json,
        beacon: false,
        events: null,
        expect: 400,
      };
    }
    case 'ndjson-bad-line': {
      const lines = [...c.events];
      lines.splice(c.cut % (lines.length + 1), 0, '{"event_id": oops');
      return {
        body: Buffer.from(lines.join('\n')),
        contentType: 'application/x-ndjson',
        beacon: false,
        events: null,
        expect: 400,
      };
    }
    case 'too-deep': {
      const deep = `{"nest":${'['.repeat(MAX_DEPTH)}1${']'.repeat(MAX_DEPTH)}}`;
      return {
        body: Buffer.from(`[${[...c.events, deep].join(',')}]`),
        contentType: json,
        beacon: false,
        events: null,
        expect: 400,
      };
    }
    case 'too-many': {
      const many = Array.from({ length: MAX_EVENTS + 1 }, (_, k) => c.events[k % c.events.length]);
      return {
        body: Buffer.from(`[${many.join(',')}]`),
        contentType: json,
        beacon: false,
        events: null,
        expect: 413,
      };
    }
    case 'oversize':
      return {
        body: Buffer.from(
          `[${[...c.events, JSON.stringify({ pad: 'p'.repeat(MAX_BYTES) })].join(',')}]`,
        ),
        contentType: json,
        beacon: false,
        events: null,
        expect: 413,
      };
    case 'wrong-type':
      return {
        body: Buffer.from(arr),
        contentType: 'application/xml',
        beacon: false,
        events: null,
        expect: 415,
      };
  }
}

describe(`collector fuzz: ${RUNS} generated bodies against the running collector (real broker)`, () => {
  const run = randomUUID().slice(0, 8);
  const storefront = `fuzz-${run}`;
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
    seen = await recordTopics(kafka, [
      TOPICS.clickstream,
      TOPICS.orders,
      TOPICS.inventory,
      TOPICS.storefrontDlq,
    ]);
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

  it('precise 4xx or per-event results; exactly the accepted events on the topics; DLQ bytes exact', async () => {
    const expected = new Map<string, number>(); // `${topic}|${event_id}` → times accepted
    const expectedDlq = new Map<string, string>(); // `${requestId}|${index}` → original bytes
    const garbageDlq = new Map<string, number>(); // requestId → rejected (random bytes that parsed)
    const statuses = new Map<string, number>();
    let acceptedTotal = 0;
    await fc.assert(
      fc.asyncProperty(arbitraries(`fz-${run}`), async (cs) => {
        const b = build(cs);
        const url = `${c.url}/v1/events${b.beacon ? `?key=${encodeURIComponent(key.key)}` : ''}`;
        const r = await post(url, b.body, {
          'content-type': b.contentType,
          ...(b.beacon ? {} : { 'x-api-key': key.key }),
        });
        statuses.set(`${cs.kind}:${r.status}`, (statuses.get(`${cs.kind}:${r.status}`) ?? 0) + 1);
        if (r.status !== 200) {
          const msg = (r.json as { message?: unknown } | undefined)?.message;
          assert.equal(
            typeof msg,
            'string',
            `${cs.kind}: ${r.status} without a message: ${r.text}`,
          );
          if (b.expect === 'ok-or-400') assert.equal(r.status, 400, r.text);
          else assert.equal(r.status, b.expect, `${cs.kind}: ${r.text}`);
          if (cs.kind === 'ndjson-bad-line')
            assert.match(String(msg), /^line \d+ is not valid JSON/);
          if (cs.kind === 'too-deep') assert.match(String(msg), /nesting deeper than 8/);
          return;
        }
        assert.ok(
          b.expect === 'ok' || b.expect === 'ok-or-400',
          `${cs.kind}: 200 for a broken body`,
        );
        const res = r.json as IngestResult;
        const requestId = r.headers.get('x-request-id') ?? '';
        if (b.events === null) {
          // garbage that happened to be JSON: no event of ours can be valid
          assert.equal(res.accepted, 0, r.text);
          garbageDlq.set(requestId, res.rejected.length);
          return;
        }
        const rejected = new Set(res.rejected.map((x) => x.index));
        assert.equal(res.accepted + res.rejected.length, b.events.length);
        b.events.forEach((text, index) => {
          const topic = oracle(text);
          assert.equal(rejected.has(index), topic === null, `event ${index}: ${text} → ${r.text}`);
          if (topic !== null) {
            const k = `${topic}|${eventId(text)}`;
            expected.set(k, (expected.get(k) ?? 0) + 1);
          } else {
            expectedDlq.set(`${requestId}|${index}`, text);
            const rj = res.rejected.find((x) => x.index === index);
            assert.ok(
              rj &&
                rj.errors.length > 0 &&
                rj.errors.every((e) => e.field.length > 0 && e.message.length > 0),
            );
          }
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
    const live = await fetch(`${c.url}/health/live`);
    assert.equal(live.status, 200);

    const ours = () => seen.records.filter((x) => x.headers['x-storefront'] === storefront);
    const wantEvents = [...expected.values()].reduce((a, b) => a + b, 0);
    assert.equal(wantEvents, acceptedTotal);
    await waitFor(
      () =>
        Promise.resolve(
          ours().length >=
            wantEvents + expectedDlq.size + [...garbageDlq.values()].reduce((a, b) => a + b, 0),
        ),
      60_000,
      `${wantEvents} events + ${expectedDlq.size} dead letters`,
    );
    await new Promise((r) => setTimeout(r, 1500)); // anything extra arrives too
    const got = new Map<string, number>();
    const dlq = new Map<string, string>();
    for (const rec of ours()) {
      if (rec.topic === TOPICS.storefrontDlq) {
        const g = garbageDlq.get(rec.headers['x-dlq-request-id']);
        if (g !== undefined) {
          assert.ok(g > 0, 'a dead letter for a request that rejected nothing');
          garbageDlq.set(rec.headers['x-dlq-request-id'], g - 1);
          continue;
        }
        const k = `${rec.headers['x-dlq-request-id']}|${rec.headers['x-dlq-index']}`;
        assert.ok(!dlq.has(k), `dead letter ${k} twice`);
        dlq.set(k, rec.value);
        assert.ok(rec.headers[DLQ_HEADERS.reason].length > 0);
        continue;
      }
      const v = JSON.parse(rec.value) as { event_id: string };
      // declared fields only: the injected __proto__ / constructor keys never reach a topic
      for (const k of Object.keys(v))
        assert.ok(!['__proto__', 'constructor', 'prototype', 'polluted'].includes(k), rec.value);
      const k = `${rec.topic}|${v.event_id}`;
      got.set(k, (got.get(k) ?? 0) + 1);
    }
    assert.deepEqual(
      new Map([...got].sort()),
      new Map([...expected].sort()),
      'events on the topics',
    );
    assert.equal(dlq.size, expectedDlq.size);
    assert.ok(
      [...garbageDlq.values()].every((n) => n === 0),
      'dead letters of parsed garbage',
    );
    for (const [k, bytes] of expectedDlq) assert.equal(dlq.get(k), bytes, `dead letter ${k}`);
    console.log(
      `fuzz: ${RUNS} requests, ${acceptedTotal} events accepted, ${expectedDlq.size} dead-lettered; ` +
        [...statuses]
          .sort()
          .map(([k, n]) => `${k}=${n}`)
          .join(' '),
    );
  });
});
