// Unit tests of RdKafkaTransportIo's mapping onto the native client, with a fake of the native module
// (the real broker round trips are in batch-transport.int.spec.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type * as RdKafka from '@confluentinc/kafka-javascript';
import { Kafka } from 'kafkajs';
import { createTransportIo, RdKafkaTransactionError, RdKafkaTransportIo } from './rdkafka-io';
import type { NativeModule } from '../native';

type Cb = (err: { message: string; code: number; isFatal?: boolean } | null) => void;

interface Produced {
  topic: string;
  partition: number | null;
  value: Buffer | null;
  key: Buffer | null;
  timestamp: number | null;
  headers: RdKafka.MessageHeader[] | undefined;
}

/** A fake of the native module: records configs and calls, fails what `fail` names. */
function fakeModule(fail: { op?: string; queueFullTimes?: number; fatal?: boolean } = {}) {
  const calls: string[] = [];
  const produced: Produced[] = [];
  const configs: Record<string, unknown>[] = [];
  const offsets: { offsets: unknown; group: unknown }[] = [];
  let queueFull = fail.queueFullTimes ?? 0;
  const answer = (op: string, cb: Cb) => {
    calls.push(op);
    setImmediate(() =>
      cb(
        fail.op === op
          ? { message: `${op} refused`, code: -144, isFatal: fail.fatal ?? false }
          : null,
      ),
    );
  };
  class Producer {
    constructor(conf: Record<string, unknown>) {
      configs.push(conf);
    }
    connect(_o: unknown, cb: Cb) {
      answer('connect', cb);
    }
    initTransactions(_t: number, cb: Cb) {
      answer('initTransactions', cb);
    }
    beginTransaction(cb: Cb) {
      answer('beginTransaction', cb);
    }
    commitTransaction(_t: number, cb: Cb) {
      answer('commitTransaction', cb);
    }
    abortTransaction(_t: number, cb: Cb) {
      answer('abortTransaction', cb);
    }
    sendOffsetsToTransaction(o: unknown, group: unknown, _t: number, cb: Cb) {
      offsets.push({ offsets: o, group });
      answer('sendOffsetsToTransaction', cb);
    }
    disconnect(_t: number, cb: Cb) {
      answer('disconnect', cb);
    }
    produce(
      topic: string,
      partition: number | null,
      value: Buffer | null,
      key: Buffer | null,
      timestamp: number | null,
      _opaque: unknown,
      headers: RdKafka.MessageHeader[] | undefined,
    ) {
      if (queueFull > 0) {
        queueFull--;
        throw Object.assign(new Error('Local: Queue full'), { code: -184 });
      }
      produced.push({ topic, partition, value, key, timestamp, headers });
    }
  }
  class KafkaConsumer {
    readonly conf: Record<string, unknown>;
    constructor(conf: Record<string, unknown>) {
      this.conf = conf;
      configs.push(conf);
    }
    connect(_o: unknown, cb: Cb) {
      answer('consumer.connect', cb);
    }
    disconnect(cb: () => void) {
      calls.push('consumer.disconnect');
      setImmediate(cb);
    }
  }
  const mod = { Producer, KafkaConsumer } as unknown as NativeModule;
  return { mod, calls, produced, configs, offsets };
}

const kafka = new Kafka({ brokers: ['localhost:1'], clientId: 'unit' });

