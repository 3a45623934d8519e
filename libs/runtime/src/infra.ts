import type { Kafka } from 'kafkajs';
import type { AppConfig } from '@storepulse/config';
import {
  applyRetention,
  createClickHouse,
  runMigrations,
  type ClickHouseHandle,
} from '@storepulse/clickhouse';
import { TOPIC_SPECS } from '@storepulse/contracts';
import { createKafka, ensureTopics, type KafkaInfo } from '@storepulse/kafka';
import type { Logger } from '@storepulse/observability';
import { startLocalBroker, type LocalBroker } from './local-broker';

export interface Infra {
  kafka: Kafka;
  kafkaInfo: KafkaInfo;
  clickhouse: ClickHouseHandle | undefined;
  localBroker: LocalBroker | undefined;
  close(): Promise<void>;
}

export interface InfraOptions {
  /** Start the local broker when KAFKA_BROKERS is unset (the all-in-one default); otherwise require it. */
  allowLocalBroker: boolean;
  clickhouse: 'none' | 'server-only' | 'server-or-embedded';
  /** Environment handed to the local broker script (port, data dir, heap). */
  env: NodeJS.ProcessEnv;
}

export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

/** Connects (or starts) Kafka, creates topics, connects ClickHouse and applies migrations + retention. */
export async function connectInfra(
  config: AppConfig,
  logger: Logger,
  opts: InfraOptions,
): Promise<Infra> {
  if (config.clickhouse.mode === 'embedded' && opts.clickhouse === 'server-only') {
    throw new StartupError(
      'CLICKHOUSE_URL is not set. The embedded ClickHouse engine belongs to one process, so apps run as separate processes ' +
        'need a ClickHouse server (CLICKHOUSE_URL=http://host:8123). Run `npm start` for the all-in-one process with the embedded engine.',
    );
  }
  let localBroker: LocalBroker | undefined;
  let brokers = config.kafka.brokers;
  if (!brokers) {
    if (!opts.allowLocalBroker)
      throw new StartupError(
        'KAFKA_BROKERS is not set: this app needs a Kafka broker (e.g. KAFKA_BROKERS=localhost:9092; `npm run infra:up` starts a local one)',
      );
    logger.info(
      { port: config.kafka.localPort },
      'KAFKA_BROKERS unset: starting the local Kafka broker (infra/kafka)',
    );
    localBroker = await startLocalBroker(config.kafka.localPort, opts.env, logger);
    brokers = localBroker.brokers;
  }
  const kafka = createKafka({ brokers, clientId: config.kafka.clientId, logger });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const created = await ensureTopics(
      admin,
      TOPIC_SPECS,
      config.kafka.topicPartitions,
      config.kafka.topicReplication,
    );
    if (created.length > 0) logger.info({ created }, 'topics created');
  } catch (e) {
    await localBroker?.stop();
    throw new StartupError(`Kafka at ${brokers.join(',')} is not usable: ${(e as Error).message}`);
  } finally {
    await admin.disconnect();
  }

  let clickhouse: ClickHouseHandle | undefined;
  if (opts.clickhouse !== 'none') {
    clickhouse = await createClickHouse(config.clickhouse);
    // Apps sharing a server may start at once: the lock makes each migration run once.
    const m = await runMigrations(clickhouse.client, undefined, {
      lock: clickhouse.mode === 'server' ? {} : false,
    });
    const ttl = await applyRetention(
      clickhouse.client,
      clickhouse.database,
      config.clickhouse.rawTtlDays,
      config.aggregator.dedupWindowMs,
    );
    logger.info(
      {
        mode: clickhouse.mode,
        version: await clickhouse.version(),
        applied: m.applied,
        ttlChanged: ttl,
      },
      'ClickHouse ready',
    );
  }

  return {
    kafka,
    kafkaInfo: { brokers, localBroker: localBroker?.started ?? false },
    clickhouse,
    localBroker,
    async close() {
      await clickhouse?.close();
      await localBroker?.stop();
    },
  };
}
