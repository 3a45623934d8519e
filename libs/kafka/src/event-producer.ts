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
  logger: Logger;
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
}

const recordBytes = (r: ProduceRecord): number =>
  (typeof r.value === 'string' ? Buffer.byteLength(r.value) : r.value.length) +
  (r.key === null ? 0 : Buffer.byteLength(r.key));

/**
 * An idempotent kafkajs producer (acks=all, one request in flight, unlimited retries: kafkajs'
 * idempotence holds only with one in-flight request per connection) behind {@link EventProducer}.
 * With one request in flight, concurrent callers are coalesced: while a request is with the
 * broker, new records queue and go together in the next one (like the Java client's linger), so
 * throughput does not depend on the number of concurrent HTTP requests.
 */
export class KafkaEventProducer implements EventProducer {
  private readonly producer: Producer;
  private readonly maxBatchBytes: number;
  private queue: Entry[] = [];
  private pendingBytes = 0;
  private sending = false;
  private closing = false;
  private isConnected = false;
  private connecting: Promise<void> | undefined;
  private idle: (() => void) | undefined;

  constructor(
    kafka: Kafka,
    private readonly opts: KafkaEventProducerOptions,
  ) {
    this.maxBatchBytes = opts.maxBatchBytes ?? 512 * 1024;
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      // unlimited retries, at most BROKER_RETRY_MAX_MS apart (the client's cap, createKafka): sends
      // resume soon after an outage
      retry: { retries: Number.MAX_SAFE_INTEGER },
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    // Not the CONNECT event: kafkajs emits it before the idempotent producer has its producer id,
    // and a send in that window fails inside kafkajs (its per-broker lock is taken but not made).
    this.producer.on(this.producer.events.DISCONNECT, () => {
      this.isConnected = false;
    });
  }

  connected(): boolean {
    return this.isConnected;
  }

  /** Connects now (start-up); failures are logged, sends connect again. */
  warmUp(): void {
    this.connect().catch((e: unknown) =>
      this.opts.logger.warn({ err: e }, 'collector producer: Kafka not reachable yet'),
    );
  }

  private connect(): Promise<void> {
    if (this.isConnected) return Promise.resolve();
    this.connecting ??= this.producer
      .connect()
      .then(() => {
        this.isConnected = true;
      })
      .finally(() => {
        this.connecting = undefined;
      });
    return this.connecting;
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
      for (const record of records) {
        const b = recordBytes(record);
        this.queue.push({ record, bytes: b, owner });
        this.pendingBytes += b;
      }
      timer = setTimeout(() => {
        // withdraw what Kafka has not been handed yet: it will not be produced after a 503
        const before = this.queue.length;
        this.queue = this.queue.filter((e) => {
          if (e.owner !== owner) return true;
          this.pendingBytes -= e.bytes;
          return false;
        });
        owner.reject(new ProduceTimeoutError(timeoutMs));
        if (before !== this.queue.length) this.notifyIdle();
      }, timeoutMs);
      this.kick();
    });
  }

  private kick(): void {
    if (this.sending || this.queue.length === 0) return;
    this.sending = true;
    this.loop()
      .catch((e: unknown) => this.opts.logger.error({ err: e }, 'collector producer loop failed'))
      .finally(() => {
        this.sending = false;
        if (this.queue.length > 0) this.kick();
        else this.notifyIdle();
      });
  }

  private takeBatch(): Entry[] {
    let bytes = 0;
    let n = 0;
    while (n < this.queue.length && (n === 0 || bytes + this.queue[n].bytes <= this.maxBatchBytes))
      bytes += this.queue[n++].bytes;
    return this.queue.splice(0, n);
  }

  private async loop(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.takeBatch();
      try {
        await this.connect();
        const byTopic = new Map<string, TopicMessages>();
        for (const { record } of batch) {
          let t = byTopic.get(record.topic);
          if (!t) byTopic.set(record.topic, (t = { topic: record.topic, messages: [] }));
          t.messages.push({ key: record.key, value: record.value, headers: record.headers });
        }
        await this.producer.sendBatch({ acks: -1, topicMessages: [...byTopic.values()] });
        for (const e of batch) if (--e.owner.outstanding === 0) e.owner.resolve();
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        for (const entry of batch) entry.owner.reject(e);
      } finally {
        for (const e of batch) this.pendingBytes -= e.bytes;
      }
    }
  }

  private notifyIdle(): void {
    if (!this.sending && this.queue.length === 0) this.idle?.();
  }

  async close(timeoutMs: number): Promise<void> {
    this.closing = true;
    if (this.sending || this.queue.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((r) => (this.idle = r)),
        new Promise<void>((r) => (timer = setTimeout(r, timeoutMs))),
      ]);
      clearTimeout(timer);
      if (this.sending || this.queue.length > 0)
        this.opts.logger.warn(
          { queued: this.queue.length, timeoutMs },
          'collector producer: shutdown drain timed out; unacknowledged requests got no 200',
        );
    }
    await this.producer.disconnect();
  }
}
