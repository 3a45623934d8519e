// ForecastSink over a kafkajs transactional producer (libs/kafka's KafkaTransportIo, the one the
// BatchTransport uses): a run's messages go out in one transaction, chunked into sends of at most
// 512 KiB (chunkTopicMessages), and are committed together, so a read_committed subscriber sees a
// whole run or nothing. A failed send aborts the transaction; a failed abort drops the producer
// (the next run reconnects, and InitProducerId fences and aborts whatever was left open).
import type { Kafka, Message } from 'kafkajs';
import { TOPICS, type DemandForecastMessage } from '@storepulse/contracts';
import {
  chunkTopicMessages,
  KafkaTransportIo,
  type TransactionalProducer,
} from '@storepulse/kafka';
import type { Logger } from '@storepulse/observability';
import type { ForecastSink } from './ports';

export class KafkaForecastSink implements ForecastSink {
  private readonly io: KafkaTransportIo;
  private producer: Promise<TransactionalProducer> | undefined;

  constructor(
    kafka: Kafka,
    private readonly transactionalId: string,
    private readonly log: Logger,
    transactionTimeoutMs?: number,
  ) {
    this.io = new KafkaTransportIo(kafka, transactionTimeoutMs);
  }

  private connect(): Promise<TransactionalProducer> {
    if (!this.producer) {
      const p = this.io.transactionalProducer(this.transactionalId);
      this.producer = p;
      // a failed connect is retried by the next run
      p.catch(() => {
        if (this.producer === p) this.producer = undefined;
      });
    }
    return this.producer;
  }

  async publish(
    messages: readonly DemandForecastMessage[],
  ): Promise<{ bytes: number; sends: number }> {
    if (messages.length === 0) return { bytes: 0, sends: 0 };
    const records: Message[] = messages.map((m) => ({ key: m.sku, value: JSON.stringify(m) }));
    const topicMessages = [{ topic: TOPICS.demandForecasts, messages: records }];
    const bytes = records.reduce(
      (n, r) => n + Buffer.byteLength(r.key as string) + Buffer.byteLength(r.value as string),
      0,
    );
    const sends = chunkTopicMessages(topicMessages).length;
    const producer = await this.connect();
    const txn = await producer.begin();
    try {
      await txn.send(topicMessages);
      await txn.commit();
    } catch (e) {
      try {
        await txn.abort();
      } catch (abortErr) {
        this.log.warn({ err: abortErr }, 'abort of the forecast transaction failed; reconnecting');
        await this.drop();
      }
      throw e;
    }
    return { bytes, sends };
  }

  private async drop(): Promise<void> {
    const p = this.producer;
    this.producer = undefined;
    if (!p) return;
    try {
      await (await p).disconnect();
    } catch (e) {
      this.log.warn({ err: e }, 'disconnect of the forecast producer failed');
    }
  }

  async close(): Promise<void> {
    await this.drop();
    await this.io.close();
  }
}
