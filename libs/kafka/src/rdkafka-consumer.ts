// BatchConsumer's consumer on librdkafka (@confluentinc/kafka-javascript's KafkaJS-compatible
// consumer). It exists for latency: librdkafka fetches on its own threads while batches are being
// handled (kafkajs fetches the next batch of a broker only after the previous ones were handled, so
// an event that arrives during a transaction waits for it), and decodes records off the event loop.
// Eager rebalances (range/roundrobin), no auto-commit, read_committed unless asked otherwise; a batch
// left unresolved is re-delivered from its first unresolved offset (the compat layer seeks back).
import type * as RdKafka from '@confluentinc/kafka-javascript';
import type { Logger } from '@storepulse/observability';
import { loadNativeKafka, type NativeModule } from './native';
import type {
  ConsumerEngine,
  EngineHooks,
  EnginePayload,
  EngineSettings,
  FetchTiming,
} from './consumer-engine';

type CompatKafka = RdKafka.KafkaJS.Kafka;
type CompatConsumer = RdKafka.KafkaJS.Consumer;
type CompatLogger = RdKafka.KafkaJS.Logger;

/** librdkafka's assignment codes in a rebalance callback (RdKafka.CODES.ERRORS). */
const ERR_ASSIGN_PARTITIONS = -175;

/** Default most messages in one batch: kafkajs' batches of a 256 KiB partition fetch hold ~1,300. */
export const RDKAFKA_DEFAULT_MAX_BATCH_MESSAGES = 2_000;

function compatLogger(log: Logger): CompatLogger {
  const child = log.child({ component: 'librdkafka-consumer' });
  const self: CompatLogger = {
    info: (message, extra) => child.debug(extra ?? {}, message),
    debug: (message, extra) => child.debug(extra ?? {}, message),
    warn: (message, extra) => child.warn(extra ?? {}, message),
    error: (message, extra) => child.error(extra ?? {}, message),
    namespace: () => self,
    setLogLevel: () => undefined,
  };
  return self;
}

export class RdKafkaConsumerEngine implements ConsumerEngine {
  readonly client = 'librdkafka' as const;
  private readonly consumer: CompatConsumer;

  constructor(
    brokers: readonly string[],
    private readonly s: EngineSettings,
    private readonly hooks: EngineHooks,
    logger: Logger,
    opts: { clientId?: string; mod?: NativeModule } = {},
  ) {
    const mod = opts.mod ?? loadNativeKafka();
    const log = compatLogger(logger);
    const kafka: CompatKafka = new mod.KafkaJS.Kafka({
      kafkaJS: {
        brokers: [...brokers],
        clientId: opts.clientId ?? 'storepulse-consumer',
        logger: log,
        logLevel: mod.KafkaJS.logLevel.WARN,
      },
    });
    const sessionTimeout = s.sessionTimeoutMs ?? 30_000;
    this.consumer = kafka.consumer({
      kafkaJS: {
        groupId: s.groupId,
        fromBeginning: s.fromBeginning ?? true,
        autoCommit: false,
        sessionTimeout,
        heartbeatInterval: Math.min(3_000, Math.floor(sessionTimeout / 3)),
        maxBytesPerPartition: s.maxBytesPerPartition,
        minBytes: 1,
        maxWaitTimeInMs: s.fetchMaxWaitMs ?? 250,
        readUncommitted: s.readUncommitted ?? false,
        allowAutoTopicCreation: false,
        logger: log,
        logLevel: mod.KafkaJS.logLevel.WARN,
      },
      'js.consumer.max.batch.size': s.maxBatchMessages ?? RDKAFKA_DEFAULT_MAX_BATCH_MESSAGES,
      rebalance_cb: (err: { code: number }, assignment: { topic: string; partition: number }[]) => {
        if (err.code !== ERR_ASSIGN_PARTITIONS) return;
        const byTopic = new Map<string, number[]>();
        for (const a of assignment) {
          const list = byTopic.get(a.topic) ?? [];
          list.push(a.partition);
          byTopic.set(a.topic, list);
        }
        this.hooks.onAssigned(
          [...byTopic].map(([topic, partitions]) => ({
            topic,
            partitions: partitions.sort((a, b) => a - b),
          })),
        );
      },
    });
  }

  connect(): Promise<void> {
    return this.consumer.connect();
  }

  subscribe(topics: readonly string[]): Promise<void> {
    return this.consumer.subscribe({ topics: [...topics] });
  }

  async run(eachBatch: (p: EnginePayload) => Promise<void>): Promise<void> {
    await this.consumer.run({
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.s.partitionsConcurrency,
      eachBatch: (p) =>
        eachBatch({
          batch: {
            topic: p.batch.topic,
            partition: p.batch.partition,
            // the compat layer's messages have kafkajs' shape (key/value Buffers, string offsets)
            messages: p.batch.messages,
            highWatermark: p.batch.highWatermark,
            isEmpty: () => p.batch.isEmpty(),
            firstOffset: () => p.batch.firstOffset(),
            lastOffset: () => p.batch.lastOffset(),
          },
          heartbeat: () => p.heartbeat(),
          isRunning: () => p.isRunning(),
          isStale: () => p.isStale(),
          resolveOffset: (o) => p.resolveOffset(o),
        }).catch((e: unknown) => {
          // BatchConsumer retries inside its own call and never throws; anything here is a bug
          this.hooks.onCrash(e, false);
          throw e;
        }),
    });
  }

  commitOffsets(offsets: { topic: string; partition: number; offset: string }[]): Promise<void> {
    return this.consumer.commitOffsets(offsets);
  }

  disconnect(): Promise<void> {
    return this.consumer.disconnect();
  }

  /** librdkafka fetches on its own threads and reports no per-request event: nothing is called. */
  onFetch(_listener: (t: FetchTiming) => void): () => void {
    return () => undefined;
  }
}
