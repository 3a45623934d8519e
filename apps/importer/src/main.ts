import { readFileSync } from 'node:fs';
import { createClickHouse } from '@storepulse/clickhouse';
import { createKafka, createReplaySink, KafkaGroupProgress } from '@storepulse/kafka';
import { runMain, StartupError } from '@storepulse/runtime';
import { ClickHouseImportCounter } from './counters';
import {
  checkImport,
  ImportRefusedError,
  IMPORT_PRODUCE,
  runImport,
  StderrProgress,
  type ImportCounter,
} from './importer';
import { parseImport, type ImportFormat } from './parse';
import { parseArgs, USAGE } from './args';

/**
 * `npm run import -- FILE [--topic T] [--format ndjson|csv] [--wait-timeout-ms N]`: replays history
 * onto the storefront topics with the replay header, waits until the aggregator stored it, prints
 * stored / dead-lettered / duplicate counts (README "Importing history").
 */
runMain('storepulse-import', async ({ config, logger }) => {
  const args = parseArgs(process.argv.slice(2));
  if ('error' in args) {
    console.error(`${args.error}\n${USAGE}`);
    process.exit(2);
  }
  const format: ImportFormat = args.format ?? (args.file.endsWith('.csv') ? 'csv' : 'ndjson');
  const { messages, errors } = parseImport(readFileSync(args.file, 'utf8'), format, args.topic);
  try {
    checkImport(messages, errors, {
      rawTtlDays: config.clickhouse.rawTtlDays,
      importMaxAgeDays: config.aggregator.importMaxAgeDays,
    });
  } catch (e) {
    if (e instanceof ImportRefusedError) {
      console.error(`import refused: ${e.message}`);
      process.exit(3);
    }
    throw e;
  }
  const brokers = config.kafka.brokers;
  if (!brokers)
    throw new StartupError('KAFKA_BROKERS must be set: the import produces to a running broker');
  if (config.clickhouse.mode !== 'server')
    throw new StartupError(
      'CLICKHOUSE_URL must be set: the import counts what was stored in ClickHouse, and the embedded engine belongs to the process running the aggregator',
    );
  const ch = await createClickHouse(config.clickhouse);
  const counter: ImportCounter = new ClickHouseImportCounter(ch.client);
  const kafka = createKafka({ brokers, clientId: `${config.kafka.clientId}-import`, logger });
  const chosen = createReplaySink(
    kafka,
    brokers,
    config.kafka.importClient,
    IMPORT_PRODUCE.producers,
  );
  if (chosen.fallbackReason)
    logger.warn(
      { reason: chosen.fallbackReason },
      'import producer: kafkajs (librdkafka not usable)',
    );
  logger.info({ client: chosen.client }, 'import producer');
  const sink = chosen.sink;
  const progress = new KafkaGroupProgress(kafka, config.aggregator.groupId, 250);
  try {
    const r = await runImport(
      messages,
      sink,
      progress,
      counter,
      new StderrProgress(),
      {
        batch: IMPORT_PRODUCE.batch,
        inFlight: IMPORT_PRODUCE.inFlight,
        groupId: config.aggregator.groupId,
        waitTimeoutMs: args.waitTimeoutMs,
      },
      logger,
    );
    console.log(
      `import: ${r.sent} sent (${Math.round(r.eventsPerSec)} events/s), stored ${r.stored}, dead-lettered ${r.deadLettered}, duplicates dropped ${r.duplicates ?? '?'}; all stored ${(r.storedAfterMs / 1000).toFixed(1)} s after the first send`,
    );
  } finally {
    await sink.close();
    await progress.close();
    await ch.close();
  }
});
