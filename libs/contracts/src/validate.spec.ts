import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeClickstream, decodeOrder, decodeStorefront } from './validate';
import { TOPICS } from './topics';
import { jsonSchemas } from './json-schema';
import { toChDateTime64 } from './time';

const click = {
  event_id: '0b6f2f5e-8a5b-4f8e-9a43-3c1d2b7e9f10',
  type: 'product_view',
  user_id: 'u-1',
  session_id: 's-1',
  ts: '2026-11-28T10:15:00.000+01:00',
  sku: 'SKU-1',
  price: 19.99,
};
const order = {
  event_id: '1c7f3a6e-9b6c-4a9f-8b54-4d2e3c8f0a21',
  type: 'order_placed',
  order_id: 'o-1',
  user_id: 'u-1',
  ts: '2026-11-28T10:20:00Z',
  currency: 'EUR',
  items: [{ sku: 'SKU-1', qty: 2, unit_price: 19.99 }],
};
const buf = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

describe('contracts: validation', () => {
  it('accepts valid clickstream and order events', () => {
    const c = decodeClickstream(buf(click));
    assert.ok(c.ok);
    assert.equal(c.value.sku, 'SKU-1');
    const o = decodeOrder(buf(order));
    assert.ok(o.ok);
    assert.equal(o.value.items[0]?.qty, 2);
  });

  it('reports invalid JSON with a readable reason', () => {
    const r = decodeClickstream(buf('{"event_id": '));
    assert.ok(!r.ok);
    assert.equal(r.errors[0]?.field, '$');
    assert.match(r.reason, /^\$: invalid JSON/);
  });

  it('names missing and mistyped fields', () => {
    const { user_id: _u, ...noUser } = click;
    const r = decodeClickstream(buf({ ...noUser, price: 'cheap' }));
    assert.ok(!r.ok);
    const fields = r.errors.map((e) => e.field).sort();
    assert.deepEqual(fields, ['price', 'user_id']);
    assert.match(r.reason, /price: must be a number/);
    assert.match(r.reason, /user_id: is required/);
  });

  it('rejects an unknown type and a missing sku where required', () => {
    const r1 = decodeClickstream(buf({ ...click, type: 'teleport' }));
    assert.ok(!r1.ok);
    assert.equal(r1.errors[0]?.field, 'type');
    const { sku: _s, ...noSku } = click;
    const r2 = decodeClickstream(buf({ ...noSku, type: 'add_to_cart' }));
    assert.ok(!r2.ok);
    assert.deepEqual(r2.errors, [{ field: 'sku', message: 'is required for type add_to_cart' }]);
    assert.ok(decodeClickstream(buf({ ...noSku, type: 'page_view' })).ok);
  });

  it('rejects negative qty, empty items, bad currency, timestamps without zone', () => {
    const r = decodeOrder(
      buf({
        ...order,
        currency: 'eur',
        ts: '2026-11-28T10:20:00',
        items: [{ sku: 'a', qty: -1, unit_price: 1 }],
      }),
    );
    assert.ok(!r.ok);
    assert.deepEqual(r.errors.map((e) => e.field).sort(), ['currency', 'items.0.qty', 'ts']);
    const r2 = decodeOrder(buf({ ...order, items: [] }));
    assert.ok(!r2.ok);
    assert.equal(r2.errors[0]?.field, 'items');
  });

  it('rejects non-objects and empty values', () => {
    assert.match(
      (decodeStorefront(TOPICS.orders, buf('[1,2]')) as { reason: string }).reason,
      /must be a JSON object, got array/,
    );
    assert.match(
      (decodeStorefront(TOPICS.orders, null) as { reason: string }).reason,
      /empty message/,
    );
    assert.match(
      (decodeStorefront('nope', buf(order)) as { reason: string }).reason,
      /no schema for topic nope/,
    );
  });

  it('exports a JSON schema per topic that lists required fields', () => {
    const s = jsonSchemas()[TOPICS.orders] as { required: string[] };
    assert.deepEqual([...s.required].sort(), [
      'currency',
      'event_id',
      'items',
      'order_id',
      'ts',
      'type',
      'user_id',
    ]);
  });

  it('formats DateTime64 in UTC', () => {
    assert.equal(
      toChDateTime64(Date.parse('2026-11-28T10:15:00.123+01:00')),
      '2026-11-28 09:15:00.123',
    );
  });
});
