import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KafkaMessage } from 'kafkajs';
import { TOPICS } from '@storepulse/contracts';
import { eventTimeViolation, prepareChunk, type PrepareContext } from './rows';

const NOW = new Date('2026-11-28T12:00:00.000Z');
const DAY = 86_400_000;
const policy = { allowedLatenessMs: 7 * DAY, maxFutureMs: 5 * 60_000 };

function click(offset: number, tsMs: number): KafkaMessage {
  const value = JSON.stringify({
    event_id: `00000000-0000-4000-8000-${String(offset).padStart(12, '0')}`,
    type: 'product_view',
    user_id: 'u-1',
    session_id: 's-1',
    ts: new Date(tsMs).toISOString(),
    sku: 'SKU-1',
  });
  return {
    key: Buffer.from('u-1'),
    value: Buffer.from(value),
    offset: String(offset),
    timestamp: String(tsMs),
    attributes: 0,
    headers: {},
  };
}
function order(offset: number, tsMs: number): KafkaMessage {
  const value = JSON.stringify({
    event_id: `00000000-0000-4000-9000-${String(offset).padStart(12, '0')}`,
    type: 'order_placed',
    order_id: `o-${offset}`,
    user_id: 'u-1',
    ts: new Date(tsMs).toISOString(),
    currency: 'EUR',
    items: [
      { sku: 'A', qty: 1, unit_price: 2 },
      { sku: 'B', qty: 2, unit_price: 3 },
    ],
  });
  return { key: null, value: Buffer.from(value), offset: String(offset) } as KafkaMessage;
}

const ctx = (topic: string, eventTime = policy): PrepareContext => ({
  topic,
  partition: 0,
  consumerGroup: 'g',
  now: NOW,
  eventTime,
});

describe('event-time policy (prepareChunk)', () => {
  it('accepts events inside [now − lateness, now + future] including both edges', () => {
    const n = NOW.getTime();
    const msgs = [click(0, n), click(1, n - 7 * DAY), click(2, n + 5 * 60_000), click(3, n - DAY)];
    const out = prepareChunk(msgs, ctx(TOPICS.clickstream));
    assert.equal(out.rows.length, 4);
    assert.equal(out.deadLetters.length, 0);
  });

  it('dead-letters events older than the allowed lateness, naming the rule and the times', () => {
    const n = NOW.getTime();
    const out = prepareChunk([click(0, n - 7 * DAY - 1), click(1, n)], ctx(TOPICS.clickstream));
    assert.equal(out.rows.length, 1);
    assert.equal(out.deadLetters.length, 1);
    const d = out.deadLetters[0];
    assert.equal(d.sourceOffset, '0');
    assert.deepEqual(d.fields, ['ts']);
    assert.match(
      d.reason,
      /^ts: event time 2026-11-21T11:59:59\.999Z is older than the allowed lateness of 7d \(reference time 2026-11-28T12:00:00\.000Z\)$/,
    );
    assert.equal(d.value?.toString(), click(0, n - 7 * DAY - 1).value?.toString());
  });

  it('dead-letters events more than maxFuture ahead', () => {
    const n = NOW.getTime();
    const out = prepareChunk([click(0, n + 5 * 60_000 + 1)], ctx(TOPICS.clickstream));
    assert.equal(out.rows.length, 0);
    assert.match(out.deadLetters[0].reason, /is more than 5m in the future/);
  });

  it('dead-letters a whole late order (all its lines) and keeps valid ones', () => {
    const n = NOW.getTime();
    const out = prepareChunk([order(0, n - 8 * DAY), order(1, n - 60_000)], ctx(TOPICS.orders));
    assert.equal(out.rows.length, 2);
    assert.equal(out.deadLetters.length, 1);
    assert.equal(out.deadLetters[0].sourceOffset, '0');
  });

  it('honours a configured lateness and no policy at all', () => {
    const n = NOW.getTime();
    const old = click(0, n - 30 * DAY);
    assert.equal(
      prepareChunk([old], ctx(TOPICS.clickstream, { allowedLatenessMs: 31 * DAY, maxFutureMs: 0 }))
        .rows.length,
      1,
    );
    const noPolicy = { topic: TOPICS.clickstream, partition: 0, consumerGroup: 'g', now: NOW };
    assert.equal(prepareChunk([old], noPolicy).rows.length, 1);
  });

  it('is a pure function of (messages, now): same reference time, same outcome', () => {
    const n = NOW.getTime();
    const msgs = [click(0, n - 7 * DAY + 10), click(1, n)];
    const a = prepareChunk(msgs, ctx(TOPICS.clickstream));
    const b = prepareChunk(msgs, ctx(TOPICS.clickstream));
    assert.deepEqual(a.rows, b.rows);
    assert.equal(a.deadLetters.length, b.deadLetters.length);
  });

  it('schema errors take precedence over the time rule', () => {
    assert.equal(eventTimeViolation(NOW.getTime(), NOW, policy), undefined);
    const bad = { ...click(0, 0), value: Buffer.from('{') } as KafkaMessage;
    const out = prepareChunk([bad], ctx(TOPICS.clickstream));
    assert.match(out.deadLetters[0].reason, /invalid JSON/);
  });
});
