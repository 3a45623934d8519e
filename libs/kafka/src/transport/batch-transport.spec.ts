// Unit tests of the batch transport: record helpers, the per-partition transactional delivery with a
// fake Kafka I/O port, and the Nest handler lookup of BatchTransport.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Kafka, KafkaMessage, TopicMessages } from 'kafkajs';
import { lastValueFrom, of, throwError } from 'rxjs';
import type { ArgumentsHost } from '@nestjs/common';
import { DLQ_HEADERS } from '@storepulse/contracts';
import { createLogger, PipelineMetrics } from '@storepulse/observability';
import type { PartitionBatch } from '../batch-consumer';
import { TransportBatchHandler, type BatchFn } from './batch-processor';
import { BatchTransport, type BatchTransportOptions } from './batch-transport';
import type { TransportIo } from './io';
import { PassThroughRpcErrors } from './pass-through-errors';
import { deadLetterRecord, decodeHeaders, toInboundMessage, toTopicMessages } from './records';
import type { BatchOutput, InboundBatch, InboundMessage } from './types';

type Call =
  | { op: 'connect'; id: string }
  | { op: 'send'; id: string; topicMessages: TopicMessages[] }
  | {
      op: 'sendOffsets';
      id: string;
      groupId: string;
      topic: string;
      partition: number;
      offset: string;
    }
  | { op: 'commit' | 'abort' | 'disconnect' | 'begin'; id: string };

/** A TransportIo that records every call; failures can be injected per operation. */
function fakeIo(committed: Record<string, string | null> = {}) {
  const calls: Call[] = [];
  const fail = { commit: 0, abort: 0, sendOffsets: 0 };
  let offsetReads = 0;
  let producersCreated = 0;
  const io: TransportIo = {
    transactionalProducer: (id) => {
      producersCreated++;
      calls.push({ op: 'connect', id });
      return Promise.resolve({
        begin: () => {
          calls.push({ op: 'begin', id });
          return Promise.resolve({
            send: (topicMessages) => {
              calls.push({ op: 'send', id, topicMessages });
              return Promise.resolve();
            },
            sendOffsets: (groupId, topic, partition, offset) => {
              calls.push({ op: 'sendOffsets', id, groupId, topic, partition, offset });
              if (fail.sendOffsets > 0 && fail.sendOffsets--)
                return Promise.reject(new Error('TxnOffsetCommit: coordinator gone'));
              return Promise.resolve();
            },
            commit: () => {
              calls.push({ op: 'commit', id });
              if (fail.commit > 0 && fail.commit--)
                return Promise.reject(new Error('coordinator gone'));
              return Promise.resolve();
            },
            abort: () => {
              calls.push({ op: 'abort', id });
              if (fail.abort > 0 && fail.abort--)
                return Promise.reject(new Error('PRODUCER_FENCED'));
              return Promise.resolve();
            },
          });
        },
        disconnect: () => {
          calls.push({ op: 'disconnect', id });
          return Promise.resolve();
        },
      });
    },
    idempotentProducer: () => {
      calls.push({ op: 'connect', id: 'idempotent' });
      return Promise.resolve({
        send: (topicMessages) => {
          calls.push({ op: 'send', id: 'idempotent', topicMessages });
          return Promise.resolve();
        },
        disconnect: () => {
          calls.push({ op: 'disconnect', id: 'idempotent' });
          return Promise.resolve();
        },
      });
    },
    committedOffset: (_g, topic, partition) => {
      offsetReads++;
      return Promise.resolve(committed[`${topic}:${partition}`] ?? null);
    },
    close: () => Promise.resolve(),
  };
  return {
    io,
    calls,
    fail,
    ops: (id?: string) => calls.filter((c) => id === undefined || c.id === id).map((c) => c.op),
    offsetReads: () => offsetReads,
    producersCreated: () => producersCreated,
  };
}

function kmsg(offset: number, value: string, key = `k${offset}`): KafkaMessage {
  return {
    offset: String(offset),
    key: Buffer.from(key),
    value: Buffer.from(value),
    timestamp: String(1_700_000_000_000 + offset),
    attributes: 0,
    headers: { trace: Buffer.from(`t${offset}`) },
  };
}

