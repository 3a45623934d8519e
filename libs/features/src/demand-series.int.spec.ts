import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  createClickHouse,
  insertIdempotent,
  runMigrations,
  type ClickHouseHandle,
} from '@storepulse/clickhouse';
import { toChDateTime64 } from '@storepulse/contracts';
import { testConfig } from '../../../test/support/env';
import {
  ClickHouseDemandSeries,
  DemandSeriesQueryError,
  dayInZone,
  dayToIso,
} from './demand-series';

const LIMITS = { maxRows: 1000, maxBytes: 1 << 24 };
const DAY = 86_400_000;
const at = (iso: string) => Date.parse(iso);
const day = (iso: string) => Math.round(Date.parse(`${iso}T00:00:00Z`) / DAY);

let seq = 0;
function line(type: string, sku: string, category: string, iso: string, qty: number) {
  const i = seq++;
  return {
    event_id: `00000000-0000-4000-9000-${String(i).padStart(12, '0')}`,
    type,
    order_id: `o-${i}`,
    user_id: `u-${i % 3}`,
    ts: toChDateTime64(at(iso)),
    currency: 'EUR',
    line_no: 0,
    sku,
    category,
    qty,
    unit_price: 10,
    _topic: 'storefront.orders.v1',
    _partition: 0,
    _offset: i,
  };
}
function view(sku: string, category: string, iso: string, price: number | null) {
  const i = seq++;
  return {
    event_id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    type: 'product_view',
    user_id: `u-${i % 3}`,
    session_id: `s-${i}`,
    ts: toChDateTime64(at(iso)),
    sku,
    price,
    category,
    query: '',
    _topic: 'storefront.clickstream.v1',
    _partition: 0,
    _offset: i,
  };
}

