// The import's producer on librdkafka (@confluentinc/kafka-javascript's native Producer), behind the
// same ReplaySink port as the kafkajs one. It exists for speed: kafkajs encodes every record in
// JavaScript on the event loop, librdkafka batches, encodes and sends on its own threads.
// scripts/kafka-native/provision.mjs builds the binding (no prebuilt binary can be downloaded here).
import type * as RdKafka from '@confluentinc/kafka-javascript';
import type { Kafka, PartitionMetadata } from 'kafkajs';
import { chooseKafkaClient, loadNativeKafka, type NativeModule } from './native';
import { KafkaReplaySink, SendGate, type ReplayMessage, type ReplaySink } from './replay-producer';

export interface RdKafkaReplaySinkOptions {
  /** librdkafka's linger.ms: how long a partition's batch may wait to fill. Default 5. */
  lingerMs?: number;
  /** Messages queued in librdkafka at most (a full queue makes send wait). Default 500,000. */
  queueMessages?: number;
}

/**
 * An idempotent librdkafka producer (enable.idempotence: acks=all, up to 5 requests in flight per
 * broker with ordering kept per partition). librdkafka's murmur2 partitioner puts a key on the
 * partition the Java client and kafkajs' default partitioner (the live producers) give it, in file
 * order; a message without a key goes to a random partition. A send resolves once librdkafka
 * reported every message of it delivered; a delivery error fails that send and every later one.
 * Metadata and log-end offsets come from the kafkajs admin (cold path).
 */
export class RdKafkaReplaySink implements ReplaySink {
  private readonly producer: RdKafka.Producer;
  private connected: Promise<void> | undefined;
  private readonly metadata: KafkaReplaySink;
  private failure: Error | undefined;
  /** Open sends by id: messages not yet reported, and how to settle the send. */
  private readonly open = new Map<
    number,
    { left: number; resolve: () => void; reject: (e: Error) => void }
  >();
  private nextSend = 0;
  private readonly gate = new SendGate();

  constructor(
    kafka: Kafka,
    brokers: readonly string[],
    opts: RdKafkaReplaySinkOptions = {},
    mod: NativeModule = loadNativeKafka(),
  ) {
    // the kafkajs sink serves metadata and log ends only (it never connects its producers)
    this.metadata = new KafkaReplaySink(kafka);
    this.producer = new mod.Producer({
      'bootstrap.servers': brokers.join(','),
      'client.id': 'storepulse-import',
      'enable.idempotence': true,
      'linger.ms': opts.lingerMs ?? 5,
      'batch.num.messages': 10_000,
      'queue.buffering.max.messages': opts.queueMessages ?? 500_000,
      'queue.buffering.max.kbytes': 1_048_576,
      'compression.codec': 'none',
      dr_cb: true,
      'allow.auto.create.topics': false,
      // murmur2 of the key, as the Java client and kafkajs' default partitioner (the live producers):
      // in C, 3-4 µs of CPU per event less than computing it here (npm run bench -- import)
      partitioner: 'murmur2_random',
      // a delivery that cannot succeed fails the import within this time instead of librdkafka's 5 min
      'message.timeout.ms': 120_000,
    });
    this.producer.on('delivery-report', (err, report) => this.delivered(err, report));
    this.producer.on('event.error', (err) => {
      // errors librdkafka reports outside a delivery (it retries itself); fatal ones end the import
      if (err.isFatal) this.fail(new Error(`librdkafka fatal error: ${err.message}`));
    });
  }

