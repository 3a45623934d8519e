import {
  Partitioners,
  type IHeaders,
  type Kafka,
  type Producer,
  type TopicMessages,
} from 'kafkajs';
import type { Logger } from '@storepulse/observability';

export interface ProduceRecord {
  topic: string;
  key: string | null;
  value: Buffer | string;
  headers?: IHeaders;
}

/**
 * Port: produce records durably. `send` resolves only once the broker acknowledged every record
 * with acks=all; it rejects with {@link ProduceTimeoutError} past the deadline (records not yet
 * handed to Kafka are withdrawn, records in flight may still land), {@link ProducerBusyError}
 * when too much is pending, {@link ProducerClosedError} after close(), or Kafka's own error.
 */
export interface EventProducer {
  send(records: readonly ProduceRecord[], timeoutMs: number): Promise<void>;
  /** The producer holds a connection to the cluster (readiness). */
  connected(): boolean;
  /** Refuses new sends, waits up to `timeoutMs` for queued and in-flight sends, disconnects. */
  close(timeoutMs: number): Promise<void>;
}

export class ProduceTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`Kafka did not acknowledge within ${timeoutMs} ms`);
    this.name = 'ProduceTimeoutError';
  }
}
export class ProducerBusyError extends Error {
  constructor(pendingBytes: number, maxPendingBytes: number) {
    super(`${pendingBytes} bytes are waiting for Kafka already (limit ${maxPendingBytes})`);
    this.name = 'ProducerBusyError';
  }
}
export class ProducerClosedError extends Error {
  constructor() {
    super('the producer is shutting down');
    this.name = 'ProducerClosedError';
  }
}

export interface KafkaEventProducerOptions {
  /** Bytes of keys + values per produce request (several HTTP requests are coalesced into one). */
  maxBatchBytes?: number;
  /** Queued + in-flight bytes beyond which `send` fails at once with ProducerBusyError. */
  maxPendingBytes: number;
  /**
   * Idempotent producers, each with one request in flight (kafkajs' idempotence holds only with one
   * request in flight per producer and broker): up to this many produce requests in flight at once.
   * Default 1.
   */
  producers?: number;
  /** Called after every produce request (telemetry: records, wait in the queue, round trip). */
  onRequest?: (r: ProduceRequestStats) => void;
  logger: Logger;
}

/** One produce request of a {@link KafkaEventProducer}. */
export interface ProduceRequestStats {
  records: number;
  /** Milliseconds the request's oldest record waited in the queue for a free producer. */
  queuedMs: number;
  /** Milliseconds from handing the request to kafkajs to the acknowledgement (or failure). */
  sendMs: number;
  ok: boolean;
}

interface Owner {
  outstanding: number;
  settled: boolean;
  resolve(): void;
  reject(e: Error): void;
}
interface Entry {
  record: ProduceRecord;
  bytes: number;
  owner: Owner;
  queuedAt: number;
}
/** One idempotent kafkajs producer and what it is sending. */
interface Lane {
  producer: Producer;
  connected: boolean;
  connecting: Promise<void> | undefined;
  sending: boolean;
  /**
   * The rest of a send() split over several requests (larger than maxBatchBytes): it stays on this
   * lane, so its records reach the broker in the order given.
   */
  carry: Entry[];
}

const recordBytes = (r: ProduceRecord): number =>
  (typeof r.value === 'string' ? Buffer.byteLength(r.value) : r.value.length) +
  (r.key === null ? 0 : Buffer.byteLength(r.key));

/**
 * `producers` idempotent kafkajs producers (acks=all, one request in flight each, unlimited retries:
 * kafkajs' idempotence holds only with one in-flight request per connection) behind
 * {@link EventProducer}. Concurrent callers are coalesced: while every producer has a request with
 * the broker, new records queue and go together in the next free producer's request (like the Java
 * client's linger), so throughput does not depend on the number of concurrent HTTP requests. With
 * several producers a request waits for one round trip, not for the end of another request's.
 * Order: the records of one `send` go in one request, or in consecutive requests of one producer
 * when they exceed maxBatchBytes; sends that overlap in time have no order between them (a caller
 * that awaits a send before the next one keeps its order).
 */
