// Producing history (the import): idempotent, acks=all, every message marked with the replay header.
import {
  Partitioners,
  type Kafka,
  type Message,
  type PartitionMetadata,
  type Producer,
} from 'kafkajs';

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
  /**
   * Sends one batch (acks=all) with `headers` on every message; resolves once acknowledged. Sends
   * may overlap (a caller may start the next before this one resolved): each partition's messages
   * reach the broker in the order of the calls. After a failed send, later sends fail too.
   */
  send(messages: readonly ReplayMessage[], headers: Record<string, string>): Promise<void>;
  close(): Promise<void>;
}

export interface KafkaReplaySinkOptions {
  /**
   * Idempotent producers, each owning the partitions p with p % producers = its index (one
   * request in flight each, in partition order): up to this many produce requests in flight.
   * Default 1.
   */
  producers?: number;
}

/**
 * Runs each send's preparation (metadata, connect, hand-over to the client) after the previous
 * one's, in call order, whatever each awaits: what keeps a partition's messages in the order of the
 * sends while their acknowledgements overlap. A failed preparation does not block the next.
 */
export class SendGate {
  private tail: Promise<void> = Promise.resolve();

  run<T>(prepare: () => Promise<T>): Promise<T> {
    const done = this.tail.then(prepare);
    this.tail = done.then(
      () => undefined,
      () => undefined,
    );
    return done;
  }
}

interface Lane {
  producer: Producer;
  /** The lane's last send: the next waits for it (order within each partition). */
  tail: Promise<void>;
}

/**
 * The import's producer: `producers` idempotent kafkajs producers (acks=all, one request in flight
 * each — kafkajs' idempotence holds only so). A message's partition is the one kafkajs' default
 * partitioner (murmur2 of the key, as the Java client) gives, computed here from the topic's
 * metadata, and each partition belongs to one producer: every partition gets its messages in file
 * order from a single idempotent producer, while the producers' requests are in flight together.
 */
export class KafkaReplaySink implements ReplaySink {
  private readonly lanes: Lane[];
  private connected: Promise<void> | undefined;
  private readonly partitions = new Map<string, PartitionMetadata[]>();
  private readonly partitioner = Partitioners.DefaultPartitioner();
  private failure: Error | undefined;
  /** Sends join the lanes in call order. */
  private readonly gate = new SendGate();

  constructor(
    private readonly kafka: Kafka,
    opts: KafkaReplaySinkOptions = {},
  ) {
    const n = opts.producers ?? 1;
    if (!Number.isInteger(n) || n < 1)
      throw new RangeError(`producers must be an integer >= 1 (got ${n})`);
    this.lanes = Array.from({ length: n }, () => ({
      producer: kafka.producer({
        createPartitioner: Partitioners.DefaultPartitioner,
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
      }),
      tail: Promise.resolve(),
    }));
  }

  private connect(): Promise<void> {
    this.connected ??= Promise.all(this.lanes.map((l) => l.producer.connect())).then(
      () => undefined,
    );
    return this.connected;
  }

  async logEnds(topics: readonly string[]): Promise<Map<string, bigint>> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      // a topic that does not exist: say which, at once (the offsets request would retry, then fail
      // without naming it)
      const existing = new Set(await admin.listTopics());
      const unknown = topics.filter((t) => !existing.has(t));
      if (unknown.length > 0)
        throw new Error(
          `topic${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} not found in the cluster`,
        );
      const out = new Map<string, bigint>();
      for (const topic of topics)
        for (const p of await admin.fetchTopicOffsets(topic))
          out.set(`${topic}:${p.partition}`, BigInt(p.high));
      // the partition counts the messages are spread over (as the default partitioner would)
      const missing = topics.filter((t) => !this.partitions.has(t));
      if (missing.length > 0)
        for (const t of (await admin.fetchTopicMetadata({ topics: missing })).topics)
          this.partitions.set(
            t.name,
            [...t.partitions].sort((a, b) => a.partitionId - b.partitionId),
          );
      return out;
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * The partitions of every topic of `messages`, from the metadata (read once per topic); throws
   * naming a topic that does not exist.
   */
  async partitionsFor(
    messages: readonly ReplayMessage[],
  ): Promise<ReadonlyMap<string, PartitionMetadata[]>> {
    const topics = [...new Set(messages.map((m) => m.topic))];
    const missing = topics.filter((t) => !this.partitions.has(t));
    if (missing.length > 0) await this.logEnds(missing);
    return this.partitions;
  }

  send(messages: readonly ReplayMessage[], headers: Record<string, string>): Promise<void> {
    return this.gate
      .run(async () => {
        if (this.failure) throw this.failure;
        await this.partitionsFor(messages);
        await this.connect();
        return { acked: this.enqueue(messages, headers) };
      })
      .then((q) => q.acked);
  }

  /** Splits `messages` over the lanes by partition and chains each part after the lane's last send. */
  private enqueue(
    messages: readonly ReplayMessage[],
    headers: Record<string, string>,
  ): Promise<void> {
    const perLane = this.lanes.map(() => new Map<string, Message[]>());
    for (const m of messages) {
      const partitionMetadata = this.partitions.get(m.topic);
      if (!partitionMetadata || partitionMetadata.length === 0)
        throw new Error(`topic ${m.topic} has no partitions in the cluster's metadata`);
      const message: Message = { key: m.key, value: m.value, headers };
      const partition = this.partitioner({ topic: m.topic, partitionMetadata, message });
      message.partition = partition;
      const byTopic = perLane[partition % this.lanes.length];
      let l = byTopic.get(m.topic);
      if (!l) byTopic.set(m.topic, (l = []));
      l.push(message);
    }
    return Promise.all(
      this.lanes.map((lane, i) => {
        const byTopic = perLane[i];
        if (byTopic.size === 0) return lane.tail;
        const sent = lane.tail.then(() => {
          if (this.failure) throw this.failure;
          return lane.producer
            .sendBatch({
              acks: -1,
              topicMessages: [...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs })),
            })
            .then(() => undefined);
        });
        // a failed request stops every lane (what follows would land after a gap); the tail
        // itself never rejects: the failed send's caller gets the error, later sends get it too
        lane.tail = sent.catch((e: unknown) => {
          this.failure ??= e instanceof Error ? e : new Error(String(e));
        });
        return sent;
      }),
    ).then(() => undefined);
  }

  async close(): Promise<void> {
    if (this.connected) {
      await Promise.allSettled(this.lanes.map((l) => l.tail));
      await Promise.all(this.lanes.map((l) => l.producer.disconnect()));
    }
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