describe('RdKafkaTransportIo', () => {
  it('registers the transactional id on creation, then begin → records → offsets → commit', async () => {
    const f = fakeModule();
    const io = new RdKafkaTransportIo(kafka, ['b1:9092', 'b2:9092'], {}, f.mod);
    const p = await io.transactionalProducer('g-topic-0');
    assert.deepEqual(f.calls, ['connect', 'initTransactions']);
    assert.equal(f.configs[0]?.['transactional.id'], 'g-topic-0');
    assert.equal(f.configs[0]?.['bootstrap.servers'], 'b1:9092,b2:9092');
    assert.equal(f.configs[0]?.partitioner, 'murmur2_random');
    const t = await p.begin();
    await t.send([
      {
        topic: 'out',
        messages: [
          { key: 'u1', value: '{"a":1}', headers: { h: 'x', multi: ['1', Buffer.from('2')] } },
          { key: null, value: null, partition: 2, timestamp: '1700000000000' },
        ],
      },
    ]);
    await t.sendOffsets('g', 'in', 0, '42');
    await t.commit();
    assert.deepEqual(f.calls.slice(2), [
      'beginTransaction',
      'consumer.connect',
      'sendOffsetsToTransaction',
      'commitTransaction',
    ]);
    assert.equal(f.produced.length, 2);
    assert.deepEqual(f.produced[0], {
      topic: 'out',
      partition: null,
      value: Buffer.from('{"a":1}'),
      key: Buffer.from('u1'),
      timestamp: null,
      headers: [{ h: 'x' }, { multi: '1' }, { multi: Buffer.from('2') }],
    });
    assert.deepEqual(f.produced[1], {
      topic: 'out',
      partition: 2,
      value: null,
      key: null,
      timestamp: 1700000000000,
      headers: undefined,
    });
    assert.deepEqual(f.offsets[0]?.offsets, [{ topic: 'in', partition: 0, offset: 42 }]);
    // the group handle is a consumer of that group, made once
    const consumerConf = f.configs.find((c) => 'group.id' in c);
    assert.equal(consumerConf?.['group.id'], 'g');
    await t.sendOffsets('g', 'in', 0, '43');
    assert.equal(f.calls.filter((c) => c === 'consumer.connect').length, 1);
    await io.close();
    assert.ok(f.calls.includes('consumer.disconnect'));
  });

  it('waits out a full local queue instead of failing the send', async () => {
    const f = fakeModule({ queueFullTimes: 3 });
    const io = new RdKafkaTransportIo(kafka, ['b:1'], {}, f.mod);
    const t = await (await io.transactionalProducer('id')).begin();
    await t.send([{ topic: 'out', messages: [{ key: 'k', value: 'v' }] }]);
    assert.equal(f.produced.length, 1);
  });

  it('fails with the operation, the transactional id, the code and the fatal flag', async () => {
    const f = fakeModule({ op: 'commitTransaction', fatal: true });
    const io = new RdKafkaTransportIo(kafka, ['b:1'], {}, f.mod);
    const t = await (await io.transactionalProducer('g-t-3')).begin();
    await assert.rejects(t.commit(), (e: unknown) => {
      assert.ok(e instanceof RdKafkaTransactionError);
      assert.equal(e.op, 'commitTransaction');
      assert.equal(e.transactionalId, 'g-t-3');
      assert.equal(e.code, -144);
      assert.equal(e.fatal, true);
      assert.match(e.message, /commitTransaction of transactional id g-t-3 failed: .*refused/);
      return true;
    });
  });

  it('a producer whose init fails is disconnected and the error names it', async () => {
    const f = fakeModule({ op: 'initTransactions' });
    const io = new RdKafkaTransportIo(kafka, ['b:1'], {}, f.mod);
    await assert.rejects(
      io.transactionalProducer('g-t-1'),
      /initTransactions of transactional id g-t-1/,
    );
    assert.deepEqual(f.calls, ['connect', 'initTransactions', 'disconnect']);
  });

  it('refuses an offset beyond the safe integers instead of rounding it', async () => {
    const f = fakeModule();
    const io = new RdKafkaTransportIo(kafka, ['b:1'], {}, f.mod);
    const t = await (await io.transactionalProducer('id')).begin();
    await assert.rejects(t.sendOffsets('g', 'in', 1, '9007199254740993'), /not a safe integer/);
  });
});

describe('createTransportIo', () => {
  it('kafkajs when asked; auto without a broker list falls back to kafkajs and says why', () => {
    assert.equal(createTransportIo(kafka, ['b:1'], 'kafkajs').client, 'kafkajs');
    const auto = createTransportIo(kafka, undefined, 'auto');
    assert.equal(auto.client, 'kafkajs');
    assert.match(auto.fallbackReason ?? '', /no broker list/);
  });

  it('librdkafka without a broker list is an error, not a silent fallback', () => {
    assert.throws(() => createTransportIo(kafka, [], 'librdkafka'), /no broker list/);
  });
});
