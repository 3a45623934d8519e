import { Kafka, logLevel, type Admin, type Message } from 'kafkajs';
import { TOPIC_SPECS, topicConfigEntries } from '@storepulse/contracts';
import { testBrokers } from './env';

export function testKafka(): Kafka {
  return new Kafka({
    clientId: 'storepulse-test',
    brokers: testBrokers(),
    logLevel: logLevel.ERROR,
  });
}

/** Deletes and recreates the storefront topics so a test starts from empty logs. */
export async function resetStorefrontTopics(kafka: Kafka, partitions = 3): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const names = TOPIC_SPECS.map((t) => t.name);
    const existing = new Set(await admin.listTopics());
    const toDelete = names.filter((n) => existing.has(n));
    if (toDelete.length > 0) {
      await admin.deleteTopics({ topics: toDelete, timeout: 30_000 });
      await waitFor(
        async () => {
          const now = new Set(await admin.listTopics());
          return toDelete.every((n) => !now.has(n));
        },
        30_000,
        'topics deleted',
      );
    }
    await createTopicsReady(
      admin,
      TOPIC_SPECS.map((s) => ({
        topic: s.name,
        numPartitions: partitions,
        // the size limits of production (the DLQ's 2 MiB); compaction is left to ensureTopics
        configEntries: topicConfigEntries(s).filter((c) => c.name === 'max.message.bytes'),
      })),
    );
  } finally {
    await admin.disconnect();
  }
}

/**
 * Creates topics and waits until their metadata shows every partition. A broker that has just
 * started (or is busy) can answer UNKNOWN_TOPIC_OR_PARTITION for a while: retried for 30 s.
 */
export async function createTopicsReady(
  admin: Admin,
  topics: {
    topic: string;
    numPartitions: number;
    configEntries?: { name: string; value: string }[];
  }[],
): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: topics.map((t) => ({ ...t, replicationFactor: 1 })),
      });
      const md = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.topic) });
      if (
        md.topics.every(
          (t) => t.partitions.length === topics.find((x) => x.topic === t.name)?.numPartitions,
        )
      )
        return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

export async function produce(kafka: Kafka, topic: string, messages: Message[]): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    // ≤ 2,000 messages and ≤ 768 KiB per request: a record batch must stay under the broker's 1 MiB
    let batch: Message[] = [];
    let bytes = 0;
    for (const m of messages) {
      const size = (m.value?.length ?? 0) + (m.key?.length ?? 0) + 64;
      if (batch.length > 0 && (batch.length >= 2000 || bytes + size > 768 * 1024)) {
        await producer.send({ topic, acks: -1, messages: batch });
        batch = [];
        bytes = 0;
      }
      batch.push(m);
      bytes += size;
    }
    if (batch.length > 0) await producer.send({ topic, acks: -1, messages: batch });
  } finally {
    await producer.disconnect();
  }
}

/** Reads every message currently in `topic` (from the beginning up to the end offsets at call time). */
export async function readAll(kafka: Kafka, topic: string, timeoutMs = 30_000) {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const target = new Map(ends.map((e) => [e.partition, BigInt(e.high)]));
  const out: {
    partition: number;
    offset: string;
    key: Buffer | null;
    value: Buffer | null;
    headers: Record<string, string>;
  }[] = [];
  if ([...target.values()].every((v) => v === 0n)) return out;
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${Date.now()}-${Math.random()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`readAll(${topic}) timed out with ${out.length} messages`)),
      timeoutMs,
    );
    const seen = new Map<number, bigint>();
    void consumer.run({
      eachMessage: ({ partition, message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {}))
          headers[k] = Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
        out.push({
          partition,
          offset: message.offset,
          key: message.key,
          value: message.value,
          headers,
        });
        seen.set(partition, BigInt(message.offset) + 1n);
        if ([...target.entries()].every(([p, end]) => end === 0n || (seen.get(p) ?? 0n) >= end)) {
          clearTimeout(timer);
          resolve();
        }
        return Promise.resolve();
      },
    });
  });
  try {
    await done;
  } finally {
    await consumer.disconnect();
  }
  return out;
}

export async function waitFor(
  cond: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
  intervalMs = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export interface ReadRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/**
 * Reads `topic` from the beginning with a fresh group until `expected` messages arrived, then keeps
 * reading for `settleMs` (default 1.5 s) so that extra (duplicate) records are seen too. Reads
 * `read_committed` unless `readUncommitted` (records of aborted transactions included). Unlike
 * readAll it does not stop at the end offsets, which transaction markers make unreachable.
 */
export async function readExpected(
  kafka: Kafka,
  topic: string,
  expected: number,
  opts: { readUncommitted?: boolean; settleMs?: number; timeoutMs?: number } = {},
): Promise<ReadRecord[]> {
  const out: ReadRecord[] = [];
  const readUncommitted = opts.readUncommitted ?? false;
  const consumer = kafka.consumer({
    groupId: `reader-${topic}-${readUncommitted}-${Date.now()}-${Math.random()}`,
    readUncommitted,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ partition, message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {}))
        headers[k] = Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
      out.push({
        partition,
        offset: message.offset,
        key: message.key?.toString('utf8') ?? null,
        value: message.value,
        headers,
      });
      return Promise.resolve();
    },
  });
  try {
    await waitFor(
      () => Promise.resolve(out.length >= expected),
      opts.timeoutMs ?? 30_000,
      `${expected} messages in ${topic} (got ${out.length})`,
    );
    await new Promise((r) => setTimeout(r, opts.settleMs ?? 1500));
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/** Waits until `groupId` has committed the end offset of every partition of `topic`. */
export async function waitGroupAtEnd(
  admin: Admin,
  groupId: string,
  topic: string,
  timeoutMs = 60_000,
): Promise<void> {
  await waitFor(
    async () => {
      const ends = await admin.fetchTopicOffsets(topic);
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return ends.every(
        (e) => committed?.partitions.find((p) => p.partition === e.partition)?.offset === e.high,
      );
    },
    timeoutMs,
    `group ${groupId} committed the end of ${topic}`,
    500,
  );
}
