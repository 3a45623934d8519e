import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DLQ_HEADERS, TOPICS } from '@storepulse/contracts';
import { parseBody } from './parse-body';
import { COLLECTOR_DLQ_GROUP, routeEvents, type Endpoint } from './route-events';

const ctx = {
  requestId: 'req-1',
  storefront: 'shopA',
  receivedAt: new Date('2026-12-01T10:00:00Z'),
};
const click = (over: Record<string, unknown> = {}) => ({
  event_id: randomUUID(),
  type: 'page_view',
  user_id: 'u-1',
  session_id: 's-1',
  ts: '2026-12-01T09:59:00Z',
  ...over,
});
const order = (over: Record<string, unknown> = {}) => ({
  event_id: randomUUID(),
  type: 'order_placed',
  order_id: 'o-1',
  user_id: 'u-1',
  ts: '2026-12-01T09:59:00Z',
  currency: 'EUR',
  items: [{ sku: 'SKU-1', qty: 2, unit_price: 3.5 }],
  ...over,
});
function route(endpoint: Endpoint, body: string) {
  const p = parseBody(Buffer.from(body), 'application/json', { maxEvents: 1000, maxDepth: 8 });
  if (!p.ok) assert.fail(p.message);
  return routeEvents(endpoint, p.events, ctx);
}

describe('routeEvents', () => {
  it('routes by type to the clickstream and orders topics with their key fields', () => {
    const r = route('events', JSON.stringify([click(), order()]));
    assert.deepEqual(r.result, { accepted: 2, rejected: [] });
    assert.deepEqual(
      r.records.map((x) => [x.topic, x.key]),
      [
        [TOPICS.clickstream, 'u-1'],
        [TOPICS.orders, 'o-1'],
      ],
    );
    assert.equal(r.records[0].headers?.['x-storefront'], 'shopA');
  });

  it('inventory endpoint: stock positions keyed by sku', () => {
    const r = route(
      'inventory',
      JSON.stringify({
        sku: 'SKU-9',
        on_hand: 3,
        on_order: 0,
        lead_time_days: 2,
        ts: '2026-12-01T06:00:00Z',
      }),
    );
    assert.equal(r.result.accepted, 1);
    assert.equal(r.records[0].topic, TOPICS.inventory);
    assert.equal(r.records[0].key, 'SKU-9');
  });

  it('produces the declared fields only: undeclared, __proto__ and constructor keys are dropped', () => {
    const body = JSON.stringify(click()).replace(
      /}$/,
      ',"__proto__":{"polluted":1},"constructor":{"prototype":{"p":1}},"extra":"x"}',
    );
    const r = route('events', body);
    assert.equal(r.result.accepted, 1);
    const produced = JSON.parse(String(r.records[0].value)) as Record<string, unknown>;
    assert.deepEqual(Object.keys(produced).sort(), [
      'event_id',
      'session_id',
      'ts',
      'type',
      'user_id',
    ]);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });

  it('mixed batch: per-event result with index, event_id and field errors; DLQ with original bytes', () => {
    const bad = click({ type: 'add_to_cart', price: -1 }); // sku required, price >= 0
    const badBytes = JSON.stringify(bad);
    const body = `[${JSON.stringify(click())},  ${badBytes} ,7,{"type":"teleport","event_id":3}]`;
    const r = route('events', body);
    assert.equal(r.result.accepted, 1);
    assert.deepEqual(
      r.result.rejected.map((x) => [x.index, x.event_id, x.errors.map((e) => e.field).sort()]),
      [
        [1, bad.event_id, ['price', 'sku']],
        [2, null, ['$']],
        [3, null, ['type']],
      ],
    );
    assert.match(
      r.result.rejected[2].errors[0].message,
      /^must be one of page_view, .*order_cancelled$/,
    );
    const dlq = r.records.filter((x) => x.topic === TOPICS.storefrontDlq);
    assert.equal(dlq.length, 3);
    assert.equal(dlq[0].value.toString(), badBytes);
    assert.equal(dlq[0].key, 'u-1');
    const h = dlq[0].headers ?? {};
    assert.equal(h[DLQ_HEADERS.sourceTopic], TOPICS.clickstream);
    assert.equal(h[DLQ_HEADERS.sourcePartition], '-1');
    assert.equal(h[DLQ_HEADERS.consumerGroup], COLLECTOR_DLQ_GROUP);
    assert.equal(h[DLQ_HEADERS.failedAt], '2026-12-01T10:00:00.000Z');
    assert.match(String(h[DLQ_HEADERS.reason]), /price: must be >= 0/);
    assert.match(String(h[DLQ_HEADERS.reason]), /sku: is required for type add_to_cart/);
    assert.deepEqual(
      JSON.parse(String(h[DLQ_HEADERS.fields])),
      r.result.rejected[0].errors.map((e) => e.field),
    );
    assert.equal(h['x-dlq-index'], '1');
    assert.equal(dlq[1].value.toString(), '7');
    assert.equal(dlq[2].headers?.[DLQ_HEADERS.sourceTopic], 'http:/v1/events');
    assert.equal(r.rejectedByTopic.get(TOPICS.clickstream), 1);
    assert.equal(r.rejectedByTopic.get('http:/v1/events'), 2);
  });

  it('strings over the contract limits are rejected (1 KiB query, 128-character ids)', () => {
    const r = route(
      'events',
      JSON.stringify([
        click({ type: 'search', query: 'q'.repeat(1025) }),
        click({ user_id: 'u'.repeat(129) }),
      ]),
    );
    assert.equal(r.result.accepted, 0);
    assert.deepEqual(
      r.result.rejected.map((x) => x.errors[0]),
      [
        { field: 'query', message: 'must be at most 1024 characters' },
        { field: 'user_id', message: 'must be at most 128 characters' },
      ],
    );
  });

  it('all wrong: everything rejected, nothing but dead letters', () => {
    const r = route('events', '[{}, [], null]');
    assert.equal(r.result.accepted, 0);
    assert.equal(r.result.rejected.length, 3);
    assert.ok(r.records.every((x) => x.topic === TOPICS.storefrontDlq));
  });
});
