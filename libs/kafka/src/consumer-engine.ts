// The consumer under a BatchConsumer: kafkajs' (the default) or librdkafka's (rdkafka-consumer.ts),
// seen through the few calls BatchConsumer makes. Both hand over one topic-partition batch at a time
// with at most `partitionsConcurrency` in flight, never auto-commit, and re-deliver from the last
// resolved offset what a batch left unresolved.
import type { Consumer, ConsumerConfig, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { KAFKA_CLIENT_RETRY } from './client';

export interface EngineBatch {
  topic: string;
  partition: number;
  messages: KafkaMessage[];
  highWatermark: string;
  isEmpty(): boolean;
  firstOffset(): string | null;
  lastOffset(): string;
}

export interface EnginePayload {
  batch: EngineBatch;
  heartbeat(): Promise<void>;
  isRunning(): boolean;
  /** The batch was overtaken (seek, rebalance): its messages go to whoever owns the partition next. */
  isStale(): boolean;
  /** Marks `offset` (the last handled message) processed: the next batch starts after it. */
  resolveOffset(offset: string): void;
}

/** One fetch request of the consumer (kafkajs' fetch instrumentation event). */
export interface FetchTiming {
  /** When the fetch request was issued and how long until its answer, in ms (Date.now clock). */
  startMs: number;
  durationMs: number;
}

export interface EngineSettings {
  groupId: string;
  maxBytesPerPartition: number;
  /** See BatchConsumerOptions.fetchMaxWaitMs. */
  fetchMaxWaitMs?: number;
  partitionsConcurrency: number;
  sessionTimeoutMs?: number;
  readUncommitted?: boolean;
  fromBeginning?: boolean;
  /** librdkafka only: the most messages in one batch (kafkajs bounds a batch by bytes only). */
  maxBatchMessages?: number;
}

export interface EngineHooks {
  /** The group (re)joined with this member's whole assignment. */
  onAssigned(assignments: { topic: string; partitions: number[] }[]): void;
  onCrash(err: unknown, restart: boolean): void;
}

export interface ConsumerEngine {
  readonly client: 'kafkajs' | 'librdkafka';
  connect(): Promise<void>;
  subscribe(topics: readonly string[]): Promise<void>;
  run(eachBatch: (p: EnginePayload) => Promise<void>): Promise<void>;
  commitOffsets(offsets: { topic: string; partition: number; offset: string }[]): Promise<void>;
  disconnect(): Promise<void>;
  /** Calls `listener` after every fetch request where the client reports them; returns the unsubscribe. */
  onFetch(listener: (t: FetchTiming) => void): () => void;
}

/** The kafkajs consumer settings of a BatchConsumer (fetch sizes, waits, group timeouts). */
export function batchConsumerConfig(
  opts: Pick<
    EngineSettings,
    | 'groupId'
    | 'maxBytesPerPartition'
    | 'fetchMaxWaitMs'
    | 'partitionsConcurrency'
    | 'sessionTimeoutMs'
    | 'readUncommitted'
  >,
): ConsumerConfig {
  const sessionTimeout = opts.sessionTimeoutMs ?? 30_000;
  return {
    groupId: opts.groupId,
    maxBytesPerPartition: opts.maxBytesPerPartition,
    maxBytes: opts.maxBytesPerPartition * Math.max(1, opts.partitionsConcurrency) * 2,
    minBytes: 1,
    maxWaitTimeInMs: opts.fetchMaxWaitMs ?? 250,
    sessionTimeout,
    heartbeatInterval: Math.min(3_000, Math.floor(sessionTimeout / 3)),
    allowAutoTopicCreation: false,
    readUncommitted: opts.readUncommitted ?? false,
    // kafkajs defaults a consumer to 5 retries; the client's 30 (KAFKA_CLIENT_RETRY, at most
    // BROKER_RETRY_MAX_MS apart, so it resumes within seconds of the broker's return) before kafkajs
    // gives up and restarts the consumer, which then rejoins the group as a new member
    retry: { retries: KAFKA_CLIENT_RETRY.retries },
  };
}

/** kafkajs' consumer (the read_committed correction is loaded by batch-consumer.ts). */
export class KafkajsConsumerEngine implements ConsumerEngine {
  readonly client = 'kafkajs' as const;
  private readonly consumer: Consumer;

  constructor(
    kafka: Kafka,
    private readonly s: EngineSettings,
    hooks: EngineHooks,
  ) {
    this.consumer = kafka.consumer(batchConsumerConfig(s));
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      hooks.onAssigned(
        Object.entries(e.payload.memberAssignment).map(([topic, partitions]) => ({
          topic,
          partitions: [...partitions].sort((a, b) => a - b),
        })),
      );
    });
    this.consumer.on(this.consumer.events.CRASH, (e) =>
      hooks.onCrash(e.payload.error, e.payload.restart),
    );
  }

  connect(): Promise<void> {
    return this.consumer.connect();
  }

  async subscribe(topics: readonly string[]): Promise<void> {
    for (const topic of topics)
      await this.consumer.subscribe({ topic, fromBeginning: this.s.fromBeginning ?? true });
  }

  run(eachBatch: (p: EnginePayload) => Promise<void>): Promise<void> {
    return this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.s.partitionsConcurrency,
      eachBatch: (payload: EachBatchPayload) => eachBatch(payload),
    });
  }

  commitOffsets(offsets: { topic: string; partition: number; offset: string }[]): Promise<void> {
    return this.consumer.commitOffsets(offsets);
  }

  disconnect(): Promise<void> {
    return this.consumer.disconnect();
  }

  onFetch(listener: (t: FetchTiming) => void): () => void {
    return this.consumer.on(this.consumer.events.FETCH, (e) => {
      const durationMs = e.payload.duration;
      listener({ startMs: e.timestamp - durationMs, durationMs });
    });
  }
}