export class KafkaEventProducer implements EventProducer {
  private readonly lanes: Lane[];
  private readonly maxBatchBytes: number;
  private queue: Entry[] = [];
  private pendingBytes = 0;
  private closing = false;
  private idle: (() => void) | undefined;

  constructor(
    kafka: Kafka,
    private readonly opts: KafkaEventProducerOptions,
  ) {
    this.maxBatchBytes = opts.maxBatchBytes ?? 512 * 1024;
    const n = opts.producers ?? 1;
    if (!Number.isInteger(n) || n < 1)
      throw new RangeError(`producers must be an integer >= 1 (got ${n})`);
    this.lanes = Array.from({ length: n }, () => {
      const lane: Lane = {
        producer: kafka.producer({
          idempotent: true,
          maxInFlightRequests: 1,
          // unlimited retries, at most BROKER_RETRY_MAX_MS apart (the client's cap, createKafka):
          // sends resume soon after an outage
          retry: { retries: Number.MAX_SAFE_INTEGER },
          createPartitioner: Partitioners.DefaultPartitioner,
        }),
        connected: false,
        connecting: undefined,
        sending: false,
        carry: [],
      };
      // Not the CONNECT event: kafkajs emits it before the idempotent producer has its producer id,
      // and a send in that window fails inside kafkajs (its per-broker lock is taken but not made).
      lane.producer.on(lane.producer.events.DISCONNECT, () => {
        lane.connected = false;
      });
      return lane;
    });
  }

  /** Every producer holds a connection to the cluster. */
  connected(): boolean {
    return this.lanes.every((l) => l.connected);
  }

  /** Connects now (start-up); failures are logged, sends connect again. */
  warmUp(): void {
    for (const lane of this.lanes)
      this.connect(lane).catch((e: unknown) =>
        this.opts.logger.warn({ err: e }, 'collector producer: Kafka not reachable yet'),
      );
  }

  private connect(lane: Lane): Promise<void> {
    if (lane.connected) return Promise.resolve();
    lane.connecting ??= lane.producer
      .connect()
      .then(() => {
        lane.connected = true;
      })
      .finally(() => {
        lane.connecting = undefined;
      });
    return lane.connecting;
  }

  send(records: readonly ProduceRecord[], timeoutMs: number): Promise<void> {
    if (this.closing) return Promise.reject(new ProducerClosedError());
    if (records.length === 0) return Promise.resolve();
    let bytes = 0;
    for (const r of records) bytes += recordBytes(r);
    if (this.pendingBytes > 0 && this.pendingBytes + bytes > this.opts.maxPendingBytes)
      return Promise.reject(new ProducerBusyError(this.pendingBytes, this.opts.maxPendingBytes));
    return new Promise<void>((resolve, reject) => {
      // eslint-disable-next-line prefer-const -- assigned below, read by the owner's callbacks
      let timer: NodeJS.Timeout | undefined;
      const owner: Owner = {
        outstanding: records.length,
        settled: false,
        resolve: () => {
          if (owner.settled) return;
          owner.settled = true;
          clearTimeout(timer);
          resolve();
        },
        reject: (e) => {
          if (owner.settled) return;
          owner.settled = true;
          clearTimeout(timer);
          reject(e);
        },
      };
      const queuedAt = performance.now();
      for (const record of records) {
        const b = recordBytes(record);
        this.queue.push({ record, bytes: b, owner, queuedAt });
        this.pendingBytes += b;
      }
      timer = setTimeout(() => {
        // withdraw what Kafka has not been handed yet: it will not be produced after a 503
        const mine = (e: Entry) => {
          if (e.owner !== owner) return true;
          this.pendingBytes -= e.bytes;
          return false;
        };
        this.queue = this.queue.filter(mine);
        for (const lane of this.lanes) lane.carry = lane.carry.filter(mine);
        owner.reject(new ProduceTimeoutError(timeoutMs));
        this.notifyIdle();
      }, timeoutMs);
      this.kick();
    });
  }

