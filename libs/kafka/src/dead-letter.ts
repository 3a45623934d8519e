import type { Producer, IHeaders } from 'kafkajs';
import { DLQ_HEADERS } from '@storepulse/contracts';

export interface DeadLetter {
  sourceTopic: string;
  sourcePartition: number;
  sourceOffset: string;
  key: Buffer | null;
  /** The original message bytes, unchanged. */
  value: Buffer | null;
  reason: string;
  fields: string[];
  failedAt: Date;
  consumerGroup: string;
  /** More headers, e.g. the collector's request id and event index (the x-dlq-* ones win). */
  extraHeaders?: Record<string, string>;
}

export function deadLetterHeaders(d: DeadLetter): IHeaders {
  return {
    ...d.extraHeaders,
    [DLQ_HEADERS.sourceTopic]: d.sourceTopic,
    [DLQ_HEADERS.sourcePartition]: String(d.sourcePartition),
    [DLQ_HEADERS.sourceOffset]: d.sourceOffset,
    [DLQ_HEADERS.reason]: d.reason,
    [DLQ_HEADERS.fields]: JSON.stringify(d.fields),
    [DLQ_HEADERS.failedAt]: d.failedAt.toISOString(),
    [DLQ_HEADERS.consumerGroup]: d.consumerGroup,
  };
}

/** Port: where dead letters go. */
export interface DeadLetterSink {
  publish(topic: string, letters: readonly DeadLetter[]): Promise<void>;
}

/** Publishes dead letters with the original key and bytes; resolves only once the broker acknowledged (acks=all). */
export class KafkaDeadLetterSink implements DeadLetterSink {
  constructor(private readonly producer: Producer) {}

  async publish(topic: string, letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    await this.producer.send({
      topic,
      acks: -1,
      messages: letters.map((d) => ({ key: d.key, value: d.value, headers: deadLetterHeaders(d) })),
    });
  }
}
