import { loadavg } from 'node:os';
import { AggregatorService } from '@storepulse/aggregator';
import { loadConfig } from '@storepulse/config';
import { createClickHouse, runMigrations } from '@storepulse/clickhouse';
import {
  createKafka,
  createReplaySink,
  KafkaGroupProgress,
  KafkaReplaySink,
  RdKafkaReplaySink,
} from '@storepulse/kafka';
import { HealthRegistry, PipelineMetrics, createLogger } from '@storepulse/observability';
import { REPLAY_HEADER } from '@storepulse/contracts';
import {
  checkImport,
  ClickHouseImportCounter,
  IMPORT_PRODUCE,
  parseImport,
  produceAll,
  runImport,
  type ImportMessage,
  type Progress,
} from '@storepulse/importer';
import type { Kafka } from 'kafkajs';
import { createTopicsReady, resetStorefrontTopics } from '../test/support/kafka';
import { tempDir } from '../test/support/env';
import { benchBroker, ingestStorefront, mib, printTable, progress } from './support';

/**
 * npm run bench -- import   (BENCH_EVENTS, default 300000)
 * The history import: an NDJSON file of simulated storefront events (3 days of history, past any
 * lateness the replay header does not cover) is parsed, produced with the replay header (idempotent,
 * acks=all) and stored by a running aggregator (embedded engine); then the same file again, which
 * must store nothing (event_id dedup). Before that, the produce step alone side by side, onto
 * scratch topics with the storefront topics' partitions (3), alternating twice: one idempotent
 * producer with one send at a time (as before) against IMPORT_PRODUCE (several producers owning
 * disjoint partitions, several sends in flight) and, when its binding is provisioned, librdkafka
 * (IMPORT_KAFKA_CLIENT's default), with this process' CPU per event (librdkafka's own threads
 * included: process.cpuUsage counts every thread).
 * Starts its own broker unless KAFKA_BROKERS is set.
 */
const N = Number(process.env.BENCH_EVENTS ?? 300_000);

interface ProduceVariant {
  label: string;
  client: 'kafkajs' | 'librdkafka';
  producers: number;
  inFlight: number;
}

/** The produce step alone onto `bench.import.<topic>` (3 partitions): events/s and CPU µs/event. */
async function produceOnly(
  kafka: Kafka,
  brokers: readonly string[],
  messages: readonly ImportMessage[],
  v: ProduceVariant,
): Promise<{ rate: number; cpuUsPerEvent: number }> {
  const scratch = messages.map((m) => ({ ...m, topic: `bench.import.${m.topic}` }));
  const sink =
    v.client === 'librdkafka'
      ? new RdKafkaReplaySink(kafka, brokers)
      : new KafkaReplaySink(kafka, { producers: v.producers });
  try {
    await sink.logEnds([...new Set(scratch.map((m) => m.topic))]);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await produceAll(
      scratch,
      sink,
      { [REPLAY_HEADER]: '1' },
      { batch: IMPORT_PRODUCE.batch, inFlight: v.inFlight },
      () => undefined,
    );
    const s = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return { rate: messages.length / s, cpuUsPerEvent: (cpu.user + cpu.system) / messages.length };
  } finally {
    await sink.close();
  }
}