function pbatch(topic: string, partition: number, offsets: number[]): PartitionBatch {
  const messages = offsets.map((o) => kmsg(o, `v${o}`));
  return {
    topic,
    partition,
    messages,
    lastOffset: String(offsets[offsets.length - 1]),
    highWatermark: String(offsets[offsets.length - 1] + 1),
    heartbeat: () => Promise.resolve(),
  };
}

/** Maps every message to one record on `out`, keyed by its key, valued by its value uppercased. */
const mapper =
  (seen: InboundBatch[] = []): BatchFn =>
  (b) => {
    seen.push(b);
    const out: BatchOutput = {
      records: b.messages.map((m) => ({
        topic: 'out',
        key: m.key?.toString('utf8') ?? null,
        value: (m.value?.toString('utf8') ?? '').toUpperCase(),
      })),
    };
    return Promise.resolve(out);
  };

const logger = createLogger('silent');

function handler(
  io: TransportIo,
  fns: Record<string, BatchFn>,
  mode: 'transactional' | 'after-handler' = 'transactional',
) {
  const metrics = new PipelineMetrics(false);
  const h = new TransportBatchHandler(io, new Map(Object.entries(fns)), {
    groupId: 'g',
    mode,
    transactionalIdPrefix: 'app',
    logger,
    metrics,
  });
  return { h, metrics };
}

async function counterValues(metrics: PipelineMetrics): Promise<Record<string, number>> {
  const m = await metrics.registry
    .getSingleMetric('storepulse_transport_transactions_total')
    ?.get();
  return Object.fromEntries((m?.values ?? []).map((v) => [String(v.labels.outcome), v.value]));
}

void describe('deadLetterRecord', () => {
  void it('keeps the original key, bytes and headers and adds every DLQ header', () => {
    const raw = Buffer.from([0xff, 0x00, 0x7b]);
    const msg: InboundMessage = {
      topic: 'in',
      partition: 2,
      offset: '41',
      key: Buffer.from([0xc3, 0x28]),
      value: raw,
      headers: { trace: 'abc', [DLQ_HEADERS.reason]: 'spoofed' },
      timestampMs: 1,
    };
    const failedAt = new Date('2026-12-01T10:00:00.000Z');
    const r = deadLetterRecord(msg, 'dlq', 'invalid json', ['ts', 'sku'], 'grp', failedAt);
    assert.equal(r.topic, 'dlq');
    assert.ok(Buffer.isBuffer(r.key) && r.key.equals(Buffer.from([0xc3, 0x28])));
    assert.ok(Buffer.isBuffer(r.value) && r.value.equals(raw));
    assert.deepEqual(r.headers, {
      trace: 'abc',
      [DLQ_HEADERS.sourceTopic]: 'in',
      [DLQ_HEADERS.sourcePartition]: '2',
      [DLQ_HEADERS.sourceOffset]: '41',
      [DLQ_HEADERS.reason]: 'invalid json',
      [DLQ_HEADERS.fields]: '["ts","sku"]',
      [DLQ_HEADERS.failedAt]: '2026-12-01T10:00:00.000Z',
      [DLQ_HEADERS.consumerGroup]: 'grp',
    });
  });
});

