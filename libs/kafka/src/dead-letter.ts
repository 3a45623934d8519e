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

/**
 * Bytes per produce request of dead letters. A request's record batch must stay under the DLQ topic's
 * `max.message.bytes` (2 MiB, TopicSpec) and the broker's default for topics created by hand (1 MiB):
 * a batch of large poison messages in one request would be refused as a whole, forever.
 */
export const DEAD_LETTER_REQUEST_BYTES = 768 * 1024;

function letterBytes(d: DeadLetter): number {
  let n = (d.key?.length ?? 0) + (d.value?.length ?? 0) + 128;
  for (const v of Object.values(deadLetterHeaders(d))) n += String(v).length + 24;
  return n;
}

/** Splits letters into requests of at most `maxBytes` (a larger letter goes alone). */
export function deadLetterRequests(
  letters: readonly DeadLetter[],
  maxBytes = DEAD_LETTER_REQUEST_BYTES,
): DeadLetter[][] {
  const out: DeadLetter[][] = [];
  let cur: DeadLetter[] = [];
  let bytes = 0;
  for (const d of letters) {
    const n = letterBytes(d);
    if (cur.length > 0 && bytes + n > maxBytes) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(d);
    bytes += n;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/**
 * Header on the dead letters whose producer has already stored them in ClickHouse's `dead_letters`
 * (the aggregator, with the chunk they came from): the dead-letter archive, which copies every other
 * record of the topic there, skips them.
 */
export const DLQ_STORED_HEADER = 'x-dlq-stored';

/** Publishes dead letters with the original key and bytes; resolves only once the broker acknowledged (acks=all). */
export class KafkaDeadLetterSink implements DeadLetterSink {
  constructor(
    private readonly producer: Producer,
    /** Headers added to every letter (e.g. DLQ_STORED_HEADER); a letter's own headers win. */
    private readonly extraHeaders: Record<string, string> = {},
  ) {}

  async publish(topic: string, letters: readonly DeadLetter[]): Promise<void> {
    for (const part of deadLetterRequests(letters))
      await this.producer.send({
        topic,
        acks: -1,
        messages: part.map((d) => ({
          key: d.key,
          value: d.value,
          headers: { ...this.extraHeaders, ...deadLetterHeaders(d) },
        })),
      });
  }
}
