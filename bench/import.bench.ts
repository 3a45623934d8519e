import { AggregatorService } from '@storepulse/aggregator';
import { loadConfig } from '@storepulse/config';
import { createClickHouse, runMigrations } from '@storepulse/clickhouse';
import { createKafka, KafkaGroupProgress, KafkaReplaySink } from '@storepulse/kafka';
import { HealthRegistry, PipelineMetrics, createLogger } from '@storepulse/observability';
import {
  checkImport,
  ClickHouseImportCounter,
  parseImport,
  runImport,
  type Progress,
} from '@storepulse/importer';
import { resetStorefrontTopics } from '../test/support/kafka';
import { tempDir } from '../test/support/env';
import { benchBroker, ingestStorefront, mib, printTable, progress } from './support';

/**
 * npm run bench -- import   (BENCH_EVENTS, default 300000)
 * The history import: an NDJSON file of simulated storefront events (3 days of history, past any
 * lateness the replay header does not cover) is parsed, produced with the replay header (idempotent,
 * acks=all) and stored by a running aggregator (embedded engine); then the same file again, which
 * must store nothing (event_id dedup). Starts its own broker unless KAFKA_BROKERS is set.
 */
const N = Number(process.env.BENCH_EVENTS ?? 300_000);

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
    const sink = new KafkaReplaySink(kafka);
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
          batch: 5000,
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
      [
        'produce into the topics (idempotent, acks=all, 5000 per request)',
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
    ]);
  } finally {
    await broker.stop();
  }
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
