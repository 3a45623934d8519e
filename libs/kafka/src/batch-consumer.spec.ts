import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EachBatchPayload, Kafka } from 'kafkajs';
import { createLogger, PipelineMetrics } from '@storepulse/observability';
import {
  BatchConsumer,
  lostMembership,
  batchConsumerConfig,
  type BatchHandler,
  type BatchResult,
} from './batch-consumer';
import { KAFKA_CLIENT_RETRY } from './client';

/** A kafkajs stand-in that records commits and hands us the eachBatch callback. */
function fakeKafka() {
  const commits: { topic: string; partition: number; offset: string }[] = [];
  const resolved: string[] = [];
  let eachBatch: ((p: EachBatchPayload) => Promise<void>) | undefined;
  const consumer = {
    events: { GROUP_JOIN: 'join', CRASH: 'crash' },
    on: () => undefined,
    connect: () => Promise.resolve(),
    subscribe: () => Promise.resolve(),
    run: (o: { eachBatch: (p: EachBatchPayload) => Promise<void> }) => {
      eachBatch = o.eachBatch;
      return Promise.resolve();
    },
    commitOffsets: (c: { topic: string; partition: number; offset: string }[]) => {
      commits.push(...c);
      return Promise.resolve();
    },
    disconnect: () => Promise.resolve(),
  };
  const kafka = { consumer: () => consumer } as unknown as Kafka;
  const payload = (running: () => boolean): EachBatchPayload =>
    ({
      batch: {
        topic: 't',
        partition: 0,
        messages: [{ offset: '5' }, { offset: '6' }],
        highWatermark: '7',
        isEmpty: () => false,
        firstOffset: () => '5',
        lastOffset: () => '6',
      },
      heartbeat: () => Promise.resolve(),
      isRunning: running,
      isStale: () => false,
      resolveOffset: (o: string) => {
        resolved.push(o);
      },
    }) as unknown as EachBatchPayload;
  return { kafka, commits, resolved, run: (p: EachBatchPayload) => eachBatch!(p), payload };
}

const opts = {
  groupId: 'g',
  topics: ['t'],
  partitionsConcurrency: 1,
  maxBytesPerPartition: 1 << 20,
  retryMaxMs: 20,
  stallTimeoutMs: 50,
  drainTimeoutMs: 1000,
  logger: createLogger('silent'),
  metrics: new PipelineMetrics(false),
};

