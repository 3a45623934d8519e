// The NestJS custom microservice transport of StorePulse's consuming apps: serves @EventPattern(topic)
// controller methods from Kafka partition batches through a BatchConsumer, publishing what they return
// exactly once (one Kafka transaction per partition batch) or after the handler's own durable work.
import type { Kafka } from 'kafkajs';
import { lastValueFrom, type Observable } from 'rxjs';
import {
  BaseRpcContext,
  Server,
  type CustomTransportStrategy,
  type MessageHandler,
} from '@nestjs/microservices';
import type { Logger, PipelineMetrics } from '@storepulse/observability';
import { BatchConsumer, type ConsumerHealth } from '../batch-consumer';
import { TransportBatchHandler, type BatchFn, type TransactionCounts } from './batch-processor';
import type { TransportIo } from './io';
import { createTransportIo, type TransportClient } from './rdkafka-io';
import { brokersOf } from '../client';
import { chooseKafkaClient, loadNativeKafka } from '../native';
import type { DeliveryMode, InboundBatch } from './types';

export interface BatchTransportOptions {
  /** From createKafka(). */
  kafka: Kafka;
  groupId: string;
  /**
   * Only handlers whose @EventPattern is one of these topics are served by this transport (several
   * transports may coexist in one Nest app, e.g. the all-in-one). Each must have exactly one handler.
   */
  topics: string[];
  /**
   * `transactional`: exactly-once consume → produce (records and offsets in one transaction).
   * `after-handler`: records published (idempotent producer, acks = all), then offsets committed; for
   * handlers whose own durable work is idempotent (at-least-once into an idempotent sink).
   */
  mode: DeliveryMode;
  /** Default `${groupId}`; transactional ids are `${prefix}-${topic}-${partition}`. */
  transactionalIdPrefix?: string;
  partitionsConcurrency: number;
  maxBytesPerPartition: number;
  /** See BatchConsumerOptions.fetchMaxWaitMs (default 250 ms). */
  fetchMaxWaitMs?: number;
  /**
   * Transactional mode: add the offsets to the transaction while the handler runs (default true; two
   * round trips off each batch's critical path). false sends them after the records, as before
   * (kept for the scoring bench's before/after comparison).
   */
  offsetsDuringHandler?: boolean;
  retryMaxMs: number;
  stallTimeoutMs: number;
  drainTimeoutMs: number;
  /** Default 30 s. */
  sessionTimeoutMs?: number;
  /** Where a group without committed offsets starts (default true: the beginning). */
  fromBeginning?: boolean;
  /** Broker-side timeout of an open transaction (default kafkajs' 60 s). */
  transactionTimeoutMs?: number;
  /**
   * Whose producers publish the records (the consumer: consumerClient): `librdkafka` (native,
   * scripts/kafka-native/provision.mjs; needs a client of createKafka for its broker list), `kafkajs`,
   * or `auto` (librdkafka when its binding loads, else kafkajs, logged). Default kafkajs.
   */
  producerClient?: TransportClient;
  /**
   * Whose consumer fetches the input (BatchConsumerOptions.client): `kafkajs` (default), `librdkafka`
   * (fetches while batches are handled; needs a client of createKafka), or `auto` (librdkafka when its
   * binding loads, else kafkajs, logged).
   */
  consumerClient?: TransportClient;
  /** librdkafka consumer: the most messages in one batch (BatchConsumerOptions.maxBatchMessages). */
  maxBatchMessages?: number;
  logger: Logger;
  metrics: PipelineMetrics;
}

export interface TransportHealth extends ConsumerHealth {
  mode: DeliveryMode;
  producers: 'librdkafka' | 'kafkajs' | 'injected';
  consumer: 'librdkafka' | 'kafkajs';
  transactions: TransactionCounts;
}

/** The @Ctx() of a handler call: the batch's topic and partition. */
export class BatchContext extends BaseRpcContext<[string, number]> {
  getTopic(): string {
    return this.args[0];
  }
  getPartition(): number {
    return this.args[1];
  }
}

/** What Nest's exception layer turns a thrown error into (BaseRpcExceptionFilter). */
function handlerError(e: unknown, topic: string): Error {
  if (e instanceof Error) return e;
  const message =
    typeof e === 'object' && e !== null && 'message' in e ? String(e.message) : String(e);
  return new Error(
    `handler of ${topic} failed: ${message} (the cause was logged by Nest's RpcExceptionsHandler; ` +
      '@UseFilters(new PassThroughRpcErrors()) on the controller keeps the original error)',
  );
}

