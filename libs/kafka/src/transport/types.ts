// The data a BatchTransport hands to a Nest @EventPattern handler and what the handler returns.

/** One consumed Kafka message, with its bytes unchanged. */
export interface InboundMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  /** Header values decoded as UTF-8; a header repeated in the record keeps its last value. */
  headers: Record<string, string>;
  /** The record's Kafka timestamp (producer create time or broker append time), in ms since epoch. */
  timestampMs: number;
}

/** The payload of a handler call: one topic-partition batch, in offset order. */
export interface InboundBatch {
  topic: string;
  partition: number;
  messages: InboundMessage[];
  /** Keeps the group membership alive during long work. */
  heartbeat(): Promise<void>;
}

/** A record the handler wants published (an output or a dead letter). */
export interface OutboundRecord {
  topic: string;
  /** Message key (a Buffer keeps the original bytes, e.g. of a dead letter); null = no key. */
  key: string | Buffer | null;
  /** Message value; null publishes a tombstone. */
  value: string | Buffer | null;
  headers?: Record<string, string>;
  /** Explicit partition; otherwise the default (murmur2 of the key, as the Java client) partitioner. */
  partition?: number;
}

/** What a handler returns for a batch: every record to publish, outputs and dead letters alike. */
export interface BatchOutput {
  records: OutboundRecord[];
}

/** How a transport makes a batch's outputs and its consumed offsets durable. */
export type DeliveryMode = 'transactional' | 'after-handler';
