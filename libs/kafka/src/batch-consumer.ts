// Process-wide correction of kafkajs' read_committed filtering (aborted records leaked otherwise).
import './transport/read-committed';
import type { Kafka, KafkaMessage } from 'kafkajs';
import type { Logger, PipelineMetrics } from '@storepulse/observability';
import { brokersOf } from './client';
import {
  KafkajsConsumerEngine,
  type ConsumerEngine,
  type EngineHooks,
  type EnginePayload,
  type FetchTiming,
} from './consumer-engine';
import { RdKafkaConsumerEngine } from './rdkafka-consumer';

export interface PartitionBatch {
  topic: string;
  partition: number;
  messages: KafkaMessage[];
  /** Offset of the last message in this batch. */
  lastOffset: string;
  highWatermark: string;
  /** Keep the group membership alive during long work. */
  heartbeat(): Promise<void>;
}

export interface BatchResult {
  /** The next offset to consume (last handled + 1), committed after the work is durable; null commits nothing. */
  commitOffset: string | null;
  /**
   * The next offset the handler already committed itself (e.g. inside a Kafka transaction through
   * `sendOffsets`), used when `commitOffset` is null: the consumer only resolves it (its fetch position
   * moves on and the commit time is recorded), nothing is committed a second time.
   */
  committedOffset?: string;
}

/** Port implemented by services: handle one topic-partition batch, durably, before returning. */
export interface BatchHandler {
  handleBatch(batch: PartitionBatch): Promise<BatchResult>;
  /** Called when the group (re)joins: cached per-partition state must be reloaded. */
  onAssignmentChange?(partitions: { topic: string; partition: number }[]): void;
}

export interface BatchConsumerOptions {
  groupId: string;
  topics: string[];
  /** Max partition batches in flight at once (backpressure: no fetch beyond that). */
  partitionsConcurrency: number;
  maxBytesPerPartition: number;
  /**
   * How long the broker holds a fetch that finds no data (default 250 ms). It bounds the wait only
   * while a partition is idle: a fetch returns as soon as any data arrives (minBytes 1).
   */
  fetchMaxWaitMs?: number;
  retryMaxMs: number;
  stallTimeoutMs: number;
  drainTimeoutMs: number;
  fromBeginning?: boolean;
  /** Group session timeout (default 30 s): how long a dead member keeps its partitions. */
  sessionTimeoutMs?: number;
  /**
   * Read messages of open or aborted transactions too (default false: read_committed, so a consumer
   * never sees records of an aborted or still open transaction).
   */
  readUncommitted?: boolean;
  /**
   * Whose consumer fetches: `kafkajs` (default) or `librdkafka` (native, fetching on its own threads
   * while batches are handled; needs a client of createKafka for its broker list).
   */
  client?: 'kafkajs' | 'librdkafka';
  /** librdkafka: the most messages in one batch (default RDKAFKA_DEFAULT_MAX_BATCH_MESSAGES). */
  maxBatchMessages?: number;
  logger: Logger;
  metrics: PipelineMetrics;
}

export { batchConsumerConfig, type FetchTiming } from './consumer-engine';

export interface ConsumerHealth {
  groupId: string;
  running: boolean;
  stalled: boolean;
  inFlight: number;
  oldestInFlightMs: number;
  lastBatchAt: string | null;
  lastCommitAt: string | null;
  consecutiveFailures: number;
  /**
   * Batches keep failing (≥ 2 in a row, e.g. the sink refuses writes): the consumer retries with
   * backoff and commits nothing; readiness reports it before it counts as stalled.
   */
  degraded: boolean;
  lastError: string | null;
  assignments: { topic: string; partitions: number[] }[];
}

const MEMBERSHIP_ERRORS = new Set([
  'UNKNOWN_MEMBER_ID',
  'ILLEGAL_GENERATION',
  'REBALANCE_IN_PROGRESS',
]);

