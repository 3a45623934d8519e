import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KafkaMessage } from 'kafkajs';
import { serializedLines } from '@storepulse/clickhouse';
import { TOPICS } from '@storepulse/contracts';
import { EventDeduplicator, type EventIdIndex, type StoredEventId } from './dedup';
import { prepareChunk, withoutEvents, type ChunkEvent } from './rows';

const id = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
const order = (i: number, items: number): KafkaMessage => ({
  offset: String(100 + i),
  key: Buffer.from(`o-${i}`),
  value: Buffer.from(
    JSON.stringify({
      event_id: id(i % 10),
      type: 'order_placed',
      order_id: `o-${i}`,
      user_id: 'u-1',
      ts: new Date(Date.UTC(2026, 10, 1) + i * 1000).toISOString(),
      currency: 'EUR',
      items: Array.from({ length: items }, (_, l) => ({ sku: `S-${l}`, qty: 1, unit_price: 1 })),
    }),
  ),
  headers: {},
  timestamp: '0',
  attributes: 0,
});
const ctx = {
  topic: TOPICS.orders,
  partition: 2,
  consumerGroup: 'g',
  now: new Date(Date.UTC(2026, 10, 2)),
  collectEvents: true,
  collectUserRows: true,
};

class FakeIndex implements EventIdIndex {
  constructor(readonly stored: StoredEventId[]) {}
  since: number[] = [];
  lookup(events: readonly ChunkEvent[], sinceMs: number): Promise<StoredEventId[]> {
    this.since.push(sinceMs);
    const ids = new Set(events.map((e) => e.id));
    return Promise.resolve(this.stored.filter((s) => ids.has(s.id)));
  }
}

describe('event_id deduplication of a prepared chunk', () => {
  it('withoutEvents drops every line of a dropped order and keeps the bytes of the others', () => {
    const c = prepareChunk([order(0, 2), order(1, 3), order(2, 1)], ctx);
    assert.equal(c.events?.length, 3);
    assert.deepEqual(
      c.events?.map((e) => e.rows),
      [2, 3, 1],
    );
    const lines = serializedLines(c.serialized!);
    const d = withoutEvents(c, new Set([1]));
    assert.deepEqual(serializedLines(d.serialized!), [lines[0], lines[1], lines[5]]);
    assert.equal(d.rowCount, 3);
    assert.deepEqual(
      d.rows.map((r) => ('order_id' in r ? r.order_id : '')),
      ['o-0', 'o-0', 'o-2'],
    );
    assert.deepEqual(d.eventTimesMs, [c.eventTimesMs[0], c.eventTimesMs[2]]);
    assert.equal(d.userRows?.orderLines.length, 3);
    assert.equal(withoutEvents(c, new Set()), c);
  });

  it('drops ids stored from another offset and repeats inside the chunk, keeps its own partial rows', async () => {
    // offsets 100..112; ids repeat every 10 messages (110 repeats 100, 111 repeats 101, 112 repeats 102)
    const msgs = Array.from({ length: 13 }, (_, i) => order(i, 1));
    const c = prepareChunk(msgs, ctx);
    const index = new FakeIndex([
      { id: id(3), topic: TOPICS.orders, partition: 0, offset: '7' }, // another partition: drop 103
      { id: id(4), topic: TOPICS.orders, partition: 2, offset: '104' }, // own row: keep 104
    ]);
    const dd = new EventDeduplicator(index, 1000);
    const r = await dd.filter(TOPICS.orders, 2, c, 5000);
    assert.deepEqual(index.since, [4000]);
    assert.equal(r.duplicates, 4);
    assert.deepEqual(
      r.chunk.rows.map((x) => x._offset),
      [100, 101, 102, 104, 105, 106, 107, 108, 109],
    );
    await r.release();
  });

  it('a chunk in flight claims its ids: another chunk with the same ids drops them until released', async () => {
    const dd = new EventDeduplicator(new FakeIndex([]), 1000);
    const a = await dd.filter(TOPICS.orders, 2, prepareChunk([order(0, 1)], ctx), 0);
    const other = { ...ctx, partition: 1 };
    const b = await dd.filter(TOPICS.orders, 1, prepareChunk([order(10, 1)], other), 0);
    assert.equal(a.duplicates, 0);
    assert.equal(b.duplicates, 1, 'same id (0) claimed by the chunk in flight');
    await a.release();
    await b.release();
    // released without storing (a failed write): the id is free again
    const c = await dd.filter(TOPICS.orders, 1, prepareChunk([order(10, 1)], other), 0);
    assert.equal(c.duplicates, 0);
    await c.release();
  });
});