void describe('records', () => {
  void it('decodes headers as UTF-8, a repeated header keeping its last value', () => {
    assert.deepEqual(
      decodeHeaders({ a: Buffer.from('é'), b: [Buffer.from('1'), Buffer.from('2')], c: 'x' }),
      { a: 'é', b: '2', c: 'x' },
    );
    const m = toInboundMessage('t', 1, kmsg(9, 'v'));
    assert.deepEqual(
      { ...m, key: m.key?.toString(), value: m.value?.toString() },
      {
        topic: 't',
        partition: 1,
        offset: '9',
        key: 'k9',
        value: 'v',
        headers: { trace: 't9' },
        timestampMs: 1_700_000_000_009,
      },
    );
  });

  void it('groups records per topic in the handler order', () => {
    const tm = toTopicMessages(
      {
        records: [
          { topic: 'a', key: '1', value: 'x' },
          { topic: 'b', key: null, value: null, partition: 2 },
          { topic: 'a', key: '2', value: Buffer.from('y'), headers: { h: 'v' } },
        ],
      },
      'here',
    );
    assert.deepEqual(tm, [
      {
        topic: 'a',
        messages: [
          { key: '1', value: 'x' },
          { key: '2', value: Buffer.from('y'), headers: { h: 'v' } },
        ],
      },
      { topic: 'b', messages: [{ key: null, value: null, partition: 2 }] },
    ]);
  });

  void it('names the record and the field of an invalid output', () => {
    assert.throws(
      () => toTopicMessages(undefined, 'H'),
      /^Error: H: the handler must return a BatchOutput/,
    );
    assert.throws(
      () => toTopicMessages({ records: 3 }, 'H'),
      /H: BatchOutput.records must be an array, got number/,
    );
    assert.throws(
      () =>
        toTopicMessages(
          {
            records: [
              { topic: 'a', key: null, value: 'v' },
              { topic: '', key: null, value: 'v' },
            ],
          },
          'H',
        ),
      /H: BatchOutput.records\[1\].topic must be a non-empty string/,
    );
    assert.throws(
      () => toTopicMessages({ records: [{ topic: 'a', key: 5, value: 'v' }] }, 'H'),
      /records\[0\].key must be a string, a Buffer or null/,
    );
    assert.throws(
      () =>
        toTopicMessages({ records: [{ topic: 'a', key: null, value: 'v', partition: -1 }] }, 'H'),
      /records\[0\].partition must be a non-negative integer/,
    );
    assert.throws(
      () =>
        toTopicMessages(
          { records: [{ topic: 'a', key: null, value: 'v', headers: { n: 1 } }] },
          'H',
        ),
      /records\[0\].headers.n must be a string/,
    );
  });
});

