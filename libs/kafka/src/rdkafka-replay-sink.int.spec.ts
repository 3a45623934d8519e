import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Partitioners, type Kafka, type PartitionMetadata } from 'kafkajs';
import { createTopicsReady, readExpected, testKafka } from '../../../test/support/kafka';
import { testBrokers } from '../../../test/support/env';
import {
  appendedRanges,
  KafkaReplaySink,
  type PartitionRange,
  type ReplayMessage,
} from './replay-producer';
import { createReplaySink, RdKafkaReplaySink } from './rdkafka-replay-sink';

/**
 * The librdkafka import sink against the real broker: everything acknowledged is on the topics once,
 * each key on the partition kafkajs' default partitioner gives it (as the live producers), in send
 * order per partition, with the replay headers; the log-end ranges cover exactly what it appended;
 * a topic that does not exist fails the send with its name.
 */
describe('RdKafkaReplaySink (real broker)', () => {
  let kafka: Kafka;
  const run = randomUUID().slice(0, 8);
  const topics = [`rdk-replay-a-${run}`, `rdk-replay-b-${run}`];
  const partitionsOf = new Map<string, PartitionMetadata[]>();

  before(async () => {
    kafka = testKafka();
    const admin = kafka.admin();
    await admin.connect();
    try {
      await createTopicsReady(admin, [
        { topic: topics[0], numPartitions: 3 },
        { topic: topics[1], numPartitions: 5 },
      ]);
      for (const t of (await admin.fetchTopicMetadata({ topics })).topics)
        partitionsOf.set(
          t.name,
          [...t.partitions].sort((a, b) => a.partitionId - b.partitionId),
        );
    } finally {
      await admin.disconnect();
    }
  });

  after(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  });

  it('stores every message once, on the Java/kafkajs partition of its key, in order, with the headers', async () => {
    const N = 12_000;
    const messages: ReplayMessage[] = Array.from({ length: N }, (_, i) => ({
      topic: topics[i % 7 === 0 ? 1 : 0],
      key: `user-${i % 997}`,
      value: Buffer.from(JSON.stringify({ seq: i })),
    }));
    const sink = new RdKafkaReplaySink(kafka, testBrokers());
    let ranges: PartitionRange[];
    try {
      const before = await sink.logEnds(topics);
      // three sends in flight, as the import runs them
      const sends: Promise<void>[] = [];
      for (let i = 0; i < N; i += 2_500)
        sends.push(sink.send(messages.slice(i, i + 2_500), { 'x-replay': '1', source: 'test' }));
      await Promise.all(sends);
      ranges = appendedRanges(before, await sink.logEnds(topics));
    } finally {
      await sink.close();
    }
    const partitioner = Partitioners.DefaultPartitioner();
    for (const topic of topics) {
      const sent = messages.filter((m) => m.topic === topic);
      const got = await readExpected(kafka, topic, sent.length, { settleMs: 500 });
      assert.equal(got.length, sent.length, `${topic}: one record per message, none doubled`);
      const seqs = got.map((r) => (JSON.parse(r.value?.toString() ?? '{}') as { seq: number }).seq);
      assert.equal(new Set(seqs).size, sent.length);
      const byPartition = new Map<number, number[]>();
      for (const [j, r] of got.entries()) {
        const m = messages[seqs[j]];
        const expected = partitioner({
          topic,
          partitionMetadata: partitionsOf.get(topic) ?? [],
          message: { key: m.key, value: m.value },
        });
        assert.equal(r.partition, expected, `${m.key} on its murmur2 partition`);
        assert.deepEqual(r.headers, { 'x-replay': '1', source: 'test' });
        assert.equal(r.key, m.key);
        byPartition.set(r.partition, [...(byPartition.get(r.partition) ?? []), seqs[j]]);
      }
      for (const [p, s] of byPartition)
        assert.deepEqual(
          s,
          [...s].sort((a, b) => a - b),
          `${topic}[${p}] in send order`,
        );
      const appended = ranges
        .filter((r) => r.topic === topic)
        .reduce((n, r) => n + Number(BigInt(r.high) - BigInt(r.low)), 0);
      assert.equal(appended, sent.length, `${topic}: the ranges hold exactly what was sent`);
    }
  });

  it('fails a send to a topic that does not exist at once, naming it', async () => {
    const sink = new RdKafkaReplaySink(kafka, testBrokers());
    const missing = `rdk-replay-missing-${run}`;
    const t0 = Date.now();
    try {
      await assert.rejects(
        sink.send([{ topic: missing, key: 'k', value: Buffer.from('{}') }], {}),
        (e: unknown) => e instanceof Error && e.message.includes(`${missing} not found`),
      );
      assert.ok(Date.now() - t0 < 5_000, 'without retrying for the metadata');
    } finally {
      await sink.close();
    }
  });

  it('createReplaySink: kafkajs when asked, librdkafka when asked or in auto (provisioned here)', async () => {
    const js = createReplaySink(kafka, testBrokers(), 'kafkajs', 2);
    assert.equal(js.client, 'kafkajs');
    assert.ok(js.sink instanceof KafkaReplaySink);
    const auto = createReplaySink(kafka, testBrokers(), 'auto', 2);
    assert.equal(auto.client, 'librdkafka', auto.fallbackReason);
    assert.ok(auto.sink instanceof RdKafkaReplaySink);
    await Promise.all([js.sink.close(), auto.sink.close()]);
  });
});
