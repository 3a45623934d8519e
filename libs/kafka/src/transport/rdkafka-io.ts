// The transport's transactional producers on librdkafka (@confluentinc/kafka-javascript's native
// Producer), behind the same TransportIo port as the kafkajs ones. It exists for speed: kafkajs
// encodes every record and runs every transaction request on the event loop the handlers share;
// librdkafka batches, encodes and sends on its own threads. The consumer stays kafkajs' (BatchConsumer).
import type * as RdKafka from '@confluentinc/kafka-javascript';
import type { IHeaders, Kafka, TopicMessages } from 'kafkajs';
import {
  chooseKafkaClient,
  loadNativeKafka,
  NativeKafkaUnavailableError,
  type NativeModule,
} from '../native';
import {
  KafkaTransportIo,
  type IdempotentProducer,
  type OutputTransaction,
  type TransactionalProducer,
  type TransportIo,
} from './io';

export interface RdKafkaTransportIoOptions {
  /** Broker-side timeout of an open transaction (transaction.timeout.ms). Default 60 s, as kafkajs. */
  transactionTimeoutMs?: number;
  /** How long a transactional call (init, commit, abort, offsets) may take. Default 30 s. */
  callTimeoutMs?: number;
  /** librdkafka's linger.ms (a commit flushes at once). Default 1. */
  lingerMs?: number;
  /** librdkafka's first retry backoff of a protocol request (retry.backoff.ms). Default 10. */
  retryBackoffMs?: number;
  clientId?: string;
}

/** A librdkafka error as the processor's logs and retries see it: message, code, flags. */
export class RdKafkaTransactionError extends Error {
  constructor(
    readonly op: string,
    readonly transactionalId: string,
    readonly code: number,
    readonly fatal: boolean,
    readonly abortable: boolean,
    message: string,
    cause: unknown,
  ) {
    super(`${op} of transactional id ${transactionalId} failed: ${message} (code ${code})`, {
      cause,
    });
  }
}

function headerList(headers: IHeaders | undefined): RdKafka.MessageHeader[] | undefined {
  if (!headers) return undefined;
  const out: RdKafka.MessageHeader[] = [];
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) out.push({ [k]: one });
  }
  return out;
}

function toBuffer(v: Buffer | string | null | undefined): Buffer | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? Buffer.from(v) : v;
}

function isQueueFull(e: unknown): boolean {
  // RdKafka.CODES.ERRORS.ERR__QUEUE_FULL
  return typeof e === 'object' && e !== null && 'code' in e && e.code === -184;
}

/**
 * One transaction of a librdkafka producer. Records are handed to librdkafka without a delivery
 * callback: `commit` (commit_transaction) flushes them and fails if any could not be delivered, and
 * the transaction then only aborts, which is what the batch processor does with any failure.
 */
class RdKafkaTransaction implements OutputTransaction {
  constructor(private readonly p: RdKafkaTxnProducer) {}

  async send(topicMessages: TopicMessages[]): Promise<void> {
    for (const tm of topicMessages)
      for (const m of tm.messages) {
        const value = toBuffer(m.value);
        const key = toBuffer(m.key);
        const ts = m.timestamp === undefined ? null : Number(m.timestamp);
        const headers = headerList(m.headers);
        for (;;) {
          try {
            this.p.native.produce(tm.topic, m.partition ?? null, value, key, ts, null, headers);
            break;
          } catch (e) {
            // a full local queue: wait for librdkafka to send some of it
            if (!isQueueFull(e)) throw this.p.error('produce', e);
            await new Promise((r) => setTimeout(r, 2));
          }
        }
      }
  }

  sendOffsets(groupId: string, topic: string, partition: number, offset: string): Promise<void> {
    return this.p.sendOffsets(groupId, topic, partition, offset);
  }

  commit(): Promise<void> {
    return this.p.call('commitTransaction', (cb) =>
      this.p.native.commitTransaction(this.p.timeoutMs, cb),
    );
  }

  abort(): Promise<void> {
    return this.p.call('abortTransaction', (cb) =>
      this.p.native.abortTransaction(this.p.timeoutMs, cb),
    );
  }
}

class RdKafkaTxnProducer implements TransactionalProducer {
  constructor(
    readonly native: RdKafka.Producer,
    readonly id: string,
    readonly timeoutMs: number,
    private readonly groupHandle: (groupId: string) => Promise<RdKafka.KafkaConsumer>,
  ) {}

  error(op: string, e: unknown): RdKafkaTransactionError {
    const err = e as Partial<RdKafka.LibrdKafkaError> | null;
    const message = err?.message ?? String(e);
    return new RdKafkaTransactionError(
      op,
      this.id,
      typeof err?.code === 'number' ? err.code : -1,
      err?.isFatal === true,
      err?.isTxnRequiresAbort === true,
      message,
      e,
    );
  }

  call(op: string, run: (cb: (err: RdKafka.LibrdKafkaError | null) => void) => void) {
    return new Promise<void>((resolve, reject) => {
      try {
        run((err) => (err ? reject(this.error(op, err)) : resolve()));
      } catch (e) {
        reject(this.error(op, e));
      }
    });
  }

  async begin(): Promise<OutputTransaction> {
    await this.call('beginTransaction', (cb) => this.native.beginTransaction(cb));
    return new RdKafkaTransaction(this);
  }

  async sendOffsets(groupId: string, topic: string, partition: number, offset: string) {
    // the group's metadata of a consumer that never joins: group id, generation -1, no member id
    // (what kafkajs' sendOffsets sends too; the coordinator accepts it from transactional producers)
    const handle = await this.groupHandle(groupId);
    const next = Number(offset);
    if (!Number.isSafeInteger(next))
      throw new Error(`offset ${offset} of ${topic}/${partition} is not a safe integer`);
    await this.call('sendOffsetsToTransaction', (cb) =>
      this.native.sendOffsetsToTransaction(
        [{ topic, partition, offset: next }],
        handle,
        this.timeoutMs,
        cb,
      ),
    );
  }

