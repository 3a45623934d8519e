import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Kafka, ProducerBatch } from 'kafkajs';
import { KafkaReplaySink } from './replay-producer';

/** A kafkajs stand-in: 3 partitions per topic; sendBatch calls are resolved by the test. */
function fakeKafka() {
  const requests: { lane: number; batch: ProducerBatch; ack(): void; fail(e: Error): void }[] = [];
  const opts: unknown[] = [];
  const kafka = {
    producer: (o: unknown) => {
      const lane = opts.push(o) - 1;
      return {
        connect: () => Promise.resolve(),
        disconnect: () => Promise.resolve(),
        sendBatch: (batch: ProducerBatch) =>
          new Promise((resolve, reject) =>
            requests.push({ lane, batch, ack: () => resolve([]), fail: reject }),
          ),
      };
    },
    admin: () => ({
      connect: () => Promise.resolve(),
      disconnect: () => Promise.resolve(),
      listTopics: () => Promise.resolve(['t']),
      fetchTopicOffsets: () => Promise.resolve([0, 1, 2].map((p) => ({ partition: p, high: '0' }))),
      fetchTopicMetadata: ({ topics }: { topics: string[] }) =>
        Promise.resolve({
          topics: topics.map((name) => ({
            name,
            partitions: [2, 0, 1].map((partitionId) => ({
              partitionId,
              leader: 1,
              partitionErrorCode: 0,
              replicas: [1],
              isr: [1],
            })),
          })),
        }),
    }),
  } as unknown as Kafka;
  return { kafka, requests, opts };
}
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};
const msgs = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => ({
    topic: 't',
    key: `user-${(from + i) % 50}`,
    value: Buffer.from(String(from + i)),
  }));
/** Values per partition, in the order of the requests. */
function perPartition(requests: { batch: ProducerBatch }[]): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const r of requests)
    for (const t of r.batch.topicMessages ?? [])
      for (const m of t.messages) {
        const p = m.partition ?? -1;
        out.set(p, [...(out.get(p) ?? []), String(m.value)]);
      }
  return out;
}

describe('KafkaReplaySink', () => {
  it('several idempotent producers, each owning partitions p % n; every partition in call order across overlapping sends', async () => {
    const f = fakeKafka();
    const sink = new KafkaReplaySink(f.kafka, { producers: 2 });
    assert.equal(f.opts.length, 2);
    for (const o of f.opts)
      assert.equal((o as { idempotent: boolean; maxInFlightRequests: number }).idempotent, true);
    const headers = { 'storepulse-replay': '1' };
    const first = sink.send(msgs(0, 30), headers);
    const second = sink.send(msgs(30, 60), headers); // before the first is acknowledged
    await settle();
    assert.deepEqual(
      f.requests.map((r) => r.lane).sort(),
      [0, 1],
      'one request per producer in flight; the second send waits on each producer',
    );
    for (const r of f.requests) {
      assert.equal(r.batch.acks, -1);
      for (const t of r.batch.topicMessages ?? [])
        for (const m of t.messages) {
          assert.equal((m.partition ?? -1) % 2, r.lane, 'the partition belongs to the producer');
          assert.deepEqual(m.headers, headers);
        }
    }
    for (let round = 0; round < 2; round++) {
      for (const r of f.requests.slice(round * 2)) r.ack();
      await settle();
    }
    await Promise.all([first, second]);
    assert.equal(f.requests.length, 4);
    // the same key always on the same partition, and each partition's values in file order
    const parts = perPartition(f.requests);
    assert.deepEqual([...parts.keys()].sort(), [0, 1, 2]);
    for (const values of parts.values())
      assert.deepEqual(
        values,
        [...values].sort((a, b) => Number(a) - Number(b)),
      );
    const all = [...parts.values()].flat().sort((a, b) => Number(a) - Number(b));
    assert.deepEqual(
      all,
      Array.from({ length: 60 }, (_, i) => String(i)),
    );
  });

  it('after a failed request, later sends fail too (nothing lands after a gap)', async () => {
    const f = fakeKafka();
    const sink = new KafkaReplaySink(f.kafka, { producers: 2 });
    const first = assert.rejects(sink.send(msgs(0, 30), {}), /NOT_ENOUGH_REPLICAS/);
    const second = assert.rejects(sink.send(msgs(30, 60), {}), /NOT_ENOUGH_REPLICAS/);
    await settle();
    f.requests[0].fail(new Error('NOT_ENOUGH_REPLICAS'));
    await settle();
    f.requests[1].ack(); // the other producer's request of the first send lands
    await Promise.all([first, second]);
    await assert.rejects(sink.send(msgs(60, 61), {}), /NOT_ENOUGH_REPLICAS/);
    await settle();
    assert.equal(f.requests.length, 2, 'nothing was sent after the failure');
  });
});
