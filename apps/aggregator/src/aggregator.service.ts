import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import { APP_CONFIG, type AppConfig } from '@storepulse/config';
import { CLICKHOUSE, type ClickHouseHandle } from '@storepulse/clickhouse';
import { TOPICS } from '@storepulse/contracts';
import {
  BatchConsumer,
  DLQ_STORED_HEADER,
  KAFKA,
  KafkaDeadLetterSink,
  type ConsumerHealth,
} from '@storepulse/kafka';
import { HealthRegistry, LOGGER, PipelineMetrics, type Logger } from '@storepulse/observability';
import { DiskFullGuard, type DiskFullState } from './disk-full/disk-full-guard';
import { ClickHouseLedger } from './ingest/ledger.repository';
import { ClickHouseEventIdIndex, EventDeduplicator } from './ingest/dedup';
import {
  ClickHouseChunkStore,
  IngestService,
  STOREFRONT_TOPICS,
  type IngestCounters,
} from './ingest/ingest.service';

/** Runs the storefront → ClickHouse pipeline: one consumer group over the storefront topics. */
@Injectable()
export class AggregatorService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly ingest: IngestService;
  private readonly consumer: BatchConsumer;
  private readonly diskFull: DiskFullGuard;
  private readonly producer: Producer;
  private readonly log: Logger;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(KAFKA) kafka: Kafka,
    @Inject(CLICKHOUSE) ch: ClickHouseHandle,
    @Inject(LOGGER) logger: Logger,
    metrics: PipelineMetrics,
    health: HealthRegistry,
  ) {
    this.log = logger.child({ component: 'aggregator' });
    const a = config.aggregator;
    this.producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    this.ingest = new IngestService(
      new ClickHouseLedger(ch.client, 'aggregator'),
      new ClickHouseChunkStore(
        ch.client,
        { maxRows: config.clickhouse.insertMaxRows, maxBytes: config.clickhouse.insertMaxBytes },
        metrics,
        ch.insertJsonLines,
      ),
      // stored with their chunk: the dead-letter archive must not copy them again
      new KafkaDeadLetterSink(this.producer, { [DLQ_STORED_HEADER]: 'dead_letters' }),
      {
        pipeline: 'aggregator',
        consumerGroup: a.groupId,
        dlqTopic: TOPICS.storefrontDlq,
        maxChunkMessages: config.clickhouse.insertMaxRows,
        maxInflightWrites: a.maxInflightInserts,
        eventTime: {
          allowedLatenessMs: config.features.allowedLatenessMs,
          maxFutureMs: config.features.maxFutureMs,
          replayMaxAgeMs: a.importMaxAgeDays * 86_400_000,
        },
        ...(a.dedupWindowMs > 0
          ? {
              dedup: new EventDeduplicator(new ClickHouseEventIdIndex(ch.client), a.dedupWindowMs),
            }
          : {}),
      },
      this.log,
      metrics,
    );
    this.diskFull = new DiskFullGuard(this.ingest, this.log, metrics);
    this.consumer = new BatchConsumer(
      kafka,
      {
        groupId: a.groupId,
        topics: STOREFRONT_TOPICS,
        partitionsConcurrency: a.partitionsConcurrency,
        maxBytesPerPartition: a.maxBytesPerPartition,
        retryMaxMs: a.retryMaxMs,
        stallTimeoutMs: a.stallTimeoutMs,
        sessionTimeoutMs: a.sessionTimeoutMs,
        drainTimeoutMs: config.shutdownDrainTimeoutMs,
        logger: this.log,
        metrics,
      },
      this.diskFull,
    );
    health.register({
      name: 'aggregator-consumer',
      check: () => {
        const h = this.consumer.health();
        const diskFull = this.diskFull.state();
        return Promise.resolve({
          ok: h.running && !h.stalled && !h.degraded && diskFull === null,
          details: { ...h, diskFull },
        });
      },
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.producer.connect();
    await this.consumer.start();
    this.log.info(
      { groupId: this.config.aggregator.groupId, topics: STOREFRONT_TOPICS },
      'aggregator consuming',
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    const { drained } = await this.consumer.stop();
    await this.producer.disconnect();
    this.log.info({ drained, ...this.ingest.counters }, 'aggregator stopped');
  }

  counters(): IngestCounters {
    return { ...this.ingest.counters };
  }
  consumerHealth(): ConsumerHealth {
    return this.consumer.health();
  }
  /** Non-null while writes fail because ClickHouse's data folder is full. */
  diskFullState(): DiskFullState | null {
    return this.diskFull.state();
  }
}
