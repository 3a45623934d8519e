import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KafkaMessage } from 'kafkajs';
import {
  TOPICS,
  decodeStorefrontReference,
  isoToMs,
  toChDateTime64,
  type StorefrontMessage,
} from '@storepulse/contracts';
import { estimateRowBytes } from '@storepulse/clickhouse';
import { storedRowsOf } from '../online-feed';
import { Storefront } from '@storepulse/simulator';
import {
  RAW_TABLE_BY_TOPIC,
  eventTimeViolation,
  prepareChunk,
  type PrepareContext,
  type PreparedChunk,
} from './rows';

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

/** The previous prepareChunk (zod decoder, row objects only): the reference for the fast one. */
function referencePrepare(messages: readonly KafkaMessage[], ctx: PrepareContext): PreparedChunk {
  const out: PreparedChunk = {
    table: RAW_TABLE_BY_TOPIC[ctx.topic as keyof typeof RAW_TABLE_BY_TOPIC] ?? '',
    rows: [],
    eventTimesMs: [],
    deadLetters: [],
  };
  const toRows = (m: StorefrontMessage, offset: number): PreparedChunk['rows'] => {
    const src = { _topic: ctx.topic, _partition: ctx.partition, _offset: offset };
    switch (m.topic) {
      case TOPICS.clickstream: {
        const e = m.event;
        return [
          {
            event_id: e.event_id,
            type: e.type,
            user_id: e.user_id,
            session_id: e.session_id,
            ts: toChDateTime64(isoToMs(e.ts)),
            sku: e.sku ?? '',
            price: e.price ?? null,
            category: e.category ?? '',
            query: e.query ?? '',
            ...src,
          },
        ];
      }
      case TOPICS.orders: {
        const e = m.event;
        const ts = toChDateTime64(isoToMs(e.ts));
        return e.items.map((it, i) => ({
          event_id: e.event_id,
          type: e.type,
          order_id: e.order_id,
          user_id: e.user_id,
          ts,
          currency: e.currency,
          line_no: i,
          sku: it.sku,
          category: it.category ?? '',
          qty: it.qty,
          unit_price: it.unit_price,
          ...src,
        }));
      }
      case TOPICS.inventory: {
        const e = m.event;
        return [
          {
            sku: e.sku,
            on_hand: e.on_hand,
            on_order: e.on_order,
            lead_time_days: e.lead_time_days,
            ts: toChDateTime64(isoToMs(e.ts)),
            ...src,
          },
        ];
      }
    }
  };
  for (const msg of messages) {
    const d = decodeStorefrontReference(ctx.topic, msg.value);
    const violation =
      d.ok && ctx.eventTime
        ? eventTimeViolation(isoToMs(d.value.event.ts), ctx.now, ctx.eventTime)
        : undefined;
    const dl = (reason: string, fields: string[]) =>
      out.deadLetters.push({
        sourceTopic: ctx.topic,
        sourcePartition: ctx.partition,
        sourceOffset: msg.offset,
        key: msg.key,
        value: msg.value,
        reason,
        fields,
        failedAt: ctx.now,
        consumerGroup: ctx.consumerGroup,
      });
    if (violation !== undefined) dl(violation, ['ts']);
    else if (d.ok) {
      out.rows.push(...toRows(d.value, Number(msg.offset)));
      out.eventTimesMs.push(isoToMs(d.value.event.ts));
    } else
      dl(
        d.reason,
        d.errors.map((e) => e.field),
      );
  }
  return out;
}

