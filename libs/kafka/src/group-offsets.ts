// Committed offsets of another consumer group, polled: how a downstream stage waits until an upstream
// group (e.g. the aggregator) has made a partition's messages durable.
import type { Admin, Kafka } from 'kafkajs';

export class GroupProgressTimeoutError extends Error {
  constructor(
    readonly groupId: string,
    readonly topic: string,
    readonly partition: number,
    readonly wanted: string,
    readonly committed: string | null,
    readonly waitedMs: number,
  ) {
    super(
      `consumer group ${groupId} has not committed ${topic}[${partition}] up to offset ${wanted} after ${waitedMs} ms (committed: ${committed ?? 'nothing'})`,
    );
    this.name = 'GroupProgressTimeoutError';
  }
}

export interface GroupProgress {
  /** Resolves once `groupId` committed offset ≥ `offset` on the partition; rejects after timeoutMs. */
  waitCommitted(topic: string, partition: number, offset: string, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/** Polls the group's committed offsets with the admin client (one request per poll, shared by waiters). */
export class KafkaGroupProgress implements GroupProgress {
  private admin: Admin | undefined;
  private connecting: Promise<Admin> | undefined;
  private readonly known = new Map<string, bigint>();
  private inflight: Promise<void> | undefined;

  constructor(
    private readonly kafka: Kafka,
    readonly groupId: string,
    private readonly pollMs = 25,
  ) {}

  private async client(): Promise<Admin> {
    if (this.admin) return this.admin;
    this.connecting ??= (async () => {
      const a = this.kafka.admin();
      await a.connect();
      this.admin = a;
      return a;
    })();
    return this.connecting;
  }

  private async refresh(topic: string): Promise<void> {
    this.inflight ??= (async () => {
      try {
        const admin = await this.client();
        const res = await admin.fetchOffsets({ groupId: this.groupId, topics: [topic] });
        for (const t of res)
          for (const p of t.partitions)
            if (p.offset !== '-1') this.known.set(`${t.topic}:${p.partition}`, BigInt(p.offset));
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }

  async waitCommitted(
    topic: string,
    partition: number,
    offset: string,
    timeoutMs: number,
  ): Promise<void> {
    const key = `${topic}:${partition}`;
    const want = BigInt(offset);
    const t0 = Date.now();
    for (;;) {
      const have = this.known.get(key);
      if (have !== undefined && have >= want) return;
      if (Date.now() - t0 > timeoutMs)
        throw new GroupProgressTimeoutError(
          this.groupId,
          topic,
          partition,
          offset,
          have === undefined ? null : have.toString(),
          Date.now() - t0,
        );
      await this.refresh(topic);
      const now = this.known.get(key);
      if (now !== undefined && now >= want) return;
      await new Promise((r) => setTimeout(r, this.pollMs));
    }
  }

  async close(): Promise<void> {
    const a = this.admin;
    this.admin = undefined;
    this.connecting = undefined;
    await a?.disconnect();
  }
}

/**
 * Messages of `topics` a consumer group has not committed yet (log end − committed, summed over
 * partitions; a partition without a commit counts from its log start). One admin round trip.
 */
export async function groupLag(kafka: Kafka, groupId: string, topics: string[]): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const committed = await admin.fetchOffsets({ groupId, topics });
    let lag = 0n;
    for (const topic of topics) {
      const ends = await admin.fetchTopicOffsets(topic);
      const c = committed.find((t) => t.topic === topic);
      for (const e of ends) {
        const off = c?.partitions.find((p) => p.partition === e.partition)?.offset ?? '-1';
        const from = off === '-1' ? BigInt(e.low) : BigInt(off);
        const d = BigInt(e.high) - from;
        if (d > 0n) lag += d;
      }
    }
    return Number(lag);
  } finally {
    await admin.disconnect();
  }
}
