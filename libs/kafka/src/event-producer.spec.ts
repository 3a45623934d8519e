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
  const batches: { batch: ProducerBatch; ack(): void; fail(e: Error): void }[] = [];
  const handlers = new Map<string, () => void>();
  const producerOpts: unknown[] = [];
  const producer = {
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
      new Promise<void>((resolve, reject) => batches.push({ batch, ack: resolve, fail: reject })),
  };
  const kafka = {
    producer: (o: unknown) => {
      producerOpts.push(o);
      return producer;
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
});
