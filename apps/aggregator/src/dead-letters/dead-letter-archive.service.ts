import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { Counter } from 'prom-client';
import { APP_CONFIG, type AppConfig } from '@storepulse/config';
import { CLICKHOUSE, type ClickHouseHandle } from '@storepulse/clickhouse';
import { TOPICS } from '@storepulse/contracts';
import { BatchConsumer, KAFKA, type ConsumerHealth } from '@storepulse/kafka';
import { HealthRegistry, LOGGER, PipelineMetrics, type Logger } from '@storepulse/observability';
import { ClickHouseLedger } from '../ingest/ledger.repository';
import {
  ARCHIVE_PIPELINE,
  ClickHouseArchiveStore,
  DeadLetterArchive,
  type ArchiveCounters,
} from './dead-letter-archive';

/** The archive's consumer group: the aggregator's, suffixed. */
export const archiveGroupId = (config: AppConfig): string =>
  `${config.aggregator.groupId}-dead-letters`;

/**
 * Runs the dead-letter archive next to the aggregator (same app, same ClickHouse): one consumer
 * group over dlq.storefront.v1, from its beginning, so every record of the topic that is not the
 * aggregator's own ends up in `dead_letters` once (see DeadLetterArchive).
 */
@Injectable()
export class DeadLetterArchiveService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly archive: DeadLetterArchive;
  private readonly consumer: BatchConsumer;
  private readonly log: Logger;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(KAFKA) kafka: Kafka,
    @Inject(CLICKHOUSE) ch: ClickHouseHandle,
    @Inject(LOGGER) logger: Logger,
    metrics: PipelineMetrics,
    health: HealthRegistry,
  ) {
    this.log = logger.child({ component: 'dead-letter-archive' });
    const a = config.aggregator;
    this.archive = new DeadLetterArchive(
      new ClickHouseLedger(ch.client, ARCHIVE_PIPELINE),
      new ClickHouseArchiveStore(
        ch.client,
        { maxRows: config.clickhouse.insertMaxRows, maxBytes: config.clickhouse.insertMaxBytes },
        ch.insertJsonLines,
      ),
      { aggregatorGroup: a.groupId, maxChunkMessages: config.clickhouse.insertMaxRows },
      this.log,
    );
    this.consumer = new BatchConsumer(
      kafka,
      {
        groupId: archiveGroupId(config),
        topics: [TOPICS.storefrontDlq],
        partitionsConcurrency: 1,
        maxBytesPerPartition: a.maxBytesPerPartition,
        retryMaxMs: a.retryMaxMs,
        stallTimeoutMs: a.stallTimeoutMs,
        sessionTimeoutMs: a.sessionTimeoutMs,
        drainTimeoutMs: config.shutdownDrainTimeoutMs,
        fromBeginning: true,
        logger: this.log,
        metrics,
      },
      this.archive,
    );
    const counters = this.archive.counters;
    new Counter({
      name: 'storepulse_dead_letters_archived_total',
      help: 'Records of the dead-letter topic copied into ClickHouse dead_letters by the archive, by the consumer_group header of the record (storepulse-collector: HTTP rejects)',
      labelNames: ['consumer_group'],
      registers: [metrics.registry],
      collect() {
        this.reset();
        for (const [group, n] of counters.archived) this.inc({ consumer_group: group }, n);
      },
    });
    health.register({
      name: 'dead-letter-archive',
      check: () => {
        const h = this.consumer.health();
        return Promise.resolve({ ok: h.running && !h.stalled && !h.degraded, details: { ...h } });
      },
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.consumer.start();
    this.log.info({ topic: TOPICS.storefrontDlq }, 'dead-letter archive consuming');
  }

  async beforeApplicationShutdown(): Promise<void> {
    const { drained } = await this.consumer.stop();
    const c = this.counters();
    this.log.info(
      { drained, ...c, archived: Object.fromEntries(c.archived) },
      'dead-letter archive stopped',
    );
  }

  counters(): ArchiveCounters {
    return { ...this.archive.counters, archived: new Map(this.archive.counters.archived) };
  }
  consumerHealth(): ConsumerHealth {
    return this.consumer.health();
  }
}
