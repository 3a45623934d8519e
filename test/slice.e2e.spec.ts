import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Kafka } from 'kafkajs';
import { queryRows } from '@storepulse/clickhouse';
import { DLQ_HEADERS, TOPICS, orderEventSchema, type OrderEvent } from '@storepulse/contracts';
import { PinoNestLogger, PipelineMetrics } from '@storepulse/observability';
import { connectInfra, type Infra } from '@storepulse/runtime';
import { Storefront, type SimulatedMessage } from '@storepulse/simulator';
import { AggregatorService } from '@storepulse/aggregator';
import type { AppConfig } from '@storepulse/config';
import { PlatformModule } from '../apps/platform/src/platform.module';
import type { PlatformStatus } from '../apps/platform/src/status/status.service';
import { produce, readAll, resetStorefrontTopics, testKafka, waitFor } from './support/kafka';
import { testConfig, testLogger } from './support/env';

const TOTAL = 10_000;
const INVALID_RATE = 0.05;

interface Expected {
  clicks: number;
  orderLines: number;
  units: number;
  revenue4: bigint; // sum(qty * unit_price) in 1/10000 units
  inventory: number;
  invalid: SimulatedMessage[];
}

function expectedFrom(messages: SimulatedMessage[]): Expected {
  const e: Expected = {
    clicks: 0,
    orderLines: 0,
    units: 0,
    revenue4: 0n,
    inventory: 0,
    invalid: [],
  };
  for (const m of messages) {
    if (!m.valid) {
      e.invalid.push(m);
      continue;
    }
    if (m.topic === TOPICS.clickstream) e.clicks++;
    else if (m.topic === TOPICS.inventory) e.inventory++;
    else if (m.topic === TOPICS.orders) {
      const o: OrderEvent = orderEventSchema.parse(JSON.parse(m.value.toString()));
      for (const it of o.items) {
        e.orderLines++;
        e.units += it.qty;
        e.revenue4 += BigInt(it.qty) * BigInt(Math.round(it.unit_price * 10_000));
      }
    }
  }
  return e;
}