describe('prepareChunk == the zod-based reference, lines == JSON.stringify(row)', () => {
  it('same rows, dead letters (reasons, fields, payloads) and event times on simulated traffic with invalid and late messages', () => {
    const start = Date.parse('2026-11-01T00:00:00.000Z');
    const sf = new Storefront({
      seed: 3,
      users: 500,
      skus: 200,
      invalidRate: 0.05,
      startMs: start,
    });
    const byTopic = new Map<string, KafkaMessage[]>();
    let n = 0;
    for (const chunk of sf.history(start + 2 * 86_400_000, 500_000)) {
      for (const m of chunk) {
        const l = byTopic.get(m.topic) ?? [];
        l.push({
          key: Buffer.from(m.key),
          value: m.value,
          offset: String(1_000_000 + l.length * 7),
          timestamp: '0',
          attributes: 0,
          headers: {},
        });
        byTopic.set(m.topic, l);
        n++;
      }
      if (n >= 40_000) break;
    }
    // special strings and the non-canonical timestamp forms go through the same code
    const extra = [
      {
        sku: 'S"\\\n\u0001é😀',
        on_hand: -5,
        on_order: 0,
        lead_time_days: 1e6 / 1e4,
        ts: '2026-11-01T03:00:00+01:00',
      },
      {
        sku: 'S',
        on_hand: 2 ** 40,
        on_order: 7,
        lead_time_days: 0.5,
        ts: '2026-11-01T02:00:00.1234Z',
      },
      { sku: 'S', on_hand: 1, on_order: 1, lead_time_days: 1, ts: '2026-11-01T02:00:00Z' },
    ];
    // a click whose time has sub-millisecond digits (the online tier's tsMs must match the stored ts)
    const clicks = byTopic.get(TOPICS.clickstream) ?? [];
    const c0 = JSON.parse(clicks[0].value!.toString('utf8')) as Record<string, unknown>;
    clicks.push({
      ...clicks[0],
      value: Buffer.from(JSON.stringify({ ...c0, ts: '2026-11-01T00:30:00.1239Z' })),
      offset: String(9e9),
    });
    const inv = byTopic.get(TOPICS.inventory) ?? [];
    for (const e of extra)
      inv.push({
        ...inv[0],
        value: Buffer.from(JSON.stringify(e)),
        offset: String(9e9 + inv.length),
      });
    for (const [topic, msgs] of byTopic) {
      for (const eventTime of [
        undefined,
        { allowedLatenessMs: 1_800_000, maxFutureMs: 1_200_000 },
      ]) {
        const c: PrepareContext = {
          topic,
          partition: 2,
          consumerGroup: 'g',
          now: new Date(start + 3_600_000),
          eventTime,
        };
        const got = prepareChunk(msgs, c);
        const want = referencePrepare(msgs, c);
        assert.ok(
          want.rows.length > 20 && want.deadLetters.length > 5,
          `${topic} ${msgs.length} ${want.rows.length} ${want.deadLetters.length}`,
        );
        assert.deepStrictEqual(got.rows, want.rows);
        assert.deepStrictEqual(got.deadLetters, want.deadLetters);
        assert.deepStrictEqual(got.eventTimesMs, want.eventTimesMs);
        assert.equal(got.table, want.table);
        const s = got.serialized;
        assert.ok(s);
        assert.equal(got.rowCount, want.rows.length);
        assert.equal(s.ends.length, want.rows.length);
        assert.equal(
          s.body.toString('utf8'),
          want.rows.map((r) => JSON.stringify(r) + '\n').join(''),
        );
        want.rows.forEach((r, i) => assert.equal(s.sizes[i], estimateRowBytes(r)));
        // the online tier's fields, collected while preparing == derived from the stored rows
        assert.equal(got.userRows, undefined, 'not collected unless asked');
        const withUser = prepareChunk(msgs, { ...c, collectUserRows: true });
        const durable = { topic, partition: 2, firstOffset: 5n, lastOffset: 9n, table: got.table };
        const fromRows = storedRowsOf({ ...durable, rows: want.rows });
        assert.deepStrictEqual(
          storedRowsOf({ ...durable, rows: [], userRows: withUser.userRows }),
          fromRows,
        );
        if (topic !== TOPICS.inventory)
          assert.ok((fromRows?.clicks ?? fromRows?.orderLines ?? []).length > 20);
      }
    }
  });
});