  disconnect(): Promise<void> {
    return new Promise<void>((resolve, reject) =>
      this.native.disconnect(this.timeoutMs, (err) =>
        err ? reject(this.error('disconnect', err)) : resolve(),
      ),
    );
  }
}

/**
 * TransportIo whose transactional producers are librdkafka's: one native producer per transactional
 * id (idempotent, acks=all, murmur2 partitioner like kafkajs' default and the Java client), registered
 * with init_transactions on creation (fencing an older producer of the id and completing its open
 * transaction). The idempotent producer (after-handler mode) and the committed-offset reads stay on
 * kafkajs (`fallback`).
 */
export class RdKafkaTransportIo implements TransportIo {
  private readonly fallback: KafkaTransportIo;
  private readonly groups = new Map<string, Promise<RdKafka.KafkaConsumer>>();
  private readonly mod: NativeModule;

  constructor(
    kafka: Kafka,
    private readonly brokers: readonly string[],
    private readonly opts: RdKafkaTransportIoOptions = {},
    mod?: NativeModule,
  ) {
    this.mod = mod ?? loadNativeKafka();
    this.fallback = new KafkaTransportIo(kafka, opts.transactionTimeoutMs);
  }

  private get timeoutMs(): number {
    return this.opts.callTimeoutMs ?? 30_000;
  }

  async transactionalProducer(transactionalId: string): Promise<TransactionalProducer> {
    const native = new this.mod.Producer({
      'bootstrap.servers': this.brokers.join(','),
      'client.id': this.opts.clientId ?? 'storepulse-transport',
      'transactional.id': transactionalId,
      'transaction.timeout.ms': this.opts.transactionTimeoutMs ?? 60_000,
      'enable.idempotence': true,
      'linger.ms': this.opts.lingerMs ?? 1,
      'compression.codec': 'none',
      dr_cb: false,
      'allow.auto.create.topics': false,
      partitioner: 'murmur2_random',
      // the coordinator answers CONCURRENT_TRANSACTIONS to the first request of a transaction that
      // follows a commit by a few ms (its markers being written); librdkafka retries AddOffsetsToTxn
      // after retry.backoff.ms, 100 ms by default: that was the p99 of sendOffsets (bench scoring)
      'retry.backoff.ms': this.opts.retryBackoffMs ?? 10,
      'retry.backoff.max.ms': 500,
    });
    const p = new RdKafkaTxnProducer(native, transactionalId, this.timeoutMs, (g) =>
      this.groupHandle(g),
    );
    await new Promise<void>((resolve, reject) =>
      native.connect({ timeout: this.timeoutMs }, (err) =>
        err ? reject(p.error('connect', err)) : resolve(),
      ),
    );
    try {
      await p.call('initTransactions', (cb) => native.initTransactions(this.timeoutMs, cb));
    } catch (e) {
      await p.disconnect().catch(() => undefined);
      throw e;
    }
    return p;
  }

  /** A connected consumer of `groupId` that never subscribes: only its group metadata is used. */
  private groupHandle(groupId: string): Promise<RdKafka.KafkaConsumer> {
    let handle = this.groups.get(groupId);
    if (!handle) {
      const c = new this.mod.KafkaConsumer(
        {
          'bootstrap.servers': this.brokers.join(','),
          'client.id': `${this.opts.clientId ?? 'storepulse-transport'}-group-metadata`,
          'group.id': groupId,
          'enable.auto.commit': false,
        },
        {},
      );
      handle = new Promise<RdKafka.KafkaConsumer>((resolve, reject) =>
        c.connect({ timeout: this.timeoutMs }, (err) =>
          err
            ? reject(new Error(`librdkafka consumer of group ${groupId}: ${err.message}`))
            : resolve(c),
        ),
      );
      // a failed connect is retried by the next call
      handle.catch(() => this.groups.delete(groupId));
      this.groups.set(groupId, handle);
    }
    return handle;
  }

  idempotentProducer(): Promise<IdempotentProducer> {
    return this.fallback.idempotentProducer();
  }

  committedOffset(groupId: string, topic: string, partition: number): Promise<string | null> {
    return this.fallback.committedOffset(groupId, topic, partition);
  }

  async close(): Promise<void> {
    const groups = [...this.groups.values()];
    this.groups.clear();
    await Promise.all(
      groups.map((g) =>
        g.then(
          (c) => new Promise<void>((resolve) => c.disconnect(() => resolve())),
          () => undefined,
        ),
      ),
    );
    await this.fallback.close();
  }
}

export type TransportClient = 'auto' | 'librdkafka' | 'kafkajs';

/**
 * The transport's Kafka I/O for `client`: librdkafka if asked (failing if it cannot load), kafkajs
 * if asked, and in `auto` librdkafka when its binding loads, else kafkajs with the reason.
 */
export function createTransportIo(
  kafka: Kafka,
  brokers: readonly string[] | undefined,
  client: TransportClient,
  opts: RdKafkaTransportIoOptions = {},
): { io: TransportIo; client: 'librdkafka' | 'kafkajs'; fallbackReason?: string } {
  const { value, ...chosen } = chooseKafkaClient<TransportIo>(
    client,
    () => {
      if (!brokers || brokers.length === 0)
        throw new NativeKafkaUnavailableError(
          'librdkafka transport: no broker list (create the client with createKafka)',
        );
      return new RdKafkaTransportIo(kafka, brokers, opts);
    },
    () => new KafkaTransportIo(kafka, opts.transactionTimeoutMs),
  );
  return { io: value, ...chosen };
}