  private kick(): void {
    for (const lane of this.lanes) {
      if (this.queue.length === 0) return;
      if (lane.sending) continue;
      lane.sending = true;
      this.loop(lane)
        .catch((e: unknown) => this.opts.logger.error({ err: e }, 'collector producer loop failed'))
        .finally(() => {
          lane.sending = false;
          if (this.queue.length > 0) this.kick();
          else this.notifyIdle();
        });
    }
  }

  /**
   * The lane's carried-over records first, then whole sends from the queue up to maxBatchBytes; a
   * send that does not fit whole is taken only when the request is empty (split: its rest stays
   * on this lane).
   */
  private takeBatch(lane: Lane): Entry[] {
    const src = lane.carry.length > 0 ? lane.carry : this.queue;
    let bytes = 0;
    let n = 0;
    while (n < src.length && (n === 0 || bytes + src[n].bytes <= this.maxBatchBytes))
      bytes += src[n++].bytes;
    // never leave part of a send in the shared queue, where another lane could overtake it
    if (src === this.queue && n < src.length && n > 0 && src[n].owner === src[n - 1].owner) {
      const owner = src[n - 1].owner;
      let start = n - 1;
      while (start > 0 && src[start - 1].owner === owner) start--;
      if (start > 0) n = start;
      else {
        let end = n;
        while (end < src.length && src[end].owner === owner) end++;
        lane.carry = src.splice(n, end - n);
      }
    }
    return src.splice(0, n);
  }

  private async loop(lane: Lane): Promise<void> {
    while (lane.carry.length > 0 || this.queue.length > 0) {
      const batch = this.takeBatch(lane);
      const t0 = performance.now();
      let ok = false;
      try {
        await this.connect(lane);
        const byTopic = new Map<string, TopicMessages>();
        for (const { record } of batch) {
          let t = byTopic.get(record.topic);
          if (!t) byTopic.set(record.topic, (t = { topic: record.topic, messages: [] }));
          t.messages.push({ key: record.key, value: record.value, headers: record.headers });
        }
        await lane.producer.sendBatch({ acks: -1, topicMessages: [...byTopic.values()] });
        ok = true;
        for (const e of batch) if (--e.owner.outstanding === 0) e.owner.resolve();
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        for (const entry of batch) entry.owner.reject(e);
        // the rest of a failed send is not sent: its caller was answered already
        const failed = new Set(batch.map((x) => x.owner));
        lane.carry = lane.carry.filter((x) => {
          if (!failed.has(x.owner)) return true;
          this.pendingBytes -= x.bytes;
          return false;
        });
      } finally {
        for (const e of batch) this.pendingBytes -= e.bytes;
      }
      this.opts.onRequest?.({
        records: batch.length,
        queuedMs: t0 - batch[0].queuedAt,
        sendMs: performance.now() - t0,
        ok,
      });
    }
  }

  private busy(): boolean {
    return this.queue.length > 0 || this.lanes.some((l) => l.sending || l.carry.length > 0);
  }

  private notifyIdle(): void {
    if (!this.busy()) this.idle?.();
  }

  async close(timeoutMs: number): Promise<void> {
    this.closing = true;
    if (this.busy()) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((r) => (this.idle = r)),
        new Promise<void>((r) => (timer = setTimeout(r, timeoutMs))),
      ]);
      clearTimeout(timer);
      if (this.busy())
        this.opts.logger.warn(
          { queued: this.queue.length, timeoutMs },
          'collector producer: shutdown drain timed out; unacknowledged requests got no 200',
        );
    }
    await Promise.all(this.lanes.map((l) => l.producer.disconnect()));
  }
}