/** A kafkajs error (or its cause chain) saying this member is no longer part of the group. */
export function lostMembership(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string' && MEMBERSHIP_ERRORS.has(type)) return true;
    e =
      (e as { cause?: unknown; originalError?: unknown }).cause ??
      (e as { originalError?: unknown }).originalError;
  }
  return false;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Batch consumption in the PostHog style: one handler call per topic-partition batch, offsets committed
 * only after the handler made the work durable, transient failures retried with capped exponential
 * backoff (never skipped, never committed), at most `partitionsConcurrency` batches in flight,
 * stall detection, drain on shutdown with a timeout.
 */
export class BatchConsumer {
  private readonly consumer: ConsumerEngine;
  private readonly inFlight = new Map<string, number>();
  private running = false;
  private lastBatchAt: number | null = null;
  private lastCommitAt: number | null = null;
  private consecutiveFailures = 0;
  private lastError: string | null = null;
  private assignments: { topic: string; partitions: number[] }[] = [];

  constructor(
    kafka: Kafka,
    private readonly opts: BatchConsumerOptions,
    private readonly handler: BatchHandler,
  ) {
    const hooks: EngineHooks = {
      onAssigned: (assignments) => {
        this.assignments = assignments;
        this.opts.logger.info(
          { groupId: opts.groupId, assignments, client: this.consumer.client },
          'consumer group joined',
        );
        this.handler.onAssignmentChange?.(
          assignments.flatMap((a) =>
            a.partitions.map((partition) => ({ topic: a.topic, partition })),
          ),
        );
      },
      onCrash: (error, restart) => {
        this.lastError = String(error);
        this.opts.logger.error({ groupId: opts.groupId, err: error, restart }, 'consumer crashed');
      },
    };
    if (opts.client === 'librdkafka') {
      const brokers = brokersOf(kafka);
      if (!brokers || brokers.length === 0)
        throw new Error(
          `BatchConsumer(group ${opts.groupId}): the librdkafka consumer needs a client of createKafka (its broker list)`,
        );
      this.consumer = new RdKafkaConsumerEngine(brokers, opts, hooks, opts.logger);
    } else this.consumer = new KafkajsConsumerEngine(kafka, opts, hooks);
  }

  /** Whose consumer this is. */
  get client(): 'kafkajs' | 'librdkafka' {
    return this.consumer.client;
  }

  /** Calls `listener` after every fetch request (kafkajs only; for benchmarks and diagnostics); returns the unsubscribe. */
  onFetch(listener: (t: FetchTiming) => void): () => void {
    return this.consumer.onFetch(listener);
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe(this.opts.topics);
    this.running = true;
    await this.consumer.run((payload) => this.eachBatch(payload));
  }