void describe('TransportBatchHandler (transactional)', () => {
  void it('publishes each partition batch in a transaction of that partition’s producer, with its offsets', async () => {
    const f = fakeIo();
    const seen: InboundBatch[] = [];
    const { h, metrics } = handler(f.io, { in: mapper(seen) });
    const r0 = await h.handleBatch(pbatch('in', 0, [5, 6]));
    const r1 = await h.handleBatch(pbatch('in', 1, [0]));
    const r0b = await h.handleBatch(pbatch('in', 0, [7]));
    assert.deepEqual(r0, { commitOffset: null, committedOffset: '7' });
    assert.deepEqual(r1, { commitOffset: null, committedOffset: '1' });
    assert.deepEqual(r0b, { commitOffset: null, committedOffset: '8' });
    assert.deepEqual(f.ops('app-in-0'), [
      'connect',
      'begin',
      'sendOffsets',
      'send',
      'commit',
      'begin',
      'sendOffsets',
      'send',
      'commit',
    ]);
    assert.deepEqual(f.ops('app-in-1'), ['connect', 'begin', 'sendOffsets', 'send', 'commit']);
    const sends = f.calls.filter((c) => c.op === 'send');
    assert.deepEqual(
      sends.map((c) => [
        c.id,
        c.topicMessages.flatMap((t) =>
          t.messages.map((m) => `${t.topic}:${String(m.key)}=${String(m.value)}`),
        ),
      ]),
      [
        ['app-in-0', ['out:k5=V5', 'out:k6=V6']],
        ['app-in-1', ['out:k0=V0']],
        ['app-in-0', ['out:k7=V7']],
      ],
    );
    assert.deepEqual(
      f.calls
        .filter((c) => c.op === 'sendOffsets')
        .map((c) => ('offset' in c ? [c.groupId, c.topic, c.partition, c.offset] : [])),
      [
        ['g', 'in', 0, '7'],
        ['g', 'in', 1, '1'],
        ['g', 'in', 0, '8'],
      ],
    );
    assert.deepEqual(
      seen[0].messages.map((m) => [m.offset, m.headers.trace]),
      [
        ['5', 't5'],
        ['6', 't6'],
      ],
    );
    assert.deepEqual(h.counts, { committed: 3, aborted: 0, skippedCommitted: 0 });
    assert.deepEqual(await counterValues(metrics), { committed: 3 });
    assert.equal(f.offsetReads(), 2, 'the committed offset is read once per new producer');
  });

  void it('aborts when the handler throws: nothing sent, the offsets sent during the handler aborted; the retry commits once', async () => {
    const f = fakeIo();
    let calls = 0;
    const ok = mapper();
    const { h, metrics } = handler(f.io, {
      in: (b) => (++calls === 1 ? Promise.reject(new Error('model not loaded')) : ok(b)),
    });
    await assert.rejects(h.handleBatch(pbatch('in', 0, [0, 1])), /model not loaded/);
    assert.deepEqual(f.ops(), ['connect', 'begin', 'sendOffsets', 'abort']);
    await h.handleBatch(pbatch('in', 0, [0, 1]));
    assert.deepEqual(f.ops(), [
      'connect',
      'begin',
      'sendOffsets',
      'abort',
      'begin',
      'sendOffsets',
      'send',
      'commit',
    ]);
    assert.deepEqual(h.counts, { committed: 1, aborted: 1, skippedCommitted: 0 });
    assert.deepEqual(await counterValues(metrics), { committed: 1, aborted: 1 });
  });

  void it('sends the offsets before reading the committed offset of a new or re-assigned producer', async () => {
    const f = fakeIo({ 'in:0': '1' });
    const order: string[] = [];
    const io = {
      ...f.io,
      committedOffset: (g: string, t: string, p: number) => {
        order.push(`read after ${f.ops().join(',')}`);
        return f.io.committedOffset(g, t, p);
      },
    };
    const { h } = handler(io, { in: mapper() });
    await h.handleBatch(pbatch('in', 0, [0, 1]));
    h.onAssignmentChange([{ topic: 'in', partition: 0 }]);
    await h.handleBatch(pbatch('in', 0, [2]));
    assert.deepEqual(order, [
      'read after connect,begin,sendOffsets',
      'read after connect,begin,sendOffsets,send,commit,begin,sendOffsets',
    ]);
  });

  void it('sends the offsets while the handler runs, the records after it', async () => {
    const f = fakeIo();
    let opsAtHandler: string[] = [];
    const ok = mapper();
    const { h } = handler(f.io, {
      in: (b) => {
        opsAtHandler = f.ops();
        return ok(b);
      },
    });
    await h.handleBatch(pbatch('in', 0, [0]));
    assert.deepEqual(opsAtHandler, ['connect', 'begin', 'sendOffsets']);
    assert.deepEqual(f.ops(), ['connect', 'begin', 'sendOffsets', 'send', 'commit']);
  });

  void it('a failed sendOffsets aborts and replaces the producer, the records unsent', async () => {
    const f = fakeIo();
    const { h } = handler(f.io, { in: mapper() });
    f.fail.sendOffsets = 1;
    await assert.rejects(h.handleBatch(pbatch('in', 0, [0])), /TxnOffsetCommit: coordinator gone/);
    assert.deepEqual(f.ops(), ['connect', 'begin', 'sendOffsets', 'abort', 'disconnect']);
    await h.handleBatch(pbatch('in', 0, [0]));
    assert.equal(f.producersCreated(), 2);
    assert.deepEqual(h.counts, { committed: 1, aborted: 1, skippedCommitted: 0 });
  });

  void it('reports the handler error when sendOffsets failed too, and replaces the producer', async () => {
    const f = fakeIo();
    let calls = 0;
    const ok = mapper();
    const { h } = handler(f.io, {
      in: (b) => (++calls === 2 ? Promise.reject(new Error('model not loaded')) : ok(b)),
    });
    await h.handleBatch(pbatch('in', 0, [0]));
    f.fail.sendOffsets = 1;
    await assert.rejects(h.handleBatch(pbatch('in', 0, [1])), /model not loaded/);
    assert.deepEqual(f.ops().slice(5), ['begin', 'sendOffsets', 'abort', 'disconnect']);
    assert.deepEqual(h.producerKeys(), []);
  });

  void it('rejects an invalid output precisely and aborts', async () => {
    const f = fakeIo();
    const { h } = handler(f.io, {
      in: () => Promise.resolve({ records: [{ topic: 'out', key: null }] }),
    });
    await assert.rejects(
      h.handleBatch(pbatch('in', 3, [10, 11])),
      /handler of in\/3 \(offsets 10\.\.11\): BatchOutput.records\[0\].value must be a string, a Buffer or null/,
    );
    assert.deepEqual(f.ops(), ['connect', 'begin', 'sendOffsets', 'abort']);
  });

  void it('replaces a producer whose abort failed (fenced), re-reading the committed offset', async () => {
    const f = fakeIo({ 'in:0': '1' });
    const { h } = handler(f.io, { in: mapper() });
    f.fail.commit = 1;
    f.fail.abort = 1;
    await assert.rejects(h.handleBatch(pbatch('in', 0, [1, 2])), /coordinator gone/);
    assert.deepEqual(f.ops(), [
      'connect',
      'begin',
      'sendOffsets',
      'send',
      'commit',
      'abort',
      'disconnect',
    ]);
    assert.deepEqual(h.producerKeys(), []);
    await h.handleBatch(pbatch('in', 0, [1, 2]));
    assert.equal(f.producersCreated(), 2);
    assert.equal(f.offsetReads(), 2);
    assert.deepEqual(h.counts, { committed: 1, aborted: 1, skippedCommitted: 0 });
  });

  void it('replaces the producer after any broker-side failure, even when the abort went through', async () => {
    const f = fakeIo();
    const { h } = handler(f.io, { in: mapper() });
    f.fail.commit = 1;
    await assert.rejects(h.handleBatch(pbatch('in', 0, [0])), /coordinator gone/);
    assert.deepEqual(f.ops(), [
      'connect',
      'begin',
      'sendOffsets',
      'send',
      'commit',
      'abort',
      'disconnect',
    ]);
    await h.handleBatch(pbatch('in', 0, [0]));
    assert.equal(f.producersCreated(), 2);
    assert.equal(f.offsetReads(), 2, 'the new producer re-reads the committed offset');
  });

  void it('skips redelivered messages below the committed offset read after fencing', async () => {
    const f = fakeIo({ 'in:0': '7' });
    const seen: InboundBatch[] = [];
    const { h, metrics } = handler(f.io, { in: mapper(seen) });
    const all = await h.handleBatch(pbatch('in', 0, [4, 5, 6]));
    assert.deepEqual(all, { commitOffset: null, committedOffset: '7' });
    assert.equal(seen.length, 0, 'the handler is not called for an already committed batch');
    const part = await h.handleBatch(pbatch('in', 0, [6, 7, 8]));
    assert.deepEqual(part, { commitOffset: null, committedOffset: '9' });
    assert.deepEqual(
      seen[0].messages.map((m) => m.offset),
      ['7', '8'],
    );
    assert.equal(h.counts.skippedCommitted, 4);
    const skipped = await metrics.registry
      .getSingleMetric('storepulse_events_skipped_redelivered_total')
      ?.get();
    assert.equal(skipped?.values[0]?.value, 4);
  });

  void it('closes the producers of revoked partitions and re-reads offsets of kept ones', async () => {
    const f = fakeIo();
    const { h } = handler(f.io, { in: mapper() });
    await h.handleBatch(pbatch('in', 0, [0]));
    await h.handleBatch(pbatch('in', 1, [0]));
    assert.deepEqual(h.producerKeys(), ['in:0', 'in:1']);
    h.onAssignmentChange([{ topic: 'in', partition: 1 }]);
    assert.deepEqual(h.producerKeys(), ['in:1']);
    assert.equal(f.offsetReads(), 2);
    await h.handleBatch(pbatch('in', 1, [1]));
    assert.equal(f.offsetReads(), 3, 'the kept partition re-reads its committed offset');
    assert.equal(f.producersCreated(), 2, 'and keeps its producer');
    await h.close();
    assert.deepEqual(f.ops('app-in-0').at(-1), 'disconnect');
    assert.deepEqual(f.ops('app-in-1').at(-1), 'disconnect');
  });

  void it('keeps a busy producer until its batch ended when its partition is revoked', async () => {
    const f = fakeIo();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const ok = mapper();
    const { h } = handler(f.io, { in: async (b) => (await gate, ok(b)) });
    const running = h.handleBatch(pbatch('in', 0, [0]));
    await new Promise((r) => setImmediate(r));
    h.onAssignmentChange([]);
    assert.deepEqual(f.ops('app-in-0'), ['connect', 'begin', 'sendOffsets']);
    release();
    await running;
    await h.close();
    assert.deepEqual(f.ops('app-in-0'), [
      'connect',
      'begin',
      'sendOffsets',
      'send',
      'commit',
      'disconnect',
    ]);
  });
});

