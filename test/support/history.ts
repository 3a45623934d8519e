// Simulated history into the embedded engine through the real path: Storefront → Kafka → aggregator
// (validation, exactly-once ingest, rollups). Used by the trainer's integration test and the benches.
import type { Message } from 'kafkajs';
import type { AppConfig } from '@storepulse/config';
import { queryRows, type ClickHouseHandle } from '@storepulse/clickhouse';
import { createKafka } from '@storepulse/kafka';
import { HealthRegistry, PipelineMetrics, type Logger } from '@storepulse/observability';
import { AggregatorService } from '@storepulse/aggregator';
import { Storefront, type StorefrontOptions } from '@storepulse/simulator';
import { produce, resetStorefrontTopics, waitFor } from './kafka';

export interface LoadedHistory {
  messages: number;
  valid: { clicks: number; orders: number; inventory: number };
  ms: { produce: number; ingest: number };
}

export async function loadHistory(
  config: AppConfig,
  ch: ClickHouseHandle,
  logger: Logger,
  sf: StorefrontOptions & { endMs: number; eventsPerDay: number },
  progress: (line: string) => void = () => undefined,
): Promise<LoadedHistory> {
  const kafka = createKafka({ brokers: config.kafka.brokers!, clientId: 'history', logger });
  await resetStorefrontTopics(kafka);
  const store = new Storefront(sf);
  const valid = { clicks: 0, orders: 0, inventory: 0 };
  let messages = 0;
  const t0 = Date.now();
  let byTopic = new Map<string, Message[]>();
  let pending = 0;
  const flush = async () => {
    for (const [topic, msgs] of byTopic) await produce(kafka, topic, msgs);
    byTopic = new Map();
    pending = 0;
  };
  for (const chunk of store.history(sf.endMs, sf.eventsPerDay, 20_000)) {
    for (const m of chunk) {
      const list = byTopic.get(m.topic) ?? [];
      // no Kafka timestamp: old event times would fall out of the topics' retention
      list.push({ key: m.key, value: m.value });
      byTopic.set(m.topic, list);
      messages++;
      pending++;
      if (!m.valid) continue;
      if (m.topic === 'storefront.clickstream.v1') valid.clicks++;
      else if (m.topic === 'storefront.orders.v1') valid.orders++;
      else valid.inventory++;
    }
    if (pending >= 100_000) {
      await flush();
      progress(`produced ${messages} messages (simulated ${new Date(store.now).toISOString()})`);
    }
  }
  await flush();
  const t1 = Date.now();
  progress(`produced ${messages} messages in ${t1 - t0} ms; ingesting`);
  const agg = new AggregatorService(
    config,
    kafka,
    ch,
    logger,
    new PipelineMetrics(false),
    new HealthRegistry(),
  );
  await agg.onApplicationBootstrap();
  try {
    await waitFor(
      async () => {
        const [r] = await queryRows<{ c: string; o: string; i: string }>(
          ch.client,
          `SELECT toString((SELECT count() FROM clickstream_events)) AS c,
                  toString((SELECT uniqExact(event_id) FROM order_lines)) AS o,
                  toString((SELECT count() FROM inventory_snapshots)) AS i`,
        );
        return (
          Number(r?.c) >= valid.clicks &&
          Number(r?.o) >= valid.orders &&
          Number(r?.i) >= valid.inventory
        );
      },
      600_000,
      `${valid.clicks + valid.orders + valid.inventory} events stored`,
      500,
    );
  } finally {
    await agg.beforeApplicationShutdown();
  }
  const t2 = Date.now();
  progress(`ingested in ${t2 - t1} ms`);
  return { messages, valid, ms: { produce: t1 - t0, ingest: t2 - t1 } };
}
