import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TOPICS } from '@storepulse/contracts';
import { derivedEventId, parseImport, parseNdjson, parseOrdersCsv, splitCsv } from './parse';

const click = {
  event_id: '0b6f2f5e-8a5b-4f8e-9a43-3c1d2b7e9f10',
  type: 'add_to_cart',
  user_id: 'u-1',
  session_id: 's-1',
  ts: '2026-11-28T18:15:00.000Z',
  sku: 'SKU-1',
};
const order = {
  event_id: '1c7f3a6e-9b6c-4a9f-8b54-4d2e3c8f0a21',
  type: 'order_placed',
  order_id: 'o-1',
  user_id: 'u-1',
  ts: '2026-11-28T18:20:00Z',
  currency: 'EUR',
  items: [{ sku: 'SKU-1', qty: 2, unit_price: 19.99 }],
};
const stock = {
  sku: 'SKU-1',
  on_hand: 4,
  on_order: 0,
  lead_time_days: 3,
  ts: '2026-11-28T06:00:00Z',
};

describe('import file parsing', () => {
  it('NDJSON: routes by type, takes a key| prefix, else the topic key, keeps the value bytes', () => {
    const orderText = JSON.stringify(order);
    const text = [
      JSON.stringify(click),
      '',
      `my-key|${orderText}`,
      `  ${JSON.stringify(stock)}\r`,
    ].join('\n');
    const { messages, errors } = parseNdjson(text);
    assert.deepEqual(errors, []);
    assert.deepEqual(
      messages.map((m) => [m.topic, m.key, m.line]),
      [
        [TOPICS.clickstream, 'u-1', 1],
        [TOPICS.orders, 'my-key', 3],
        [TOPICS.inventory, 'SKU-1', 4],
      ],
    );
    assert.equal(messages[1].value.toString(), orderText);
    assert.equal(messages[0].tsMs, Date.parse(click.ts));
  });

  it('NDJSON: a key may contain anything but |; the value may contain |', () => {
    const v = JSON.stringify({ ...click, query: 'a|b' });
    const { messages } = parseNdjson(`k:1|${v}`);
    assert.equal(messages[0].key, 'k:1');
    assert.equal(messages[0].value.toString(), v);
  });

  it('NDJSON: bad lines are reported with their line numbers, good ones kept', () => {
    const text = [
      JSON.stringify(click),
      'no json here',
      'k|{"event_id": "x",',
      '[1,2]',
      JSON.stringify({ type: 'teleport' }),
      JSON.stringify(order),
    ].join('\n');
    const { messages, errors } = parseNdjson(text);
    assert.equal(messages.length, 2);
    assert.deepEqual(
      errors.map((e) => e.line),
      [2, 3, 4, 5],
    );
    assert.match(errors[0].message, /key\|JSON/);
    assert.match(errors[1].message, /^invalid JSON/);
    assert.match(errors[3].message, /--topic/);
  });

  it('NDJSON: --topic overrides the routing', () => {
    const { messages } = parseImport(
      JSON.stringify({ type: 'teleport' }),
      'ndjson',
      TOPICS.clickstream,
    );
    assert.equal(messages[0].topic, TOPICS.clickstream);
    assert.match(parseImport('{}', 'ndjson', 'other.topic').errors[0].message, /not a storefront/);
  });

  it('CSV: splits quoted fields', () => {
    assert.deepEqual(splitCsv('a,"b,c","d ""e""",'), ['a', 'b,c', 'd "e"', '']);
    assert.equal(splitCsv('a,"b'), undefined);
  });

  it('CSV: groups line items by order (rows anywhere in the file) into one orders message', () => {
    const text = [
      'order_id,user_id,ts,currency,sku,qty,unit_price,category',
      'o-1,u-1,2026-11-28T18:20:00Z,EUR,SKU-1,2,19.99,shoes',
      'o-2,u-2,2026-11-28T19:00:00Z,EUR,SKU-3,1,5,',
      'o-1,u-1,2026-11-28T18:20:00Z,EUR,"SKU-2",1,3.5,"hats, caps"',
    ].join('\n');
    const { messages, errors } = parseOrdersCsv(text);
    assert.deepEqual(errors, []);
    assert.equal(messages.length, 2);
    const o1 = JSON.parse(messages[0].value.toString()) as Record<string, unknown>;
    assert.deepEqual(o1, {
      event_id: derivedEventId('order_placed', 'o-1'),
      type: 'order_placed',
      order_id: 'o-1',
      user_id: 'u-1',
      ts: '2026-11-28T18:20:00Z',
      currency: 'EUR',
      items: [
        { sku: 'SKU-1', qty: 2, unit_price: 19.99, category: 'shoes' },
        { sku: 'SKU-2', qty: 1, unit_price: 3.5, category: 'hats, caps' },
      ],
    });
    assert.deepEqual(
      messages.map((m) => [m.topic, m.key, m.line]),
      [
        [TOPICS.orders, 'o-1', 2],
        [TOPICS.orders, 'o-2', 3],
      ],
    );
    // deterministic ids: a rerun of the file is deduplicated
    assert.equal(parseOrdersCsv(text).messages[0].value.toString(), messages[0].value.toString());
    assert.match(
      derivedEventId('order_placed', 'o-1'),
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    assert.notEqual(
      derivedEventId('order_cancelled', 'o-1'),
      derivedEventId('order_placed', 'o-1'),
    );
  });

  it('CSV: an explicit event_id and type are used; a cancellation is its own message', () => {
    const text = [
      'event_id,type,order_id,user_id,ts,currency,sku,qty,unit_price',
      `${order.event_id},order_placed,o-1,u-1,2026-11-28T18:20:00Z,EUR,SKU-1,2,1`,
      ',order_cancelled,o-1,u-1,2026-11-29T10:00:00Z,EUR,SKU-1,2,1',
    ].join('\n');
    const { messages } = parseOrdersCsv(text);
    assert.equal(messages.length, 2);
    assert.equal(
      (JSON.parse(messages[0].value.toString()) as { event_id: string }).event_id,
      order.event_id,
    );
    assert.equal(
      (JSON.parse(messages[1].value.toString()) as { type: string }).type,
      'order_cancelled',
    );
  });

  it('CSV: bad rows are reported with their line numbers', () => {
    const text = [
      'order_id,user_id,ts,currency,sku,qty,unit_price',
      'o-1,u-1,2026-11-28T18:20:00Z,EUR,SKU-1,2,1',
      'o-1,u-9,2026-11-28T18:20:00Z,EUR,SKU-2,1,1',
      'o-2,u-1,2026-11-28T18:20:00Z,EUR,SKU-1,two,1',
      'o-3,u-1,2026-11-28T18:20:00Z,EUR,SKU-1,2',
      'o-4,,2026-11-28T18:20:00Z,EUR,SKU-1,2,1',
      'o-5,u-1,"2026,EUR,SKU-1,2,1',
    ].join('\n');
    const { messages, errors } = parseOrdersCsv(text);
    assert.equal(messages.length, 1);
    assert.deepEqual(
      errors.map((e) => [e.line, e.message]),
      [
        [3, 'order o-1 (order_placed) has another user_id than on line 2'],
        [4, 'qty "two" is not a number'],
        [5, 'expected 7 fields, got 6'],
        [6, 'user_id is empty'],
        [7, 'unbalanced quotes'],
      ],
    );
  });

  it('CSV: the header must name the required columns and no unknown ones', () => {
    assert.match(
      parseOrdersCsv('order_id,user_id,ts\no-1,u,2026-01-01T00:00:00Z').errors[0].message,
      /misses column\(s\) currency, sku, qty, unit_price/,
    );
    assert.match(
      parseOrdersCsv('order_id,user_id,ts,currency,sku,qty,unit_price,colour\n').errors[0].message,
      /unknown column\(s\) colour/,
    );
  });
});
