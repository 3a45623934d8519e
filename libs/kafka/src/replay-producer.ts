// Producing history (the import): idempotent, acks=all, every message marked with the replay header.
import { Partitioners, type Kafka, type Producer } from 'kafkajs';

/** One message to replay onto a topic. */
export interface ReplayMessage {
  topic: string;
  key: string | null;
  value: Buffer;
}

/** [low, high) offsets of a topic-partition: what one import appended there (high = log end after it). */
export interface PartitionRange {
  topic: string;
  partition: number;
  /** First offset at or after the import's first message. */
  low: string;
  /** Log end offset once every message was acknowledged. */
  high: string;
}

/** Port: replays messages and tells the offset ranges they landed in. */
export interface ReplaySink {
  /** The log end offsets of `topics` now (before sending). */
  logEnds(topics: readonly string[]): Promise<Map<string, bigint>>;
  /** Sends one batch (acks=all) with `headers` on every message; resolves once acknowledged. */
  send(messages: readonly ReplayMessage[], headers: Record<string, string>): Promise<void>;
  close(): Promise<void>;
}

export class KafkaReplaySink implements ReplaySink {
  private readonly producer: Producer;
  private connected: Promise<void> | undefined;

  constructor(private readonly kafka: Kafka) {
    this.producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
  }

  private connect(): Promise<void> {
    this.connected ??= this.producer.connect();
    return this.connected;
  }

  async logEnds(topics: readonly string[]): Promise<Map<string, bigint>> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const out = new Map<string, bigint>();
      for (const topic of topics)
        for (const p of await admin.fetchTopicOffsets(topic))
          out.set(`${topic}:${p.partition}`, BigInt(p.high));
      return out;
    } finally {
      await admin.disconnect();
    }
  }

  async send(messages: readonly ReplayMessage[], headers: Record<string, string>): Promise<void> {
    await this.connect();
    const byTopic = new Map<
      string,
      { key: string | null; value: Buffer; headers: typeof headers }[]
    >();
    for (const m of messages) {
      let l = byTopic.get(m.topic);
      if (!l) byTopic.set(m.topic, (l = []));
      l.push({ key: m.key, value: m.value, headers });
    }
    await this.producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs })),
    });
  }

  async close(): Promise<void> {
    if (this.connected) await this.producer.disconnect();
  }
}

/** Ranges appended between two `logEnds` snapshots (partitions that grew). */
export function appendedRanges(
  before: ReadonlyMap<string, bigint>,
  after: ReadonlyMap<string, bigint>,
): PartitionRange[] {
  const out: PartitionRange[] = [];
  for (const [k, high] of after) {
    const low = before.get(k) ?? 0n;
    if (high <= low) continue;
    const i = k.lastIndexOf(':');
    out.push({
      topic: k.slice(0, i),
      partition: Number(k.slice(i + 1)),
      low: low.toString(),
      high: high.toString(),
    });
  }
  return out.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
}
