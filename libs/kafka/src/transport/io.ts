// The Kafka I/O a BatchTransport needs, behind small ports (so the batch logic is unit-testable), and
// their kafkajs implementation: transactional producers, one idempotent producer, committed offsets.
import { chunkTopicMessages } from './records';
import {
  Partitioners,
  type Admin,
  type Kafka,
  type Producer,
  type TopicMessages,
  type Transaction,
} from 'kafkajs';

/** One open Kafka transaction. */
export interface OutputTransaction {
  send(topicMessages: TopicMessages[]): Promise<void>;
  /** Adds `offset` (the next offset to consume) of topic-partition for `groupId` to the transaction. */
  sendOffsets(groupId: string, topic: string, partition: number, offset: string): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** A connected transactional producer (one transactional id). */
export interface TransactionalProducer {
  /**
   * Begins a transaction. The first call of a producer registers its transactional id with the
   * coordinator (InitProducerId): that bumps the epoch, which fences any older producer with the same
   * id and completes (aborts) its open transaction before returning.
   */
  begin(): Promise<OutputTransaction>;
  disconnect(): Promise<void>;
}

/** A connected idempotent producer (acks = all). */
export interface IdempotentProducer {
  send(topicMessages: TopicMessages[]): Promise<void>;
  disconnect(): Promise<void>;
}

export interface TransportIo {
  transactionalProducer(transactionalId: string): Promise<TransactionalProducer>;
  idempotentProducer(): Promise<IdempotentProducer>;
  /** The group's committed offset (next to consume) of topic-partition; null when none is committed. */
  committedOffset(groupId: string, topic: string, partition: number): Promise<string | null>;
  close(): Promise<void>;
}

/** The coordinator's CONCURRENT_TRANSACTIONS answer (the previous transaction's markers pending). */
export function isConcurrentTransactions(e: unknown): boolean {
  return (
    typeof e === 'object' &&
    e !== null &&
    (e as { type?: unknown }).type === 'CONCURRENT_TRANSACTIONS'
  );
}

/**
 * Runs `op`, retrying CONCURRENT_TRANSACTIONS with a short backoff (10 ms doubling to 100 ms) for at
 * most `deadlineMs`. The coordinator answers it to the first request of a transaction that follows
 * a commit by a few ms, while it writes the previous transaction's markers (the Java client retries
 * it too). Any other error, or the deadline, rethrows.
 */
export async function retryConcurrentTransactions(
  op: () => Promise<void>,
  deadlineMs = 5_000,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (let wait = 10; ; wait = Math.min(100, wait * 2)) {
    try {
      await op();
      return;
    } catch (e) {
      if (!isConcurrentTransactions(e) || Date.now() + wait > until) throw e;
      await sleep(wait);
    }
  }
}

class KafkaTransaction implements OutputTransaction {
  constructor(private readonly txn: Transaction) {}
  async send(topicMessages: TopicMessages[]): Promise<void> {
    for (const chunk of chunkTopicMessages(topicMessages))
      await this.txn.sendBatch({ topicMessages: chunk, acks: -1 });
  }
  async sendOffsets(groupId: string, topic: string, partition: number, offset: string) {
    // the first request of a transaction (AddOffsetsToTxn): kafkajs does not retry it itself
    await retryConcurrentTransactions(() =>
      this.txn.sendOffsets({
        consumerGroupId: groupId,
        topics: [{ topic, partitions: [{ partition, offset }] }],
      }),
    );
  }
  commit(): Promise<void> {
    return this.txn.commit();
  }
  abort(): Promise<void> {
    return this.txn.abort();
  }
}

/** TransportIo over a kafkajs client. `transactionTimeoutMs` defaults to kafkajs' 60 s. */
export class KafkaTransportIo implements TransportIo {
  private admin: Promise<Admin> | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly transactionTimeoutMs?: number,
  ) {}

  async transactionalProducer(transactionalId: string): Promise<TransactionalProducer> {
    const producer = this.kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      ...(this.transactionTimeoutMs !== undefined
        ? { transactionTimeout: this.transactionTimeoutMs }
        : {}),
    });
    await producer.connect();
    return {
      begin: async () => new KafkaTransaction(await producer.transaction()),
      disconnect: () => producer.disconnect(),
    };
  }

  async idempotentProducer(): Promise<IdempotentProducer> {
    const producer: Producer = this.kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    await producer.connect();
    return {
      send: async (topicMessages) => {
        for (const chunk of chunkTopicMessages(topicMessages))
          await producer.sendBatch({ topicMessages: chunk, acks: -1 });
      },
      disconnect: () => producer.disconnect(),
    };
  }

  async committedOffset(groupId: string, topic: string, partition: number): Promise<string | null> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      // one admin for concurrent callers; a failed connect is retried by the next call
      this.admin = admin.connect().then(
        () => admin,
        (e: unknown) => {
          this.admin = undefined;
          throw e;
        },
      );
    }
    const admin = await this.admin;
    const res = await admin.fetchOffsets({ groupId, topics: [topic] });
    const p = res.find((t) => t.topic === topic)?.partitions.find((x) => x.partition === partition);
    if (!p)
      throw new Error(`fetchOffsets(${groupId}) returned no offset for ${topic}/${partition}`);
    return BigInt(p.offset) < 0n ? null : p.offset;
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    if (admin)
      await admin.then(
        (a) => a.disconnect(),
        () => undefined,
      );
  }
}
