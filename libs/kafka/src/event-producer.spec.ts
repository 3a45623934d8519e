import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Kafka, ProducerBatch } from 'kafkajs';
import { createLogger } from '@storepulse/observability';
import {
  KafkaEventProducer,
  ProduceTimeoutError,
  ProducerBusyError,
  ProducerClosedError,
} from './event-producer';

/** A kafkajs stand-in whose sendBatch calls are resolved by the test. */
function fakeKafka() {
  const batches: { batch: ProducerBatch; lane: number; ack(): void; fail(e: Error): void }[] = [];
  const producerOpts: unknown[] = [];
  const makeProducer = (lane: number) => {
    const handlers = new Map<string, () => void>();
    return {
      events: { CONNECT: 'producer.connect', DISCONNECT: 'producer.disconnect' },
      on: (e: string, h: () => void) => handlers.set(e, h),
      connect: () => {
        handlers.get('producer.connect')?.();
        return Promise.resolve();
      },
      disconnect: () => {
        handlers.get('producer.disconnect')?.();
        return Promise.resolve();
      },
      sendBatch: (batch: ProducerBatch) =>
        new Promise<void>((resolve, reject) =>
          batches.push({ batch, lane, ack: resolve, fail: reject }),
        ),
    };
  };
  const kafka = {
    producer: (o: unknown) => {
      producerOpts.push(o);
      return makeProducer(producerOpts.length - 1);
    },
  } as unknown as Kafka;
  return { kafka, batches, producerOpts };
}
const tick = () => new Promise((r) => setImmediate(r));
const logger = createLogger('silent');
const rec = (topic: string, value: string) => ({ topic, key: 'k', value });

