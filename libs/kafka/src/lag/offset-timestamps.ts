import type { Kafka } from 'kafkajs';

/**
 * The slice of kafkajs' internal Cluster/Broker API used for a one-message fetch. kafkajs has no public
 * "fetch at offset" without joining a consumer group, so the lag reader talks Fetch to the partition
 * leader directly over the client's own connection settings (brokers, SSL, SASL): no group is joined,
 * nothing is committed, the monitored groups are never touched.
 */
interface LowLevelFetchPartition {
  partition: number;
  errorCode: number;
  highWatermark: string;
  messages: { offset: string; timestamp: string; isControlRecord?: boolean }[];
}
interface LowLevelBroker {
  fetch(req: {
    replicaId?: number;
    isolationLevel: number;
    maxWaitTime: number;
    minBytes: number;
    maxBytes: number;
    topics: {
      topic: string;
      partitions: { partition: number; fetchOffset: string; maxBytes: number }[];
    }[];
  }): Promise<{ responses: { topicName: string; partitions: LowLevelFetchPartition[] }[] }>;
}
interface LowLevelCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  refreshMetadata(): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(q: { nodeId: string }): Promise<LowLevelBroker>;
}
type CreateCluster = (opts: {
  metadataMaxAge?: number;
  allowAutoTopicCreation?: boolean;
}) => LowLevelCluster;

function clusterFactory(kafka: Kafka): CreateCluster {
  const sym = Object.getOwnPropertySymbols(kafka).find(
    (s) => s.description === 'private:Kafka:createCluster',
  );
  const holder = kafka as unknown as Record<symbol, unknown>;
  const fn = sym ? holder[sym] : undefined;
  if (typeof fn !== 'function')
    throw new Error(
      'kafkajs internals changed: cannot create a low-level cluster for offset fetches',
    );
  return fn as CreateCluster;
}

/** Outcome of reading the timestamp of the message at one offset. */
export type OffsetTimestamp =
  | { kind: 'ok'; timestampMs: number; offset: string }
  /** No record at or after the offset below the high watermark (e.g. only transaction markers). */
  | { kind: 'none' }
  | { kind: 'out-of-range' }
  | { kind: 'error'; message: string };

const READ_UNCOMMITTED = 0;

/**
 * Reads the timestamp of the message AT a given offset (the first record with offset >= it), one
 * partition per fetch, with an LRU cache: a message's timestamp never changes, so a group stuck at
 * the same committed offset costs nothing on later polls, and groups sharing an offset share a fetch.
 */
export class OffsetTimestampReader {
  private readonly cluster: LowLevelCluster;
  private connected = false;
  private readonly cache = new Map<string, OffsetTimestamp & { kind: 'ok' }>();
  /** Number of broker fetches issued (for tests and the cost metric). */
  fetches = 0;

  constructor(
    kafka: Kafka,
    private readonly cacheSize = 10_000,
    private readonly maxBytes = 256 * 1024,
  ) {
    this.cluster = clusterFactory(kafka)({ metadataMaxAge: 60_000, allowAutoTopicCreation: false });
  }

  /** Metadata and connection work on the shared cluster runs one at a time (kafkajs' pool is not re-entrant). */
  private lock: Promise<void> = Promise.resolve();
  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  connect(): Promise<void> {
    return this.locked(async () => {
      if (this.connected) return;
      await this.cluster.connect();
      this.connected = true;
    });
  }

  disconnect(): Promise<void> {
    return this.locked(async () => {
      if (!this.connected) return;
      this.connected = false;
      await this.cluster.disconnect();
    });
  }

  async timestampAt(topic: string, partition: number, offset: string): Promise<OffsetTimestamp> {
    const key = `${topic}\u0000${partition}\u0000${offset}`;
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const r = await this.fetchOnce(topic, partition, offset).catch(async (e: unknown) => {
      // Leadership may have moved or metadata is stale: refresh once and retry.
      await this.locked(() => this.cluster.refreshMetadata()).catch(() => undefined);
      return this.fetchOnce(topic, partition, offset).catch((e2: unknown): OffsetTimestamp =>
        errorOutcome(e2 ?? e),
      );
    });
    if (r.kind === 'ok') {
      this.cache.set(key, r);
      if (this.cache.size > this.cacheSize) {
        const oldest = this.cache.keys().next().value;
        if (oldest !== undefined) this.cache.delete(oldest);
      }
    }
    return r;
  }

  private async fetchOnce(
    topic: string,
    partition: number,
    offset: string,
  ): Promise<OffsetTimestamp> {
    // The whole request runs under the lock: kafkajs opens a broker's fetch connection lazily and two
    // concurrent first uses would each open a socket (one leaks). One small fetch at a time is cheap.
    return this.locked(() => this.fetchLocked(topic, partition, offset));
  }

  private async fetchLocked(
    topic: string,
    partition: number,
    offset: string,
  ): Promise<OffsetTimestamp> {
    if (!this.connected) throw new Error('offset timestamp reader is disconnected');
    await this.cluster.addTargetTopic(topic);
    const leaders = this.cluster.findLeaderForPartitions(topic, [partition]);
    const nodeId = Object.keys(leaders)[0];
    if (nodeId === undefined) return { kind: 'error', message: 'no leader for partition' };
    const broker = await this.cluster.findBroker({ nodeId });
    this.fetches++;
    let res;
    try {
      res = await broker.fetch({
        replicaId: -1,
        isolationLevel: READ_UNCOMMITTED,
        maxWaitTime: 0,
        minBytes: 1,
        maxBytes: this.maxBytes,
        topics: [
          { topic, partitions: [{ partition, fetchOffset: offset, maxBytes: this.maxBytes }] },
        ],
      });
    } catch (e) {
      if (isOutOfRange(e)) return { kind: 'out-of-range' };
      throw e;
    }
    const want = BigInt(offset);
    for (const t of res.responses)
      for (const p of t.partitions) {
        if (p.partition !== partition) continue;
        // The broker returns whole record batches: skip records before the offset and control markers.
        const m = p.messages.find((x) => !x.isControlRecord && BigInt(x.offset) >= want);
        if (m) return { kind: 'ok', timestampMs: Number(m.timestamp), offset: m.offset };
      }
    return { kind: 'none' };
  }
}

function isOutOfRange(e: unknown): boolean {
  return typeof e === 'object' && e !== null && 'type' in e && e.type === 'OFFSET_OUT_OF_RANGE';
}

function errorOutcome(e: unknown): OffsetTimestamp {
  if (isOutOfRange(e)) return { kind: 'out-of-range' };
  return { kind: 'error', message: e instanceof Error ? e.message : String(e) };
}