describe('slice: simulated storefront → Kafka → aggregator → ClickHouse (+ DLQ)', () => {
  let kafka: Kafka;
  let config: AppConfig;
  let infra: Infra & { clickhouse: NonNullable<Infra['clickhouse']> };
  let app: INestApplication | undefined;
  let baseUrl = '';
  let messages: SimulatedMessage[] = [];
  let expected: Expected;
  const logger = testLogger();

  async function startApp(): Promise<AggregatorService> {
    app = await NestFactory.create(
      PlatformModule.forRoot({ config, logger, metrics: new PipelineMetrics(false), infra }),
      {
        logger: new PinoNestLogger(logger),
      },
    );
    await app.listen(0);
    const addr = (app.getHttpServer() as import('node:http').Server).address() as { port: number };
    baseUrl = `http://127.0.0.1:${addr.port}`;
    return app.get(AggregatorService);
  }

  before(async () => {
    kafka = testKafka();
    await resetStorefrontTopics(kafka);
    config = testConfig({
      AGGREGATOR_GROUP_ID: `slice-${Date.now()}`,
      SIMULATOR_EVENTS_PER_SEC: '0',
      CLICKHOUSE_INSERT_MAX_ROWS: '1000',
      // no HTTP ingest in this slice (the collector refuses to start without write keys)
      COLLECTOR_ENABLED: 'false',
    });
    const i = await connectInfra(config, logger, {
      allowLocalBroker: false,
      clickhouse: 'server-or-embedded',
      env: {},
    });
    assert.ok(i.clickhouse);
    infra = { ...i, clickhouse: i.clickhouse };

    // Recent history, inside the aggregator's allowed lateness (7 days by default).
    const start = Date.now() - 2 * 86_400_000;
    const sf = new Storefront({
      seed: 7,
      users: 500,
      skus: 120,
      invalidRate: INVALID_RATE,
      startMs: start,
    });
    for (const chunk of sf.history(Date.now() - 60_000, 20_000)) {
      messages.push(...chunk);
      if (messages.length >= TOTAL) break;
    }
    messages = messages.slice(0, TOTAL);
    expected = expectedFrom(messages);
    const kinds = new Set(expected.invalid.map((m) => m.invalidKind));
    for (const k of ['bad_json', 'missing_field', 'wrong_type', 'unknown_type', 'negative_qty'])
      assert.ok(kinds.has(k as never), `the run includes ${k}`);
    for (const topic of [TOPICS.clickstream, TOPICS.orders, TOPICS.inventory]) {
      await produce(
        kafka,
        topic,
        messages
          .filter((m) => m.topic === topic)
          // No Kafka timestamps from the simulated clock: broker retention judges by them.
          .map((m) => ({ key: m.key, value: m.value })),
      );
    }
  });

  after(async () => {
    await app?.close();
    await infra?.close();
  });

  async function tableTotals() {
    const [r] = await queryRows<{
      clicks: string;
      lines: string;
      units: string;
      revenue4: string;
      inv: string;
      dlq: string;
      dup_clicks: string;
      dup_dlq: string;
    }>(
      infra.clickhouse.client,
      `SELECT
        (SELECT toString(count()) FROM clickstream_events) AS clicks,
        (SELECT toString(count() - uniqExact(event_id)) FROM clickstream_events) AS dup_clicks,
        (SELECT toString(count()) FROM order_lines) AS lines,
        (SELECT toString(sum(qty)) FROM order_lines) AS units,
        (SELECT toString(sum(toInt64(amount * 10000))) FROM order_lines) AS revenue4,
        (SELECT toString(count()) FROM inventory_snapshots) AS inv,
        (SELECT toString(count()) FROM dead_letters) AS dlq,
        (SELECT toString(count() - uniqExact(source_topic, source_partition, source_offset)) FROM dead_letters) AS dup_dlq`,
    );
    return r;
  }

  it('stores exactly the valid events, with exact counts and sums, and reports them in /api/status', async () => {
    const agg = await startApp();
    await waitFor(
      () => Promise.resolve(agg.counters().consumed >= TOTAL),
      120_000,
      `${TOTAL} messages consumed`,
    );
    await waitFor(
      async () => Number((await tableTotals()).dlq) >= expected.invalid.length,
      30_000,
      'dead letters stored',
    );
    const t = await tableTotals();
    assert.equal(Number(t.clicks), expected.clicks);
    assert.equal(Number(t.dup_clicks), 0);
    assert.equal(Number(t.lines), expected.orderLines);
    assert.equal(Number(t.units), expected.units);
    assert.equal(BigInt(t.revenue4), expected.revenue4);
    assert.equal(Number(t.inv), expected.inventory);
    assert.equal(Number(t.dlq), expected.invalid.length);

    const res = await fetch(`${baseUrl}/api/status`);
    assert.equal(res.status, 200);
    const s = (await res.json()) as PlatformStatus;
    assert.equal(s.clickhouse.mode, 'embedded');
    assert.match(s.clickhouse.version, /^\d+\.\d+/);
    assert.equal(s.tables['clickstream_events'], expected.clicks);
    assert.equal(s.tables['order_lines'], expected.orderLines);
    assert.equal(s.dlq.count, expected.invalid.length);
    const group = s.lag.find((g) => g.groupId === config.aggregator.groupId);
    assert.ok(group, 'lag lists the aggregator group');
    assert.equal(group.partitions.length, 9, '3 topics x 3 partitions');
    assert.equal(group.totalLag, '0');
  });

  it('dead-letters exactly the invalid messages, with original bytes and a reason naming the field', async () => {
    const dlq = await readAll(kafka, TOPICS.storefrontDlq);
    assert.equal(dlq.length, expected.invalid.length);
    // keyed by source topic + payload: two invalid messages can carry the same bytes (e.g. the same
    // broken JSON on two topics), so each expected message takes one dead letter of its own
    const got = new Map<string, (typeof dlq)[number][]>();
    for (const m of dlq) {
      const k = `${m.headers[DLQ_HEADERS.sourceTopic] ?? ''}\u0000${m.value?.toString('base64') ?? ''}`;
      got.set(k, [...(got.get(k) ?? []), m]);
    }
    for (const bad of expected.invalid) {
      const m = got.get(`${bad.topic}\u0000${bad.value.toString('base64')}`)?.pop();
      assert.ok(m, `invalid ${bad.invalidKind} message on ${bad.topic} is in the DLQ`);
      assert.equal(m.headers[DLQ_HEADERS.sourceTopic], bad.topic);
      const reason = m.headers[DLQ_HEADERS.reason] ?? '';
      const expectField: Record<string, RegExp> = {
        bad_json: /^\$: invalid JSON/,
        unknown_type: /type: must be one of/,
        negative_qty: /^(items\.\d+\.qty: must be a positive integer|on_order: must be >= 0)/,
        missing_sku: /sku: is required/,
        bad_ts: /ts: must be an ISO-8601 timestamp/,
        missing_field: /^[a-z_.0-9]+: is required/,
        wrong_type: /^[a-z_.0-9]+: must be/,
      };
      assert.match(
        reason,
        expectField[bad.invalidKind ?? ''] ?? /./,
        `${bad.invalidKind}: ${reason}`,
      );
    }
  });

  it('after a forced redelivery of everything, nothing is stored or dead-lettered twice', async () => {
    const before = await tableTotals();
    await app?.close();
    app = undefined;
    // A fresh consumer group reads every topic from the beginning: all 10,000 messages come again,
    // in batches cut differently. Only the ClickHouse ledger stands between them and double counts.
    config = {
      ...config,
      aggregator: {
        ...config.aggregator,
        groupId: `${config.aggregator.groupId}-replay`,
        maxBytesPerPartition: 8192,
      },
    };
    const agg = await startApp();
    await waitFor(
      () => Promise.resolve(agg.counters().skippedRedelivered >= TOTAL),
      60_000,
      'every message redelivered and skipped',
    ).catch((e: Error) => {
      throw new Error(
        `${e.message}; counters ${JSON.stringify(agg.counters())}, consumer ${JSON.stringify(agg.consumerHealth())}`,
      );
    });
    assert.equal(agg.counters().stored, 0);
    assert.deepEqual(await tableTotals(), before);
    const dlq = await readAll(kafka, TOPICS.storefrontDlq);
    assert.equal(dlq.length, expected.invalid.length);
  });
});