void describe('TransportBatchHandler (after-handler)', () => {
  void it('publishes with the idempotent producer, then asks the consumer to commit', async () => {
    const f = fakeIo();
    const { h } = handler(f.io, { in: mapper() }, 'after-handler');
    const r = await h.handleBatch(pbatch('in', 2, [3, 4]));
    assert.deepEqual(r, { commitOffset: '5' });
    assert.deepEqual(f.ops(), ['connect', 'send']);
    assert.equal(f.calls[1].op === 'send' && f.calls[1].topicMessages[0].messages.length, 2);
    await h.close();
    assert.deepEqual(f.ops(), ['connect', 'send', 'disconnect']);
  });
});

const transportOpts = (topics: string[]): BatchTransportOptions => ({
  kafka: {} as Kafka,
  groupId: 'grp',
  topics,
  mode: 'transactional',
  partitionsConcurrency: 1,
  maxBytesPerPartition: 1 << 20,
  retryMaxMs: 10,
  stallTimeoutMs: 1000,
  drainTimeoutMs: 1000,
  logger,
  metrics: new PipelineMetrics(false),
});

void describe('BatchTransport handler lookup', () => {
  const batch: InboundBatch = {
    topic: 'a',
    partition: 0,
    messages: [],
    heartbeat: () => Promise.resolve(),
  };

  void it('serves only the whitelisted topics and unwraps Promise and Observable results', async () => {
    const t = new BatchTransport(transportOpts(['a', 'b']), fakeIo().io);
    t.addHandler(
      'a',
      (data: InboundBatch) =>
        Promise.resolve({ records: [{ topic: 'x', key: data.topic, value: '1' }] }),
      true,
    );
    t.addHandler(
      'b',
      () =>
        Promise.resolve(of({ records: [] }, { records: [{ topic: 'y', key: null, value: '2' }] })),
      true,
    );
    t.addHandler('c', () => Promise.resolve({ records: [] }), true);
    const hs = t.handlersByTopic();
    assert.deepEqual([...hs.keys()], ['a', 'b']);
    assert.deepEqual(await hs.get('a')!(batch), {
      records: [{ topic: 'x', key: 'a', value: '1' }],
    });
    assert.deepEqual(
      await hs.get('b')!(batch),
      { records: [{ topic: 'y', key: null, value: '2' }] },
      'last emitted value',
    );
  });

  void it('fails listening when a served topic has no handler, naming it', async () => {
    const t = new BatchTransport(transportOpts(['a', 'missing']), fakeIo().io);
    t.addHandler('a', () => Promise.resolve({ records: [] }), true);
    assert.throws(
      () => t.handlersByTopic(),
      /BatchTransport\(group grp\): no @EventPattern\('missing'\) handler is registered \(registered patterns: a\)/,
    );
    const err = await new Promise<unknown>((r) => t.listen(r));
    assert.match(String(err), /no @EventPattern\('missing'\)/);
  });

  void it('refuses two handlers for one topic, and empty or duplicate topic lists', () => {
    const t = new BatchTransport(transportOpts(['a']), fakeIo().io);
    t.addHandler('a', () => Promise.resolve({ records: [] }), true);
    t.addHandler('a', () => Promise.resolve({ records: [] }), true);
    assert.throws(() => t.handlersByTopic(), /several handlers for 'a'/);
    assert.throws(() => new BatchTransport(transportOpts([])), /topics must not be empty/);
    assert.throws(
      () => new BatchTransport(transportOpts(['a', 'a'])),
      /topics has duplicates: a, a/,
    );
  });

  void it('turns Nest’s error object into an Error naming the topic', async () => {
    const t = new BatchTransport(transportOpts(['a']), fakeIo().io);
    t.addHandler(
      'a',
      // what Nest's RpcProxy + BaseRpcExceptionFilter return for a thrown non-RpcException
      () =>
        Promise.resolve(throwError(() => ({ status: 'error', message: 'Internal server error' }))),
      true,
    );
    await assert.rejects(
      t.handlersByTopic().get('a')!(batch),
      /^Error: handler of a failed: Internal server error/,
    );
    const t2 = new BatchTransport(transportOpts(['a']), fakeIo().io);
    t2.addHandler('a', () => Promise.reject(new RangeError('bad feature vector')), true);
    await assert.rejects(t2.handlersByTopic().get('a')!(batch), RangeError);
  });
});

void describe('PassThroughRpcErrors', () => {
  void it('rethrows the original error object unchanged', async () => {
    const original = new RangeError('feature vector has 11 values, the model wants 12');
    await assert.rejects(
      lastValueFrom(new PassThroughRpcErrors().catch(original, {} as ArgumentsHost)),
      (e) => e === original,
    );
  });
});