async function main(): Promise<void> {
  const logger = createLogger('error', 'bench');
  const broker = await benchBroker(logger);
  const kafka = createKafka({ brokers: broker.brokers, clientId: 'bench-import', logger });
  try {
    progress(`broker ${broker.brokers.join(',')}; generating ${N} simulated events as NDJSON`);
    const lines: string[] = [];
    for (const chunk of ingestStorefront().history(Date.now(), 100_000)) {
      for (const m of chunk) {
        if (lines.length >= N) break;
        lines.push(`${m.key ?? ''}|${m.value.toString('utf8')}`);
      }
      if (lines.length >= N) break;
    }
    const text = lines.join('\n');
    lines.length = 0;
    await resetStorefrontTopics(kafka);

    const t0 = Date.now();
    const { messages, errors } = parseImport(text, 'ndjson');
    const parseMs = Date.now() - t0;
    const config = loadConfig({
      KAFKA_BROKERS: broker.brokers.join(','),
      CLICKHOUSE_DATA_DIR: tempDir('bench-import'),
      AGGREGATOR_GROUP_ID: `bench-import-${Date.now()}`,
      // the simulated history is 3 days old: only the replay header may admit it
      FEATURES_ALLOWED_LATENESS_MS: String(3_600_000),
      LOG_LEVEL: 'error',
    });
    checkImport(messages, errors, {
      rawTtlDays: config.clickhouse.rawTtlDays,
      importMaxAgeDays: config.aggregator.importMaxAgeDays,
    });
    const variants: ProduceVariant[] = [
      {
        label: 'kafkajs, 1 producer, 1 send at a time (before)',
        client: 'kafkajs',
        producers: 1,
        inFlight: 1,
      },
      {
        label: `kafkajs, ${IMPORT_PRODUCE.producers} producers, ${IMPORT_PRODUCE.inFlight} sends in flight (IMPORT_KAFKA_CLIENT=kafkajs)`,
        client: 'kafkajs',
        producers: IMPORT_PRODUCE.producers,
        inFlight: IMPORT_PRODUCE.inFlight,
      },
    ];
    const chosen = createReplaySink(
      kafka,
      broker.brokers,
      config.kafka.importClient,
      IMPORT_PRODUCE.producers,
    );
    await chosen.sink.close();
    if (chosen.client === 'librdkafka')
      variants.push({
        label: `librdkafka, 1 idempotent producer, ${IMPORT_PRODUCE.inFlight} sends in flight (IMPORT_KAFKA_CLIENT=librdkafka)`,
        client: 'librdkafka',
        producers: 1,
        inFlight: IMPORT_PRODUCE.inFlight,
      });
    else progress(`no librdkafka row: ${chosen.fallbackReason ?? 'IMPORT_KAFKA_CLIENT=kafkajs'}`);
    {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const existing = new Set(await admin.listTopics());
        const names = [...new Set(messages.map((m) => `bench.import.${m.topic}`))];
        if (names.some((n) => existing.has(n)))
          await admin.deleteTopics({ topics: names.filter((n) => existing.has(n)) });
        await createTopicsReady(
          admin,
          names.map((topic) => ({ topic, numPartitions: 3 })),
        );
      } finally {
        await admin.disconnect();
      }
    }
    const sideBySide = new Map<string, { rate: number; cpuUsPerEvent: number }[]>();
    for (let round = 0; round < 2; round++)
      for (const v of round === 0 ? variants : [...variants].reverse()) {
        progress(`produce only, ${v.label}, round ${round + 1}`);
        const r = await produceOnly(kafka, broker.brokers, messages, v);
        sideBySide.set(v.label, [...(sideBySide.get(v.label) ?? []), r]);
      }
    const ch = await createClickHouse(config.clickhouse);
    await runMigrations(ch.client);
    const agg = new AggregatorService(
      config,
      kafka,
      ch,
      logger,
      new PipelineMetrics(false),
      new HealthRegistry(),
    );
    const sink = createReplaySink(
      kafka,
      broker.brokers,
      config.kafka.importClient,
      IMPORT_PRODUCE.producers,
    ).sink;
    const group = new KafkaGroupProgress(kafka, config.aggregator.groupId, 100);
    const quiet: Progress = {
      update: (sent, total) => {
        if (sent % 50_000 < 5000) progress(`produced ${sent}/${total}`);
      },
      done: () => undefined,
    };
    let running = false;
    // the first import is produced before the aggregator starts: the produce rate is the import's alone
    const startAggregator = async () => {
      if (running) return;
      running = true;
      await agg.onApplicationBootstrap();
    };
    const run = () =>
      runImport(
        messages,
        sink,
        group,
        new ClickHouseImportCounter(ch.client),
        quiet,
        {
          batch: IMPORT_PRODUCE.batch,
          inFlight: IMPORT_PRODUCE.inFlight,
          groupId: config.aggregator.groupId,
          waitTimeoutMs: 600_000,
          onProduced: startAggregator,
        },
        logger,
      );
    const first = await run();
    progress('rerun of the same file (aggregator running)');
    const second = await run();
    await sink.close();
    await group.close();
    await agg.beforeApplicationShutdown();
    await ch.close();
    printTable('import benchmark: NDJSON history → Kafka (replay header) → aggregator', [
      ['events', `${messages.length} (${mib(text.length)} of NDJSON)`],
      ['parse', `${((messages.length / parseMs) * 1000).toFixed(0)} events/s`],
      ...variants.map((v): [string, string] => [
        `produce only, ${v.label}`,
        (sideBySide.get(v.label) ?? [])
          .map((r) => `${r.rate.toFixed(0)} events/s, ${r.cpuUsPerEvent.toFixed(1)} µs CPU/event`)
          .join('; '),
      ]),
      [
        `produce into the topics (npm run import: ${chosen.client === 'librdkafka' ? '1 idempotent librdkafka producer' : `${IMPORT_PRODUCE.producers} idempotent kafkajs producers`}, ${IMPORT_PRODUCE.inFlight} sends of ${IMPORT_PRODUCE.batch} in flight, acks=all)`,
        `${first.eventsPerSec.toFixed(0)} events/s (target ≥ 50,000)`,
      ],
      [
        'first import: all stored (first send → aggregator committed; it starts once all is produced)',
        `${(first.storedAfterMs / 1000).toFixed(1)} s = ${((first.sent / first.storedAfterMs) * 1000).toFixed(0)} events/s; stored ${first.stored}, dead-lettered ${first.deadLettered}, duplicates ${first.duplicates}`,
      ],
      [
        'rerun of the same file, aggregator running (everything a duplicate)',
        `produce ${second.eventsPerSec.toFixed(0)} events/s; all seen ${(second.storedAfterMs / 1000).toFixed(1)} s = ${((second.sent / second.storedAfterMs) * 1000).toFixed(0)} events/s; stored ${second.stored}, dead-lettered ${second.deadLettered}, duplicates ${second.duplicates}`,
      ],
      ['ClickHouse', 'embedded (chdb)'],
      [
        'load',
        `load average ${loadavg()
          .map((x) => x.toFixed(1))
          .join(' ')} at the end (2 cores shared)`,
      ],
    ]);
  } finally {
    await broker.stop();
  }
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
