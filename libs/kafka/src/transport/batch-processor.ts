// The per-batch delivery logic of a BatchTransport, as a BatchHandler of the BatchConsumer: calls the
// topic's handler and makes its records and the consumed offsets durable, either in one Kafka
// transaction per partition batch (exactly-once) or by publishing and then committing (at-least-once).
import { Counter, type Registry } from 'prom-client';
import type { Logger, PipelineMetrics } from '@storepulse/observability';
import type { BatchHandler, BatchResult, PartitionBatch } from '../batch-consumer';
import { toInboundMessage, toTopicMessages } from './records';
import type {
  IdempotentProducer,
  OutputTransaction,
  TransactionalProducer,
  TransportIo,
} from './io';
import type { DeliveryMode, InboundBatch } from './types';

/** A topic's handler as the processor calls it: resolves to what the handler returned. */
export type BatchFn = (batch: InboundBatch) => Promise<unknown>;

export interface TransportBatchHandlerOptions {
  groupId: string;
  mode: DeliveryMode;
  /** Transactional ids are `${prefix}-${topic}-${partition}`. */
  transactionalIdPrefix: string;
  /** Add the offsets to the transaction while the handler runs (default true), else after the records. */
  offsetsDuringHandler?: boolean;
  logger: Logger;
  metrics: PipelineMetrics;
}

/** Counts since start. In after-handler mode `committed` counts delivered batches, `aborted` failed attempts. */
export interface TransactionCounts {
  committed: number;
  aborted: number;
  /** Redelivered messages dropped because the group's committed offset is already past them. */
  skippedCommitted: number;
}

export const TRANSACTIONS_METRIC = 'storepulse_transport_transactions_total';

/** The transactions counter of `registry`, created on first use (several transports share one). */
export function transactionsCounter(registry: Registry): Counter<'group' | 'outcome'> {
  const existing = registry.getSingleMetric(TRANSACTIONS_METRIC);
  if (existing) return existing as Counter<'group' | 'outcome'>;
  return new Counter({
    name: TRANSACTIONS_METRIC,
    help: 'Partition batches delivered by the batch transport, per consumer group and outcome (committed, aborted)',
    labelNames: ['group', 'outcome'] as const,
    registers: [registry],
  });
}

interface PartitionProducer {
  readonly id: string;
  producer: TransactionalProducer;
  /** Committed offset read after this producer fenced its predecessors; null = none committed. */
  floor: bigint | null;
  floorChecked: boolean;
  busy: boolean;
  revoked: boolean;
}

export class TransportBatchHandler implements BatchHandler {
  private readonly producers = new Map<string, PartitionProducer>();
  private idempotent: Promise<IdempotentProducer> | undefined;
  private readonly disposing = new Set<Promise<void>>();
  private readonly counter: Counter<'group' | 'outcome'>;
  readonly counts: TransactionCounts = { committed: 0, aborted: 0, skippedCommitted: 0 };

  constructor(
    private readonly io: TransportIo,
    private readonly handlers: ReadonlyMap<string, BatchFn>,
    private readonly opts: TransportBatchHandlerOptions,
  ) {
    this.counter = transactionsCounter(opts.metrics.registry);
  }

  /** The transactional id of a topic-partition's producer. */
  transactionalId(topic: string, partition: number): string {
    return `${this.opts.transactionalIdPrefix}-${topic}-${partition}`;
  }

  /** Topic-partitions ("topic:partition") that currently hold a transactional producer. */
  producerKeys(): string[] {
    return [...this.producers.keys()].sort();
  }

  handleBatch(batch: PartitionBatch): Promise<BatchResult> {
    const fn = this.handlers.get(batch.topic);
    if (!fn)
      return Promise.reject(
        new Error(
          `no handler for topic ${batch.topic} in the transport of group ${this.opts.groupId} (serves: ${[...this.handlers.keys()].join(', ')})`,
        ),
      );
    return this.opts.mode === 'transactional'
      ? this.transactional(batch, fn)
      : this.afterHandler(batch, fn);
  }

  private inbound(batch: PartitionBatch, messages = batch.messages): InboundBatch {
    return {
      topic: batch.topic,
      partition: batch.partition,
      messages: messages.map((m) => toInboundMessage(batch.topic, batch.partition, m)),
      heartbeat: () => batch.heartbeat(),
    };
  }

  private where(batch: PartitionBatch): string {
    return `handler of ${batch.topic}/${batch.partition} (offsets ${batch.messages[0]?.offset ?? '?'}..${batch.lastOffset})`;
  }

  private outcome(outcome: 'committed' | 'aborted'): void {
    this.counts[outcome]++;
    this.counter.inc({ group: this.opts.groupId, outcome });
  }

  private async afterHandler(batch: PartitionBatch, fn: BatchFn): Promise<BatchResult> {
    const next = (BigInt(batch.lastOffset) + 1n).toString();
    try {
      const records = toTopicMessages(await fn(this.inbound(batch)), this.where(batch));
      this.idempotent ??= this.io.idempotentProducer();
      const producer = await this.idempotent.catch((e: unknown) => {
        this.idempotent = undefined;
        throw e;
      });
      await producer.send(records);
    } catch (err) {
      this.outcome('aborted');
      throw err;
    }
    this.outcome('committed');
    return { commitOffset: next };
  }