describe('ClickHouseDemandSeries: daily units from the order rollups', () => {
  let ch: ClickHouseHandle;
  let source: ClickHouseDemandSeries;
  const toDay = day('2026-10-10');

  before(async () => {
    ch = await createClickHouse(testConfig().clickhouse);
    await runMigrations(ch.client);
    source = new ClickHouseDemandSeries(ch.client);
    const orders = [
      line('order_placed', 'A', 'shoes', '2026-10-05T10:00:00Z', 2),
      line('order_placed', 'A', 'shoes', '2026-10-07T12:00:00Z', 3),
      // a cancellation is demand that was expressed: not subtracted
      line('order_cancelled', 'A', 'shoes', '2026-10-07T13:00:00Z', 3),
      // 23:30 UTC on the 8th is 08:30 on the 9th in Tokyo
      line('order_placed', 'A', 'shoes', '2026-10-08T23:30:00Z', 4),
      // 20:00 UTC on the 4th (before the UTC window) is 05:00 on the 5th in Tokyo
      line('order_placed', 'B', 'hats', '2026-10-04T20:00:00Z', 1),
    ];
    const clicks = [
      view('A', 'shoes', '2026-10-04T09:00:00Z', 10),
      view('A', 'shoes', '2026-10-06T09:00:00Z', 10),
      view('A', 'boots', '2026-10-08T23:45:00Z', 9),
      view('C', 'socks', '2026-10-06T11:00:00Z', null),
    ];
    await insertIdempotent(ch.client, 'order_lines', orders, 'demand-series/o', LIMITS);
    await insertIdempotent(ch.client, 'clickstream_events', clicks, 'demand-series/c', LIMITS);
  });
  after(async () => {
    await ch?.close();
  });

  it('zero-fills the days, ignores cancellations and uses the UTC day boundary', async () => {
    const set = await source.read({ toDay, days: 5, timeZone: 'UTC' });
    assert.deepEqual(
      set.series.map((s) => s.id),
      ['A', 'C'],
      'B sold only before the window and was not viewed in it',
    );
    const a = set.series[0];
    assert.equal(a.startDay, day('2026-10-05'));
    assert.deepEqual([...a.y], [2, 0, 3, 4, 0]);
    assert.deepEqual([...set.series[1].y], [0, 0, 0, 0, 0], 'viewed, never sold: all zeros');
    assert.equal(set.firstSaleDay.get('A'), day('2026-10-05'));
    assert.equal(set.firstSaleDay.get('B'), day('2026-10-04'));
    assert.equal(set.firstSaleDay.has('C'), false);
    assert.equal(set.watermarkMs, at('2026-10-08T23:00:00Z'), 'start of the latest bucket read');
  });

  it('moves an order at 23:30 UTC to the next day in Asia/Tokyo', async () => {
    const set = await source.read({ toDay, days: 5, timeZone: 'Asia/Tokyo' });
    const a = set.series.find((s) => s.id === 'A');
    const b = set.series.find((s) => s.id === 'B');
    assert.deepEqual([...(a?.y ?? [])], [2, 0, 3, 0, 4]);
    assert.deepEqual([...(b?.y ?? [])], [1, 0, 0, 0, 0]);
    assert.equal(set.firstSaleDay.get('B'), day('2026-10-05'));
  });

  it('relative price = last daily price carried forward / median, promo = price ≤ 0.95; future days carry the price with promo 0', async () => {
    const set = await source.read({ toDay, days: 5, timeZone: 'UTC', futureDays: 2 });
    const a = set.series.find((s) => s.id === 'A');
    assert.ok(a?.price && a.promo);
    // absolute daily prices 10 (carried from the 4th), 10, 10 (carried), 9, 9 (carried): median 10
    assert.deepEqual([...a.price], [1, 1, 1, 0.9, 0.9, 0.9, 0.9]);
    assert.deepEqual([...a.promo], [0, 0, 0, 1, 1, 0, 0]);
    const c = set.series.find((s) => s.id === 'C');
    assert.deepEqual([...(c?.price ?? [])], [1, 1, 1, 1, 1, 1, 1], 'no price at all: 1');
    assert.equal(
      a.category,
      'boots',
      'the latest category seen (a view at 23:45 on the 8th, after the last order)',
    );
    assert.equal(set.series.find((s) => s.id === 'C')?.category, 'socks');
  });

  it('reads only the requested SKUs, zero-filled even without data', async () => {
    const set = await source.read({ toDay, days: 3, timeZone: 'UTC', skus: ['A', 'Z'] });
    assert.deepEqual(
      set.series.map((s) => [s.id, [...s.y]]),
      [
        ['A', [3, 4, 0]],
        ['Z', [0, 0, 0]],
      ],
    );
  });

  it('bounds are the first and last day with a sale in the zone; bad zones are rejected', async () => {
    assert.deepEqual(await source.bounds('UTC'), {
      firstDay: day('2026-10-04'),
      lastDay: day('2026-10-08'),
    });
    assert.deepEqual(await source.bounds('Asia/Tokyo'), {
      firstDay: day('2026-10-05'),
      lastDay: day('2026-10-09'),
    });
    await assert.rejects(
      source.read({ toDay, days: 5, timeZone: 'Mars/Olympus' }),
      (e: unknown) =>
        e instanceof DemandSeriesQueryError && /timeZone: 'Mars\/Olympus'/.test(e.message),
    );
    await assert.rejects(
      source.read({ toDay, days: 0, timeZone: 'UTC' }),
      /days: must be an integer ≥ 1/,
    );
  });

  it('dayInZone and dayToIso agree with the zone calendar', () => {
    assert.equal(dayToIso(dayInZone(at('2026-10-08T23:30:00Z'), 'UTC')), '2026-10-08');
    assert.equal(dayToIso(dayInZone(at('2026-10-08T23:30:00Z'), 'Asia/Tokyo')), '2026-10-09');
    assert.equal(dayToIso(dayInZone(at('2026-10-09T02:00:00Z'), 'America/New_York')), '2026-10-08');
  });
});
