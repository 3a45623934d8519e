import type { Consumer, ConsumerConfig, Kafka, Message } from 'kafkajs';
import { loadConfig, type AppConfig } from '@storepulse/config';
import { createClickHouse, queryRows, runMigrations } from '@storepulse/clickhouse';
import { TOPICS } from '@storepulse/contracts';
import { batchConsumerConfig, createKafka } from '@storepulse/kafka';
import { HealthRegistry, PipelineMetrics, createLogger } from '@storepulse/observability';
import { AggregatorService, STOREFRONT_TOPICS, prepareChunk } from '@storepulse/aggregator';
import { allRollupTables, viewName } from '@storepulse/features';
import { produce, resetStorefrontTopics } from '../test/support/kafka';
import { tempDir } from '../test/support/env';
import { killAllChildren } from '../test/support/child-process';
import {
  INGEST_HISTORY_DAYS,
  PhaseClock,
  benchBroker,
  ingestStorefront,
  mib,
  printTable,
  progress,
  rssSampler,
} from './support';
import { peerRows } from './ingest-peer';

/**
 * npm run bench -- ingest   (BENCH_EVENTS, default 300000)
 * Events/s from Kafka into ClickHouse (raw tables + every feature rollup) next to a plain kafkajs
 * consumer reading the same messages from the same broker in the same run. Resets the storefront
 * topics: it starts its own broker unless KAFKA_BROKERS is set.
 * Then the peer (bench/ingest-peer.ts): ClickHouse's Kafka engine feeding the same raw tables and
 * 13 rollups, one run per BENCH_PEER_SWEEP setting, next to the aggregator — each in a process of
 * its own (its CPU and peak RSS), verified exact before its figures count; StorePulse ÷ best peer.
 * BENCH_INPROCESS=0 leaves out the in-process rows (JS alone, views dropped, dedup off).
 */
const N = Number(process.env.BENCH_EVENTS ?? 300_000);
/** BENCH_INPROCESS=0: only the plain consume and the own-process rows (aggregator, peer sweep). */
const INPROCESS = process.env.BENCH_INPROCESS !== '0';
/** Aggregator settings passed through to every aggregator run (in-process and own process). */
const AGG_ENV: Record<string, string> = Object.fromEntries(
  [
    'CLICKHOUSE_INSERT_MAX_ROWS',
    'AGGREGATOR_MAX_INFLIGHT_INSERTS',
    'AGGREGATOR_PARTITIONS_CONCURRENCY',
    'AGGREGATOR_MAX_BYTES_PER_PARTITION',
  ].flatMap((k) => (process.env[k] ? [[k, process.env[k]]] : [])),
);