  private async transactional(batch: PartitionBatch, fn: BatchFn): Promise<BatchResult> {
    const key = `${batch.topic}:${batch.partition}`;
    const next = BigInt(batch.lastOffset) + 1n;
    let entry = this.producers.get(key);
    if (!entry) {
      const id = this.transactionalId(batch.topic, batch.partition);
      entry = {
        id,
        producer: await this.io.transactionalProducer(id),
        floor: null,
        floorChecked: false,
        busy: false,
        revoked: false,
      };
      this.producers.set(key, entry);
    }
    entry.busy = true;
    let txn: OutputTransaction | undefined;
    // A failure inside the handler (or of its output) leaves the producer usable; any other one (a
    // broker answer, e.g. fenced) replaces it, so that the retry re-registers and re-reads offsets.
    let inHandler = false;
    try {
      // Begin first: a new producer registered its id on connect (InitProducerId), fencing any zombie
      // with the same id and completing its open transaction.
      txn = await entry.producer.begin();
      this.opts.logger.debug({ transactionalId: entry.id }, 'transaction begun');
      const open = txn;
      const sendOffsets = () =>
        open.sendOffsets(this.opts.groupId, batch.topic, batch.partition, next.toString());
      const during = this.opts.offsetsDuringHandler ?? true;
      let offsetsSent: Promise<{ err: unknown } | null> | null = null;
      if (!entry.floorChecked) {
        // AddOffsetsToTxn is accepted only once this id's previous transaction completed (its
        // markers written, so its offsets are readable; until then the coordinator answers
        // CONCURRENT_TRANSACTIONS, retried): the committed offset read next is final, also for a
        // kept producer after a rebalance whose last commit was still completing.
        await sendOffsets();
        offsetsSent = Promise.resolve(null);
        const c = await this.io.committedOffset(this.opts.groupId, batch.topic, batch.partition);
        entry.floor = c === null ? null : BigInt(c);
        entry.floorChecked = true;
      }
      const floor = entry.floor;
      const messages =
        floor === null ? batch.messages : batch.messages.filter((m) => BigInt(m.offset) >= floor);
      const skipped = batch.messages.length - messages.length;
      if (skipped > 0) {
        this.counts.skippedCommitted += skipped;
        this.opts.metrics.skippedRedelivered.inc({ topic: batch.topic }, skipped);
        this.opts.logger.info(
          { groupId: this.opts.groupId, topic: batch.topic, partition: batch.partition, skipped },
          'redelivered messages below the committed offset skipped',
        );
      }
      if (messages.length === 0) {
        await txn.abort(); // discards the offsets added above (if any); nothing else was added
        return { commitOffset: null, committedOffset: next.toString() };
      }
      // The offsets are known before the handler runs: AddOffsetsToTxn + TxnOffsetCommit (two
      // round trips) go out while it works instead of after it. They only count if the
      // transaction commits; a failed handler aborts them with the rest.
      if (offsetsSent === null && during)
        offsetsSent = sendOffsets().then(
          () => null,
          (e: unknown) => ({ err: e }),
        );
      inHandler = true;
      let records;
      try {
        records = toTopicMessages(await fn(this.inbound(batch, messages)), this.where(batch));
      } catch (err) {
        // the handler's error is the one reported; a failed sendOffsets also replaces the producer
        if (offsetsSent !== null && (await offsetsSent) !== null) inHandler = false;
        throw err;
      }
      inHandler = false;
      const offsets = offsetsSent === null ? null : await offsetsSent;
      if (offsets !== null) throw offsets.err;
      this.opts.logger.debug(
        { transactionalId: entry.id, records: records.reduce((n, t) => n + t.messages.length, 0) },
        'handler done; sending in the transaction',
      );
      await txn.send(records);
      if (offsetsSent === null) await sendOffsets();
      await txn.commit();
      entry.floor = next;
      this.outcome('committed');
      return { commitOffset: null, committedOffset: next.toString() };
    } catch (err) {
      this.outcome('aborted');
      let usable = txn !== undefined && inHandler;
      if (txn) {
        try {
          await txn.abort();
        } catch (abortErr) {
          usable = false;
          this.opts.logger.warn(
            { groupId: this.opts.groupId, transactionalId: entry.id, err: abortErr },
            'transaction abort failed; the producer is replaced',
          );
        }
      }
      if (!usable) {
        this.producers.delete(key);
        this.dispose(entry);
      }
      throw err;
    } finally {
      entry.busy = false;
      if (entry.revoked && this.producers.get(key) === entry) {
        this.producers.delete(key);
        this.dispose(entry);
      }
    }
  }

  /**
   * The group's new assignment: producers of partitions no longer assigned are closed (once their
   * batch ended); kept ones re-read the committed offset before their next transaction.
   */
  onAssignmentChange(partitions: { topic: string; partition: number }[]): void {
    const keep = new Set(partitions.map((p) => `${p.topic}:${p.partition}`));
    for (const [key, entry] of this.producers) {
      if (keep.has(key)) {
        entry.floorChecked = false;
      } else if (entry.busy) {
        entry.revoked = true;
      } else {
        this.producers.delete(key);
        this.dispose(entry);
      }
    }
  }

  private dispose(entry: PartitionProducer): void {
    const p = entry.producer
      .disconnect()
      .catch((err: unknown) =>
        this.opts.logger.warn(
          { groupId: this.opts.groupId, transactionalId: entry.id, err },
          'producer disconnect failed',
        ),
      )
      .finally(() => this.disposing.delete(p));
    this.disposing.add(p);
  }

  /** Disconnects every producer and the offsets reader. Call after the consumer stopped. */
  async close(): Promise<void> {
    for (const entry of this.producers.values()) this.dispose(entry);
    this.producers.clear();
    const idem = this.idempotent;
    this.idempotent = undefined;
    const errors: unknown[] = [];
    await Promise.all([...this.disposing]);
    // a producer that failed to connect was reported to its batch already
    if (idem)
      await idem.then(
        (p) => p.disconnect().catch((e: unknown) => errors.push(e)),
        () => undefined,
      );
    await this.io.close().catch((e: unknown) => errors.push(e));
    if (errors.length > 0) throw errors[0];
  }
}