/** The consumer client of `consumerClient`: `auto` is librdkafka when its binding loads (logged if not). */
function resolveConsumerClient(o: BatchTransportOptions): 'librdkafka' | 'kafkajs' {
  const chosen = chooseKafkaClient(o.consumerClient ?? 'kafkajs', loadNativeKafka, () => null);
  if (chosen.fallbackReason)
    o.logger.warn(
      { groupId: o.groupId, reason: chosen.fallbackReason },
      'batch transport consumer: kafkajs (librdkafka not usable)',
    );
  return chosen.client;
}

/**
 * Canonical wiring (hybrid app):
 *   app.connectMicroservice({ strategy: new BatchTransport(opts) }, { inheritAppConfig: true });
 *   await app.startAllMicroservices();
 * `app.close()` then drains the consumer and disconnects every producer.
 */
export class BatchTransport extends Server implements CustomTransportStrategy {
  private consumer: BatchConsumer | undefined;
  private processor: TransportBatchHandler | undefined;

  private readonly io: TransportIo;
  /** Whose producers publish the records (BatchTransportOptions.producerClient as resolved). */
  readonly producerClient: 'librdkafka' | 'kafkajs' | 'injected';
  /** Whose consumer fetches the input (BatchTransportOptions.consumerClient as resolved). */
  readonly consumerClient: 'librdkafka' | 'kafkajs';

  /** `io` replaces the Kafka producers/offset reads (tests); default: createTransportIo's. */
  constructor(
    private readonly options: BatchTransportOptions,
    io?: TransportIo,
  ) {
    super();
    if (io) {
      this.io = io;
      this.producerClient = 'injected';
    } else {
      const chosen = createTransportIo(
        options.kafka,
        brokersOf(options.kafka),
        options.producerClient ?? 'kafkajs',
        {
          ...(options.transactionTimeoutMs !== undefined
            ? { transactionTimeoutMs: options.transactionTimeoutMs }
            : {}),
          clientId: options.groupId,
        },
      );
      this.io = chosen.io;
      this.producerClient = chosen.client;
      if (chosen.fallbackReason)
        options.logger.warn(
          { groupId: options.groupId, reason: chosen.fallbackReason },
          'batch transport producers: kafkajs (librdkafka not usable)',
        );
    }
    this.consumerClient = resolveConsumerClient(options);
    if (options.topics.length === 0)
      throw new Error(`BatchTransport(group ${options.groupId}): topics must not be empty`);
    if (new Set(options.topics).size !== options.topics.length)
      throw new Error(
        `BatchTransport(group ${options.groupId}): topics has duplicates: ${options.topics.join(', ')}`,
      );
  }

  /**
   * The handler of every served topic, from the Nest handlers registered on this server. Throws when a
   * topic has none, or several (Nest chains several @EventPattern methods of one pattern).
   */
  handlersByTopic(): Map<string, BatchFn> {
    const out = new Map<string, BatchFn>();
    for (const topic of this.options.topics) {
      const h: MessageHandler | null = this.getHandlerByPattern(topic);
      if (!h)
        throw new Error(
          `BatchTransport(group ${this.options.groupId}): no @EventPattern('${topic}') handler is registered ` +
            `(registered patterns: ${[...this.messageHandlers.keys()].join(', ') || 'none'})`,
        );
      if (h.next)
        throw new Error(
          `BatchTransport(group ${this.options.groupId}): several handlers for '${topic}'; a topic has one handler, whose output is published`,
        );
      out.set(topic, (batch) => this.invoke(h, batch));
    }
    return out;
  }

  private async invoke(h: MessageHandler, batch: InboundBatch): Promise<unknown> {
    try {
      const returned: unknown = await h(batch, new BatchContext([batch.topic, batch.partition]));
      return await lastValueFrom(this.transformToObservable(returned as Observable<unknown>), {
        defaultValue: undefined,
      });
    } catch (e) {
      throw handlerError(e, batch.topic);
    }
  }

  listen(callback: (err?: unknown) => void): void {
    this.start().then(
      () => callback(),
      (err: unknown) => callback(err),
    );
  }