async function main(): Promise<void> {
  const logger = createLogger('error', 'bench');
  const broker = await benchBroker(logger);
  const kafka = createKafka({ brokers: broker.brokers, clientId: 'bench-ingest', logger });
  try {
    progress(`broker ${broker.brokers.join(',')}; generating ${N} simulated events`);
    const sf = ingestStorefront();
    const byTopic = new Map<string, Message[]>();
    let n = 0;
    let expectedRows = 0;
    const expected = { clicks: 0, lines: 0, inventory: 0 };
    // denser, not longer, when more events are asked for (older messages would fall out of the
    // broker's retention); a little above N / days so that the history holds N
    const perDay = Math.max(100_000, Math.ceil((N / INGEST_HISTORY_DAYS) * 1.04));
    for (const chunk of sf.history(Date.now(), perDay)) {
      for (const m of chunk) {
        if (n >= N) break;
        const l = byTopic.get(m.topic) ?? [];
        l.push({ key: m.key, value: m.value, timestamp: String(Math.floor(m.timestampMs)) });
        byTopic.set(m.topic, l);
        n++;
        const rows =
          m.topic === TOPICS.orders
            ? (JSON.parse(m.value.toString('utf8')) as { items: unknown[] }).items.length
            : 1;
        expectedRows += rows;
        if (m.topic === TOPICS.orders) expected.lines += rows;
        else if (m.topic === TOPICS.clickstream) expected.clicks += rows;
        else expected.inventory += rows;
      }
      if (n >= N) break;
    }
    await resetStorefrontTopics(kafka);
    let produced = 0;
    const tp = Date.now();
    for (const [topic, msgs] of byTopic) {
      for (let i = 0; i < msgs.length; i += 20_000) {
        await produce(kafka, topic, msgs.slice(i, i + 20_000));
        produced += Math.min(20_000, msgs.length - i);
        progress(`produced ${produced}/${n}`);
      }
    }
    const produceMs = Date.now() - tp;
    byTopic.clear();

    // 1) raw kafkajs consume rate (eachBatch, no processing), first message → last message
    progress('raw kafkajs consumer');
    const consumer = await storefrontConsumer(kafka, {
      groupId: `bench-raw-${Date.now()}`,
      maxBytesPerPartition: 4 << 20,
    });
    let seen = 0;
    let bytes = 0;
    const rawClock = new PhaseClock();
    const rawDone = new Promise<void>((resolve) => {
      void consumer.run({
        partitionsConsumedConcurrently: 3,
        eachBatch: ({ batch }) => {
          rawClock.start();
          for (const m of batch.messages) bytes += m.value?.length ?? 0;
          seen += batch.messages.length;
          if (seen >= n) {
            rawClock.stop();
            resolve();
          }
          return Promise.resolve();
        },
      });
    });
    const rawTick = setInterval(() => progress(`raw consumed ${seen}/${n}`), 1000);
    await rawDone;
    clearInterval(rawTick);
    await consumer.disconnect();
    const raw = rawClock.result(n);
    const rawRate = raw.rate;

    // 2) the aggregator's JavaScript alone: its consumer settings, its validation and serialisation
    // (prepareChunk per chunk, the same chunking), offsets committed per batch — and nothing written.
    // No design of the ClickHouse side can make the aggregator faster than this.
    const jsConfig = loadConfig({ KAFKA_BROKERS: broker.brokers.join(','), LOG_LEVEL: 'error' });
    const jsOnly = INPROCESS ? await consumeJsOnly(kafka, n, jsConfig) : undefined;

    // 3) the aggregator (raw tables + rollup MVs), embedded ClickHouse; 4) the same without the views
    const dataDir = tempDir('bench-ingest');
    const runAggregator = async (database: string, rollups: boolean, dedup = true) => {
      progress(
        `aggregator → ClickHouse (${rollups ? 'raw + rollups' : 'raw only, views dropped'}; event_id dedup ${dedup ? 'on' : 'off'})`,
      );
      const config: AppConfig = loadConfig({
        KAFKA_BROKERS: broker.brokers.join(','),
        CLICKHOUSE_DATA_DIR: dataDir,
        CLICKHOUSE_DATABASE: database,
        AGGREGATOR_GROUP_ID: `bench-${database}-${Date.now()}`,
        LOG_LEVEL: 'error',
        ...(dedup ? {} : { DEDUP_WINDOW_MS: '0' }),
        ...AGG_ENV,
      });
      const ch = await createClickHouse(config.clickhouse);
      await runMigrations(ch.client);
      if (!rollups)
        for (const { table } of allRollupTables())
          await ch.client.command({ query: `DROP VIEW IF EXISTS ${viewName(table)}` });
      const rss = rssSampler();
      const agg = new AggregatorService(
        config,
        kafka,
        ch,
        logger,
        new PipelineMetrics(false),
        new HealthRegistry(),
      );
      await agg.onApplicationBootstrap();
      const clock = new PhaseClock();
      let tick = Date.now();
      for (;;) {
        const c = agg.counters();
        if (c.consumed > 0) clock.start();
        if (c.stored >= expectedRows) break;
        if (Date.now() - tick >= 1000) {
          tick = Date.now();
          progress(`stored ${c.stored}/${expectedRows} rows`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      clock.stop();
      const peak = rss.peak();
      rss.stop();
      await agg.beforeApplicationShutdown();
      const [check] = await queryRows<{ clicks: string; rolled: string }>(
        ch.client,
        `SELECT toString((SELECT count() FROM clickstream_events)) AS clicks,
                toString((SELECT sum(n_events) FROM fr_user_click_1m)) AS rolled`,
      );
      const version = await ch.version();
      await ch.close();
      return {
        ...clock.result(n),
        counters: agg.counters(),
        peak,
        check,
        version,
        config,
      };
    };
    // 5) the peer — ClickHouse's Kafka engine + the same views — and the aggregator, each in a
    // process of its own (CPU and peak RSS of that process only), same broker, same messages
    const peerRuns = await peerRows(broker.brokers, n, expected, AGG_ENV);
    if (!INPROCESS) {
      printTable('ingest: StorePulse against the Kafka engine peer', [
        ['events', `${n} (${expectedRows} rows)`],
        [
          'plain kafkajs consume (writes nothing)',
          `${rawRate.toFixed(0)} events/s, ${((raw.cores * 1e6) / rawRate).toFixed(2)} µs CPU/event (bench process)`,
        ],
        ...peerRuns,
      ]);
      return;
    }
    const full = await runAggregator('bench_rollups', true);
    const bare = await runAggregator('bench_raw_only', false);
    const noDedup = await runAggregator('bench_rollups_nodedup', true, false);
    const c = full.counters;
    const aggRate = full.rate;
    const aggFirst = 0;
    const aggLast = full.seconds * 1000;
    const rssAgg = full.peak;
    const check = full.check;
    const version = full.version;
    const config = full.config;
    printTable('ingest benchmark: Kafka → ClickHouse raw tables + feature rollups', [
      ['events', `${n} (${c.stored} rows stored, ${c.deadLettered} dead-lettered)`],
      [
        'aggregator wall time (first fetch → all stored)',
        `${((aggLast - aggFirst) / 1000).toFixed(1)} s`,
      ],
      ['produce (not part of the ratio)', `${(n / (produceMs / 1000)).toFixed(0)} events/s`],
      [
        'raw kafkajs consume',
        `${rawRate.toFixed(0)} events/s (${mib(bytes)}; ${raw.cores.toFixed(2)} cores)`,
      ],
      [
        'aggregator → ClickHouse + rollups',
        `${aggRate.toFixed(0)} events/s (process CPU ${full.cores.toFixed(2)} cores)`,
      ],
      ['ratio aggregator / raw consume', `${((100 * aggRate) / rawRate).toFixed(1)} %`],
      [
        'same, event_id dedup off (DEDUP_WINDOW_MS=0; cost of dedup)',
        `${noDedup.rate.toFixed(0)} events/s (dedup on: ${((100 * aggRate) / noDedup.rate).toFixed(1)} % of it; ${noDedup.cores.toFixed(2)} cores; ${c.duplicates} duplicates dropped with dedup on)`,
      ],
      ['rollup tables (materialized views)', String(allRollupTables().length)],
      [
        "aggregator's JS alone: consume + validate + serialise, nothing written",
        jsOnly
          ? `${jsOnly.rate.toFixed(0)} events/s (${((100 * jsOnly.rate) / rawRate).toFixed(1)} % of raw consume; ${jsOnly.cores.toFixed(2)} cores; ${((jsOnly.cores * 1e6) / jsOnly.rate).toFixed(2)} µs CPU/event; ${jsOnly.rows} rows, ${jsOnly.deadLetters} dead letters)`
          : '-',
      ],
      [
        'same aggregator, views dropped (cost of rollups)',
        `${bare.rate.toFixed(0)} events/s (${((100 * bare.rate) / rawRate).toFixed(1)} % of raw consume; ${bare.cores.toFixed(2)} cores)`,
      ],
      ['check: clicks raw = user rollup', `${check.clicks} = ${check.rolled}`],
      ['peak RSS during aggregator phase', mib(rssAgg)],
      ['peak RSS of the process', mib(process.resourceUsage().maxRSS * 1024)],
      ...peerRuns,
      ['ClickHouse', `${version} (embedded, chdb)`],
      [
        'chunk rows / inflight inserts / fetch bytes per partition',
        `${config.clickhouse.insertMaxRows} / ${config.aggregator.maxInflightInserts} / ${mib(config.aggregator.maxBytesPerPartition)}`,
      ],
    ]);
  } finally {
    killAllChildren();
    await broker.stop();
  }
}

/**
 * The ceiling of the ClickHouse side: a consumer with the aggregator's settings that prepares every
 * batch exactly as the aggregator does (chunks of CLICKHOUSE_INSERT_MAX_ROWS messages) and commits,
 * but writes nothing.
 */
async function consumeJsOnly(
  kafka: Kafka,
  n: number,
  config: AppConfig,
): Promise<{ rate: number; cores: number; rows: number; deadLetters: number }> {
  progress("aggregator's JS alone (consume + validate + serialise, nothing written)");
  const a = config.aggregator;
  const consumer = await storefrontConsumer(
    kafka,
    batchConsumerConfig({ ...a, groupId: `bench-js-${Date.now()}` }),
  );
  let seen = 0;
  let rows = 0;
  let deadLetters = 0;
  const clock = new PhaseClock();
  const now = new Date();
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: a.partitionsConcurrency,
      eachBatch: async (payload) => {
        const { batch } = payload;
        clock.start();
        const step = config.clickhouse.insertMaxRows;
        for (let i = 0; i < batch.messages.length; i += step) {
          const chunk = prepareChunk(batch.messages.slice(i, i + step), {
            topic: batch.topic,
            partition: batch.partition,
            consumerGroup: 'bench-js',
            now,
            eventTime: {
              allowedLatenessMs: config.features.allowedLatenessMs,
              maxFutureMs: config.features.maxFutureMs,
            },
          });
          rows += chunk.rowCount ?? chunk.rows.length;
          deadLetters += chunk.deadLetters.length;
          await new Promise<void>((r) => setImmediate(r));
        }
        payload.resolveOffset(batch.lastOffset());
        await consumer.commitOffsets([
          {
            topic: batch.topic,
            partition: batch.partition,
            offset: (BigInt(batch.lastOffset()) + 1n).toString(),
          },
        ]);
        seen += batch.messages.length;
        if (seen >= n) {
          clock.stop();
          resolve();
        }
      },
    });
  });
  const tick = setInterval(() => progress(`prepared ${seen}/${n}`), 1000);
  await done;
  clearInterval(tick);
  await consumer.disconnect();
  return { ...clock.result(n), rows, deadLetters };
}

/** A connected consumer subscribed to the storefront topics from the beginning. */
async function storefrontConsumer(kafka: Kafka, config: ConsumerConfig): Promise<Consumer> {
  const consumer = kafka.consumer(config);
  await consumer.connect();
  await consumer.subscribe({ topics: [...STOREFRONT_TOPICS], fromBeginning: true });
  return consumer;
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