describe('KafkaEventProducer', () => {
  it('is idempotent with acks=all and one request in flight', async () => {
    const f = fakeKafka();
    const p = new KafkaEventProducer(f.kafka, { maxPendingBytes: 1 << 20, logger });
    assert.deepEqual(
      { ...(f.producerOpts[0] as object), createPartitioner: undefined },
      {
        idempotent: true,
        maxInFlightRequests: 1,
        retry: { retries: Number.MAX_SAFE_INTEGER },
        createPartitioner: undefined,
      },
    );
    const s = p.send([rec('a', '1')], 1000);
    await tick();
    assert.equal(f.batches[0].batch.acks, -1);
    f.batches[0].ack();
    await s;
    assert.equal(p.connected(), true);
  });

  it('coalesces the sends that arrive while a request is in flight, and resolves each only when acked', async () => {
    const f = fakeKafka();
    const p = new KafkaEventProducer(f.kafka, { maxPendingBytes: 1 << 20, logger });
    const first = p.send([rec('a', '1')], 5000);
    await tick();
    let done2 = false;
    const second = p.send([rec('a', '2'), rec('b', '3')], 5000).then(() => (done2 = true));
    const third = p.send([rec('b', '4')], 5000);
    await tick();
    assert.equal(f.batches.length, 1, 'second request waits for the first');
    f.batches[0].ack();
    await first;
    await tick();
    assert.equal(f.batches.length, 2);
    assert.deepEqual(
      f.batches[1].batch.topicMessages?.map((t) => [t.topic, t.messages.map((m) => m.value)]),
      [
        ['a', ['2']],
        ['b', ['3', '4']],
      ],
    );
    assert.equal(done2, false);
    f.batches[1].ack();
    await Promise.all([second, third]);
  });

  it('a failed request fails every send in it', async () => {
    const f = fakeKafka();
    const p = new KafkaEventProducer(f.kafka, { maxPendingBytes: 1 << 20, logger });
    const s = p.send([rec('a', '1')], 5000);
    await tick();
    f.batches[0].fail(new Error('NOT_ENOUGH_REPLICAS'));
    await assert.rejects(s, /NOT_ENOUGH_REPLICAS/);
  });

  it('past the deadline: ProduceTimeoutError, and records not yet handed to Kafka are withdrawn', async () => {
    const f = fakeKafka();
    const p = new KafkaEventProducer(f.kafka, { maxPendingBytes: 1 << 20, logger });
    const blocking = p.send([rec('a', 'slow')], 10_000);
    await tick();
    const late = p.send([rec('a', 'withdrawn')], 50);
    await assert.rejects(late, ProduceTimeoutError);
    f.batches[0].ack();
    await blocking;
    await tick();
    assert.equal(f.batches.length, 1, 'the withdrawn record was never sent');
  });

  it('too much pending: ProducerBusyError at once; after close: ProducerClosedError', async () => {
    const f = fakeKafka();
    const p = new KafkaEventProducer(f.kafka, { maxPendingBytes: 10, logger });
    const a = p.send([rec('a', '12345678')], 5000);
    await assert.rejects(p.send([rec('a', '12345678')], 5000), ProducerBusyError);
    await tick();
    const closing = p.close(5000);
    await assert.rejects(p.send([rec('a', 'x')], 5000), ProducerClosedError);
    f.batches[0].ack();
    await a;
    await closing;
    assert.equal(p.connected(), false);
  });

  it('close waits for the in-flight request, at most its timeout', async () => {
    const f = fakeKafka();
    const p = new KafkaEventProducer(f.kafka, { maxPendingBytes: 1 << 20, logger });
    void p.send([rec('a', '1')], 10_000).catch(() => undefined);
    await tick();
    const t0 = Date.now();
    await p.close(100);
    assert.ok(Date.now() - t0 >= 90);
  });

  it('with several producers, a request goes out while another is in flight; each producer is idempotent', async () => {
    const f = fakeKafka();
    const stats: { records: number; ok: boolean }[] = [];
    const p = new KafkaEventProducer(f.kafka, {
      maxPendingBytes: 1 << 20,
      producers: 2,
      onRequest: (r) => stats.push({ records: r.records, ok: r.ok }),
      logger,
    });
    assert.equal(f.producerOpts.length, 2);
    for (const o of f.producerOpts)
      assert.deepEqual(
        { ...(o as object), createPartitioner: undefined, retry: undefined },
        {
          idempotent: true,
          maxInFlightRequests: 1,
          createPartitioner: undefined,
          retry: undefined,
        },
      );
    const a = p.send([rec('a', '1')], 5000);
    await tick();
    const b = p.send([rec('a', '2')], 5000);
    await tick();
    const c = p.send([rec('a', '3')], 5000);
    await tick();
    assert.deepEqual(
      f.batches.map((x) => x.lane),
      [0, 1],
      'the second send did not wait for the first; the third waits for a free producer',
    );
    f.batches[1].ack();
    await b;
    await tick();
    assert.equal(f.batches.length, 3);
    assert.equal(f.batches[2].lane, 1);
    assert.deepEqual(
      f.batches[2].batch.topicMessages?.map((t) => t.messages.map((m) => m.value)),
      [['3']],
    );
    f.batches[0].ack();
    f.batches[2].ack();
    await Promise.all([a, c]);
    assert.deepEqual(stats, [
      { records: 1, ok: true },
      { records: 1, ok: true },
      { records: 1, ok: true },
    ]);
  });

  it('a send larger than maxBatchBytes stays on one producer, in order, while others take the next sends', async () => {
    const f = fakeKafka();
    const p = new KafkaEventProducer(f.kafka, {
      maxPendingBytes: 1 << 20,
      maxBatchBytes: 6,
      producers: 2,
      logger,
    });
    // each record is 1 (key) + 2 bytes: two per request
    const big = p.send(
      ['01', '02', '03', '04', '05'].map((v) => rec('a', v)),
      5000,
    );
    const small = p.send([rec('b', '99')], 5000);
    await tick();
    const values = (i: number) =>
      f.batches[i].batch.topicMessages?.flatMap((t) => t.messages.map((m) => m.value));
    assert.equal(f.batches.length, 2);
    assert.deepEqual([f.batches[0].lane, values(0)], [0, ['01', '02']]);
    assert.deepEqual(
      [f.batches[1].lane, values(1)],
      [1, ['99']],
      'the next send, on the free producer',
    );
    const third = p.send([rec('c', '77')], 5000);
    f.batches[0].ack();
    await tick();
    assert.deepEqual(
      [f.batches[2].lane, values(2)],
      [0, ['03', '04']],
      'the rest of the big send first',
    );
    f.batches[2].ack();
    await tick();
    assert.deepEqual([f.batches[3].lane, values(3)], [0, ['05']]);
    f.batches[3].ack();
    await big;
    await tick();
    assert.deepEqual([f.batches[4].lane, values(4)], [0, ['77']]);
    f.batches[1].ack();
    f.batches[4].ack();
    await Promise.all([small, third]);
  });
});