  private async start(): Promise<void> {
    if (this.consumer)
      throw new Error(`BatchTransport(group ${this.options.groupId}): already listening`);
    const o = this.options;
    const processor = new TransportBatchHandler(this.io, this.handlersByTopic(), {
      groupId: o.groupId,
      mode: o.mode,
      transactionalIdPrefix: o.transactionalIdPrefix ?? o.groupId,
      offsetsDuringHandler: o.offsetsDuringHandler ?? true,
      logger: o.logger,
      metrics: o.metrics,
    });
    const consumer = new BatchConsumer(
      o.kafka,
      {
        groupId: o.groupId,
        topics: o.topics,
        partitionsConcurrency: o.partitionsConcurrency,
        maxBytesPerPartition: o.maxBytesPerPartition,
        ...(o.fetchMaxWaitMs !== undefined ? { fetchMaxWaitMs: o.fetchMaxWaitMs } : {}),
        retryMaxMs: o.retryMaxMs,
        stallTimeoutMs: o.stallTimeoutMs,
        drainTimeoutMs: o.drainTimeoutMs,
        ...(o.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: o.sessionTimeoutMs } : {}),
        ...(o.fromBeginning !== undefined ? { fromBeginning: o.fromBeginning } : {}),
        readUncommitted: false,
        client: this.consumerClient,
        ...(o.maxBatchMessages !== undefined ? { maxBatchMessages: o.maxBatchMessages } : {}),
        logger: o.logger,
        metrics: o.metrics,
      },
      processor,
    );
    this.processor = processor;
    this.consumer = consumer;
    try {
      await consumer.start();
    } catch (err) {
      await consumer.stop().catch(() => undefined);
      await processor.close().catch(() => undefined);
      this.consumer = undefined;
      this.processor = undefined;
      throw err;
    }
    this._status$.next('connected');
    o.logger.info(
      {
        groupId: o.groupId,
        topics: o.topics,
        mode: o.mode,
        producers: this.producerClient,
        consumer: this.consumerClient,
      },
      'batch transport listening',
    );
  }

  /** Drains in-flight batches (BatchConsumer.stop, up to drainTimeoutMs), then disconnects every producer. */
  async close(): Promise<{ drained: boolean }> {
    const consumer = this.consumer;
    const processor = this.processor;
    this.consumer = undefined;
    this.processor = undefined;
    if (!consumer || !processor) return { drained: true };
    const { drained } = await consumer.stop();
    await processor.close();
    this._status$.next('disconnected');
    return { drained };
  }

  health(now = Date.now()): TransportHealth {
    const h: ConsumerHealth = this.consumer?.health(now) ?? {
      groupId: this.options.groupId,
      running: false,
      stalled: false,
      inFlight: 0,
      oldestInFlightMs: 0,
      lastBatchAt: null,
      lastCommitAt: null,
      consecutiveFailures: 0,
      degraded: false,
      lastError: null,
      assignments: [],
    };
    return {
      ...h,
      mode: this.options.mode,
      producers: this.producerClient,
      consumer: this.consumerClient,
      transactions: {
        ...(this.processor?.counts ?? { committed: 0, aborted: 0, skippedCommitted: 0 }),
      },
    };
  }

  on(event: string): never {
    throw new Error(`BatchTransport has no events (asked for '${event}'); use health() and status`);
  }

  unwrap<T>(): T {
    if (!this.consumer)
      throw new Error(`BatchTransport(group ${this.options.groupId}) is not listening`);
    return this.consumer as T;
  }
}

/** Minimal surface of a Nest application that can host a microservice transport. */
export interface MicroserviceHost {
  connectMicroservice(
    options: { strategy: CustomTransportStrategy },
    hybridOptions?: { inheritAppConfig?: boolean },
  ): unknown;
}

/**
 * Connects a BatchTransport to a hybrid Nest app (inheriting its global filters/pipes) and returns it
 * (for health()). Start it with the app's single `await app.startAllMicroservices()`.
 */
export function connectBatchTransport(
  app: MicroserviceHost,
  options: BatchTransportOptions,
): BatchTransport {
  const transport = new BatchTransport(options);
  app.connectMicroservice({ strategy: transport }, { inheritAppConfig: true });
  return transport;
}