  private delivered(err: RdKafka.LibrdKafkaError | null, report: RdKafka.DeliveryReport): void {
    const id = typeof report.opaque === 'number' ? report.opaque : -1;
    const send = this.open.get(id);
    if (err) {
      this.fail(
        new Error(
          `delivery to ${report.topic}[${report.partition}] failed: ${err.message} (code ${err.code})`,
        ),
      );
      return;
    }
    if (send && --send.left === 0) {
      this.open.delete(id);
      send.resolve();
    }
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const s of this.open.values()) s.reject(this.failure);
    this.open.clear();
  }

  private connect(): Promise<void> {
    this.connected ??= new Promise<void>((resolve, reject) => {
      this.producer.connect({ timeout: 30_000 }, (err) => {
        if (err) reject(new Error(`librdkafka connect failed: ${err.message}`, { cause: err }));
        else {
          this.producer.setPollInterval(5);
          resolve();
        }
      });
    });
    return this.connected;
  }

  logEnds(topics: readonly string[]): Promise<Map<string, bigint>> {
    return this.metadata.logEnds(topics);
  }

  send(messages: readonly ReplayMessage[], headers: Record<string, string>): Promise<void> {
    return this.gate
      .run(async () => {
        if (this.failure) throw this.failure;
        const partitions = await this.metadata.partitionsFor(messages);
        await this.connect();
        // the next send starts only once this one's messages are all in librdkafka's queue (order)
        return this.enqueue(messages, headers, partitions);
      })
      .then((q) => q.acked);
  }

  /** Hands every message to librdkafka; resolves then, with the promise of their acknowledgement. */
  private async enqueue(
    messages: readonly ReplayMessage[],
    headers: Record<string, string>,
    partitions: ReadonlyMap<string, PartitionMetadata[]>,
  ): Promise<{ acked: Promise<void> }> {
    if (messages.length === 0) return { acked: Promise.resolve() };
    const id = this.nextSend++;
    const acked = new Promise<void>((resolve, reject) =>
      this.open.set(id, { left: messages.length, resolve, reject }),
    );
    // a failure may reject it before the caller holds it: mark it handled (the caller still sees it)
    acked.catch(() => undefined);
    const hdrs: RdKafka.MessageHeader[] = Object.entries(headers).map(([k, v]) => ({ [k]: v }));
    try {
      await this.produceAll(messages, hdrs, id, partitions);
    } catch (e) {
      this.open.delete(id);
      throw e;
    }
    return { acked };
  }

  private async produceAll(
    messages: readonly ReplayMessage[],
    hdrs: RdKafka.MessageHeader[],
    id: number,
    partitions: ReadonlyMap<string, PartitionMetadata[]>,
  ): Promise<void> {
    for (const m of messages) {
      const partitionMetadata = partitions.get(m.topic);
      if (!partitionMetadata || partitionMetadata.length === 0)
        throw new Error(`topic ${m.topic} has no partitions in the cluster's metadata`);
      for (;;) {
        if (this.failure) throw this.failure;
        try {
          this.producer.produce(m.topic, null, m.value, m.key, null, id, hdrs);
          break;
        } catch (e) {
          // a full local queue: wait for deliveries to drain it (librdkafka polls every 5 ms)
          if (!isQueueFull(e)) throw e;
          await new Promise((r) => setTimeout(r, 5));
        }
      }
    }
  }

  async close(): Promise<void> {
    if (!this.connected) return;
    await this.connected.catch(() => undefined);
    await new Promise<void>((resolve) => this.producer.flush(30_000, () => resolve()));
    await new Promise<void>((resolve) => this.producer.disconnect(() => resolve()));
  }
}

function isQueueFull(e: unknown): boolean {
  // RdKafka.CODES.ERRORS.ERR__QUEUE_FULL
  return typeof e === 'object' && e !== null && 'code' in e && e.code === -184;
}

export type ReplayClient = 'auto' | 'librdkafka' | 'kafkajs';

/**
 * The import's sink for IMPORT_KAFKA_CLIENT: librdkafka if asked (failing if it cannot load), kafkajs
 * if asked, and in `auto` librdkafka when its binding loads, else kafkajs with the reason.
 */
export function createReplaySink(
  kafka: Kafka,
  brokers: readonly string[],
  client: ReplayClient,
  kafkajsProducers: number,
): { sink: ReplaySink; client: 'librdkafka' | 'kafkajs'; fallbackReason?: string } {
  const { value, ...chosen } = chooseKafkaClient<ReplaySink>(
    client,
    () => new RdKafkaReplaySink(kafka, brokers),
    () => new KafkaReplaySink(kafka, { producers: kafkajsProducers }),
  );
  return { sink: value, ...chosen };
}