describe('BatchConsumer', () => {
  it('commits the handler offset only after the handler resolved', async () => {
    const f = fakeKafka();
    const handler: BatchHandler = { handleBatch: () => Promise.resolve({ commitOffset: '7' }) };
    const c = new BatchConsumer(f.kafka, opts, handler);
    await c.start();
    await f.run(f.payload(() => true));
    assert.deepEqual(f.commits, [{ topic: 't', partition: 0, offset: '7' }]);
    assert.equal(c.health().stalled, false);
  });

  it('retries transient failures with backoff, never committing before success', async () => {
    const f = fakeKafka();
    let calls = 0;
    const handler: BatchHandler = {
      handleBatch: (): Promise<BatchResult> =>
        ++calls < 3
          ? Promise.reject(new Error('ClickHouse down'))
          : Promise.resolve({ commitOffset: '7' }),
    };
    const c = new BatchConsumer(f.kafka, opts, handler);
    await c.start();
    await f.run(f.payload(() => true));
    assert.equal(calls, 3);
    assert.deepEqual(
      f.commits.map((x) => x.offset),
      ['7'],
    );
    assert.equal(c.health().consecutiveFailures, 0);
  });

  it('reports stalled when a batch is in flight longer than the stall timeout, and stops retrying on shutdown', async () => {
    const f = fakeKafka();
    let running = true;
    const handler: BatchHandler = { handleBatch: () => Promise.reject(new Error('still down')) };
    const c = new BatchConsumer(f.kafka, opts, handler);
    await c.start();
    const inFlight = f.run(f.payload(() => running));
    await new Promise((r) => setTimeout(r, 120));
    const h = c.health();
    assert.equal(h.inFlight, 1);
    assert.equal(h.stalled, true);
    assert.match(h.lastError ?? '', /still down/);
    running = false;
    await inFlight;
    assert.equal(f.commits.length, 0, 'nothing committed for a batch never stored');
  });

  it('stop() ends a retry backoff at once even when the engine still reports running (librdkafka)', async () => {
    const f = fakeKafka();
    const handler: BatchHandler = {
      handleBatch: () => Promise.reject(new Error('no champion yet')),
    };
    // librdkafka's KafkaJS layer keeps isRunning() true during disconnect, and its disconnect
    // waits for the batch in flight: only the consumer's own flag can end the backoff.
    const c = new BatchConsumer(f.kafka, { ...opts, retryMaxMs: 60_000 }, handler);
    await c.start();
    const inFlight = f.run(f.payload(() => true));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(c.health().inFlight, 1);
    const t0 = Date.now();
    const stopped = c.stop();
    const ended = await Promise.race([
      inFlight.then(() => 'ended' as const),
      new Promise<'still retrying'>((r) => setTimeout(() => r('still retrying'), 2000).unref()),
    ]);
    assert.equal(ended, 'ended');
    assert.deepEqual(await stopped, { drained: true });
    assert.ok(Date.now() - t0 < 800, `backoff ended ${Date.now() - t0} ms after stop()`);
    assert.equal(c.health().inFlight, 0);
    assert.equal(f.commits.length, 0, 'a batch never handled is not committed');
  });

  it('resolves, but does not commit, an offset the handler committed itself', async () => {
    const f = fakeKafka();
    const handler: BatchHandler = {
      handleBatch: () => Promise.resolve({ commitOffset: null, committedOffset: '7' }),
    };
    const c = new BatchConsumer(f.kafka, opts, handler);
    await c.start();
    await f.run(f.payload(() => true));
    assert.deepEqual(f.commits, []);
    assert.deepEqual(f.resolved, ['6']);
    assert.notEqual(c.health().lastCommitAt, null);
  });

  it('resolves nothing for commitOffset null without committedOffset', async () => {
    const f = fakeKafka();
    const handler: BatchHandler = { handleBatch: () => Promise.resolve({ commitOffset: null }) };
    const c = new BatchConsumer(f.kafka, opts, handler);
    await c.start();
    await f.run(f.payload(() => true));
    assert.deepEqual([f.commits, f.resolved], [[], []]);
    assert.equal(c.health().lastCommitAt, null);
  });

  it('keeps the client-wide retry cap and retries 30 times (kafkajs defaults a consumer to 5)', () => {
    // kafkajs merges the consumer's retry over the client's (KAFKA_CLIENT_RETRY, capped at
    // BROKER_RETRY_MAX_MS): a maxRetryTime here would only repeat it
    assert.deepEqual(batchConsumerConfig(opts).retry, { retries: KAFKA_CLIENT_RETRY.retries });
  });

  it('names the group and the missing broker list when librdkafka is asked without a createKafka client', () => {
    const f = fakeKafka();
    const handler: BatchHandler = { handleBatch: () => Promise.resolve({ commitOffset: null }) };
    assert.throws(
      () => new BatchConsumer(f.kafka, { ...opts, client: 'librdkafka' }, handler),
      /BatchConsumer\(group .+\): the librdkafka consumer needs a client of createKafka/,
    );
    assert.equal(new BatchConsumer(f.kafka, opts, handler).client, 'kafkajs');
  });

  it('reads committed records only unless asked otherwise', () => {
    assert.equal(batchConsumerConfig(opts).readUncommitted, false);
    assert.equal(batchConsumerConfig({ ...opts, readUncommitted: true }).readUncommitted, true);
  });
});

describe('lostMembership', () => {
  it('recognises kafkajs membership errors through their cause chain, and nothing else', () => {
    const protocol = Object.assign(new Error('The coordinator is not aware of this member'), {
      type: 'UNKNOWN_MEMBER_ID',
    });
    const wrapped = Object.assign(new Error('retries exhausted'), { cause: protocol });
    assert.equal(lostMembership(wrapped), true);
    assert.equal(
      lostMembership(Object.assign(new Error('x'), { type: 'REBALANCE_IN_PROGRESS' })),
      true,
    );
    assert.equal(lostMembership(Object.assign(new Error('x'), { type: 'NOT_COORDINATOR' })), false);
    assert.equal(lostMembership(new Error('ClickHouse down')), false);
  });
});