  private async eachBatch(payload: EnginePayload): Promise<void> {
    const { batch } = payload;
    const heartbeat = () => payload.heartbeat();
    const isRunning = () => payload.isRunning();
    const isStale = () => payload.isStale();
    const resolveOffset = (offset: string) => payload.resolveOffset(offset);
    if (batch.isEmpty()) return;
    const key = `${batch.topic}:${batch.partition}`;
    this.inFlight.set(key, Date.now());
    this.opts.metrics.inFlightBatches.set(this.inFlight.size);
    this.opts.metrics.batchSize.observe(batch.messages.length);
    this.opts.metrics.consumed.inc({ topic: batch.topic }, batch.messages.length);
    try {
      for (let attempt = 1; ; attempt++) {
        // stop() ends a backoff at once on every engine: librdkafka's isRunning() stays true while
        // it disconnects (and its disconnect waits for this batch), so our own flag is checked too.
        // Nothing committed: redelivered to whoever owns it next.
        if (!this.running || !isRunning() || isStale()) return;
        try {
          const result = await this.handler.handleBatch({
            topic: batch.topic,
            partition: batch.partition,
            messages: batch.messages,
            lastOffset: batch.lastOffset(),
            highWatermark: batch.highWatermark,
            heartbeat,
          });
          if (result.commitOffset !== null) {
            resolveOffset((BigInt(result.commitOffset) - 1n).toString());
            await this.consumer.commitOffsets([
              { topic: batch.topic, partition: batch.partition, offset: result.commitOffset },
            ]);
            this.lastCommitAt = Date.now();
          } else if (result.committedOffset !== undefined) {
            resolveOffset((BigInt(result.committedOffset) - 1n).toString());
            this.lastCommitAt = Date.now();
          }
          this.lastBatchAt = Date.now();
          this.consecutiveFailures = 0;
          return;
        } catch (err) {
          this.consecutiveFailures++;
          this.lastError = err instanceof Error ? err.message : String(err);
          if (lostMembership(err)) {
            // The group moved on (this member missed its session or a rebalance started): a commit
            // can never succeed from this batch. Give it up uncommitted so kafkajs rejoins; the new
            // owner gets the messages again (handlers are idempotent: ledger, transactions).
            this.opts.logger.warn(
              {
                groupId: this.opts.groupId,
                topic: batch.topic,
                partition: batch.partition,
                err,
              },
              'group membership lost during a batch; leaving it uncommitted to rejoin',
            );
            return;
          }
          this.opts.metrics.retries.inc({ topic: batch.topic });
          const delay =
            Math.min(this.opts.retryMaxMs, 200 * 2 ** Math.min(attempt, 16)) *
            (0.75 + Math.random() * 0.5);
          this.opts.logger.warn(
            {
              groupId: this.opts.groupId,
              topic: batch.topic,
              partition: batch.partition,
              firstOffset: batch.firstOffset(),
              lastOffset: batch.lastOffset(),
              attempt,
              delayMs: Math.round(delay),
              err,
            },
            'batch failed; retrying with backoff (offsets not committed)',
          );
          const until = Date.now() + delay;
          while (Date.now() < until && this.running && isRunning()) {
            await sleep(Math.min(250, until - Date.now()));
            await heartbeat().catch(() => undefined);
          }
        }
      }
    } finally {
      this.inFlight.delete(key);
      this.opts.metrics.inFlightBatches.set(this.inFlight.size);
    }
  }

  health(now = Date.now()): ConsumerHealth {
    const oldest = Math.min(...this.inFlight.values(), now);
    const oldestInFlightMs = this.inFlight.size > 0 ? now - oldest : 0;
    return {
      groupId: this.opts.groupId,
      running: this.running,
      stalled:
        this.running &&
        (oldestInFlightMs > this.opts.stallTimeoutMs || this.consecutiveFailures >= 5),
      inFlight: this.inFlight.size,
      oldestInFlightMs,
      lastBatchAt: this.lastBatchAt === null ? null : new Date(this.lastBatchAt).toISOString(),
      lastCommitAt: this.lastCommitAt === null ? null : new Date(this.lastCommitAt).toISOString(),
      consecutiveFailures: this.consecutiveFailures,
      degraded: this.running && this.consecutiveFailures >= 2,
      lastError: this.lastError,
      assignments: this.assignments,
    };
  }

  /** Stops fetching, waits for in-flight batches to finish and commit (up to drainTimeoutMs), leaves the group. */
  async stop(): Promise<{ drained: boolean }> {
    if (!this.running) {
      await this.consumer.disconnect();
      return { drained: true };
    }
    this.running = false;
    const t0 = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => {
      timer = setTimeout(() => r('timeout'), this.opts.drainTimeoutMs);
    });
    const outcome = await Promise.race([
      this.consumer.disconnect().then(() => 'drained' as const),
      timeout,
    ]);
    clearTimeout(timer);
    this.opts.logger.info(
      { groupId: this.opts.groupId, outcome, ms: Date.now() - t0 },
      'consumer stopped',
    );
    return { drained: outcome === 'drained' };
  }
}
