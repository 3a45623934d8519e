// Integration tests of BatchTransport on the real broker: a real Nest microservice whose controller maps
// each input to one output (malformed ones to a DLQ); outputs are read back with read_committed.
import 'reflect-metadata';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import { DLQ_HEADERS } from '@storepulse/contracts';
import { PipelineMetrics } from '@storepulse/observability';
import { createKafka } from '../client';
import { testBrokers, testLogger } from '../../../../test/support/env';
import {
  createTopicsReady,
  produce,
  readExpected,
  testKafka,
  waitFor,
  waitGroupAtEnd,
  type ReadRecord,
} from '../../../../test/support/kafka';
import { BatchTransport, type BatchTransportOptions } from './batch-transport';
import { TransportBatchHandler } from './batch-processor';
import { KafkaTransportIo, type TransportIo } from './io';
import { RdKafkaTransportIo } from './rdkafka-io';
import { deadLetterRecord } from './records';
import type { BatchOutput, InboundBatch, OutboundRecord } from './types';
import type { PartitionBatch } from '../batch-consumer';

const logger = testLogger();

interface Names {
  input: string;
  output: string;
  dlq: string;
  group: string;
}

function names(tag: string): Names {
  const u = `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  return { input: `tx-in-${u}`, output: `tx-out-${u}`, dlq: `tx-dlq-${u}`, group: `tx-g-${u}` };
}

/** Input i: key k-i, header src-trace: tr-i, JSON {id: i}; every 10th is malformed (not JSON). */
function inputs(from: number, to: number) {
  const out = [];
  for (let i = from; i < to; i++)
    out.push({
      key: `k-${i}`,
      value: i % 10 === 9 ? `not json ${i}` : JSON.stringify({ id: i }),
      headers: { 'src-trace': `tr-${i}` },
    });
  return out;
}

interface AppProbe {
  seen: InboundBatch[];
  /** Throw on the first attempt of every batch (keyed by partition and first offset). */
  failFirstAttempt: boolean;
}

/** A Nest microservice app whose controller maps `n.input` → `n.output` (malformed → `n.dlq`). */
async function startApp(
  n: Names,
  probe: AppProbe,
  io?: (kafka: Kafka) => TransportIo,
  mode: BatchTransportOptions['mode'] = 'transactional',
  producerClient: Client = 'kafkajs',
  consumerClient: Client = 'kafkajs',
): Promise<{ app: INestMicroservice; transport: BatchTransport; metrics: PipelineMetrics }> {
  const attempts = new Set<string>();
  @Controller()
  class MapController {
    @EventPattern(n.input)
    handle(@Payload() batch: InboundBatch): Promise<BatchOutput> {
      const first = `${batch.partition}:${batch.messages[0]?.offset}`;
      if (probe.failFirstAttempt && !attempts.has(first)) {
        attempts.add(first);
        return Promise.reject(new Error(`injected handler failure at ${first}`));
      }
      probe.seen.push(batch);
      const records: OutboundRecord[] = batch.messages.map((m) => {
        try {
          const o = JSON.parse(m.value?.toString('utf8') ?? '') as { id: number };
          return {
            topic: n.output,
            key: `out-${o.id}`,
            value: JSON.stringify({ id: o.id, src: `${m.partition}:${m.offset}` }),
            headers: { 'src-trace': m.headers['src-trace'] ?? '' },
          };
        } catch {
          return deadLetterRecord(m, n.dlq, 'invalid json', ['$'], n.group);
        }
      });
      return Promise.resolve({ records });
    }
  }
  @Module({ controllers: [MapController] })
  class MapModule {}
  const kafka = createKafka({ brokers: testBrokers(), clientId: `tx-${n.group}`, logger });
  const metrics = new PipelineMetrics(false);
  const opts: BatchTransportOptions = {
    kafka,
    groupId: n.group,
    topics: [n.input],
    mode,
    partitionsConcurrency: 3,
    maxBytesPerPartition: 64 * 1024,
    retryMaxMs: 400,
    stallTimeoutMs: 60_000,
    drainTimeoutMs: 10_000,
    sessionTimeoutMs: 10_000,
    producerClient,
    consumerClient,
    logger,
    metrics,
  };
  const transport = io ? new BatchTransport(opts, io(kafka)) : new BatchTransport(opts);
  const app = await NestFactory.createMicroservice(MapModule, {
    strategy: transport,
    logger: false,
  });
  await app.listen();
  return { app, transport, metrics };
}

type Client = 'kafkajs' | 'librdkafka';

/** The transport's Kafka I/O of `client` (what BatchTransport builds for its producerClient). */
function baseIo(client: Client, k: Kafka): TransportIo {
  return client === 'kafkajs' ? new KafkaTransportIo(k) : new RdKafkaTransportIo(k, testBrokers());
}

const parseOut = (r: ReadRecord) => JSON.parse(r.value?.toString('utf8') ?? '') as { id: number };

for (const [client, consumer] of [
  ['kafkajs', 'kafkajs'],
  ['librdkafka', 'kafkajs'],
  ['librdkafka', 'librdkafka'],
] as const)
  describe(`BatchTransport on the real broker (transactional, ${client} producers, ${consumer} consumer)`, () => {
    // the cases that exercise the producers only run once per producer client
    const producerOnly =
      consumer !== 'kafkajs' && 'the producer side: run with the kafkajs consumer';
    let kafka: Kafka;
    let admin: Admin;

    before(async () => {
      kafka = testKafka();
      admin = kafka.admin();
      await admin.connect();
    });
    after(async () => {
      await admin.disconnect();
    });

    async function topics(n: Names) {
      await createTopicsReady(admin, [
        { topic: n.input, numPartitions: 3 },
        { topic: n.output, numPartitions: 3 },
        { topic: n.dlq, numPartitions: 1 },
      ]);
    }

    it('publishes exactly one committed output per input, keyed by the handler, and dead letters with the original bytes and headers', async () => {
      const n = names('map');
      await topics(n);
      const sent = inputs(0, 600);
      await produce(kafka, n.input, sent);
      const probe: AppProbe = { seen: [], failFirstAttempt: false };
      const { app, transport, metrics } = await startApp(
        n,
        probe,
        undefined,
        'transactional',
        client,
        consumer,
      );
      try {
        await waitGroupAtEnd(admin, n.group, n.input);
        const out = await readExpected(kafka, n.output, 540);
        assert.equal(out.length, 540, 'one output per valid input, no duplicate');
        const ids = out.map((r) => parseOut(r).id).sort((a, b) => a - b);
        assert.deepEqual(
          ids,
          sent.map((_, i) => i).filter((i) => i % 10 !== 9),
        );
        for (const r of out) {
          const id = parseOut(r).id;
          assert.equal(r.key, `out-${id}`);
          assert.equal(r.headers['src-trace'], `tr-${id}`);
        }
        const dlq = await readExpected(kafka, n.dlq, 60);
        assert.equal(dlq.length, 60);
        for (const d of dlq) {
          const id = Number(d.key?.slice(2));
          assert.equal(d.value?.toString('utf8'), `not json ${id}`, 'original bytes');
          assert.equal(d.headers['src-trace'], `tr-${id}`, 'original header');
          assert.equal(d.headers[DLQ_HEADERS.sourceTopic], n.input);
          assert.equal(d.headers[DLQ_HEADERS.reason], 'invalid json');
          assert.equal(d.headers[DLQ_HEADERS.consumerGroup], n.group);
          assert.match(d.headers[DLQ_HEADERS.sourceOffset] ?? '', /^\d+$/);
        }
        const h = transport.health();
        assert.equal(h.producers, client);
        assert.equal(h.consumer, consumer);
        assert.equal(h.running, true);
        assert.equal(h.transactions.aborted, 0);
        assert.equal(h.transactions.committed, probe.seen.length);
        const metric = await metrics.registry
          .getSingleMetric('storepulse_transport_transactions_total')
          ?.get();
        assert.deepEqual(
          metric?.values.map((v) => [v.labels.group, v.labels.outcome, v.value]),
          [[n.group, 'committed', probe.seen.length]],
        );
      } finally {
        await app.close();
      }
      assert.equal(transport.health().running, false);
    });

    // Known defect, found in the session-5 clean-clone CI: with a commit rejected locally (the
    // transaction left open, neither committed nor aborted) one run committed 365 outputs for 270
    // inputs. Real crashes (SIGKILL e2e of the transport and of the scorer) pass; this injected state
    // needs investigating before the test is re-enabled (see the session-5 note).
    it('leaves no duplicate and no loss when handlers and commits fail on their first attempt (aborted records stay invisible)', async () => {
      const n = names('flaky');
      await topics(n);
      await produce(kafka, n.input, inputs(0, 300));
      const failedCommits = new Set<string>();
      const flaky = (k: Kafka): TransportIo => {
        const inner = baseIo(client, k);
        return {
          committedOffset: (g, t, p) => inner.committedOffset(g, t, p),
          idempotentProducer: () => inner.idempotentProducer(),
          close: () => inner.close(),
          transactionalProducer: async (id) => {
            const p = await inner.transactionalProducer(id);
            return {
              disconnect: () => p.disconnect(),
              begin: async () => {
                const t = await p.begin();
                return {
                  send: (tm) => t.send(tm),
                  sendOffsets: (g, topic, part, off) => t.sendOffsets(g, topic, part, off),
                  abort: () => t.abort(),
                  // the first commit of every producer fails after its records were written
                  commit: () => {
                    if (failedCommits.has(id)) return t.commit();
                    failedCommits.add(id);
                    return Promise.reject(new Error(`injected commit failure of ${id}`));
                  },
                };
              },
            };
          },
        };
      };
      const probe: AppProbe = { seen: [], failFirstAttempt: true };
      const { app, transport } = await startApp(
        n,
        probe,
        flaky,
        'transactional',
        'kafkajs',
        consumer,
      );
      try {
        await waitGroupAtEnd(admin, n.group, n.input);
        const out = await readExpected(kafka, n.output, 270);
        assert.equal(out.length, 270, 'each valid input exactly once among committed records');
        assert.equal(new Set(out.map((r) => parseOut(r).id)).size, 270);
        const dlq = await readExpected(kafka, n.dlq, 30);
        assert.equal(dlq.length, 30);
        // kafkajs' send awaits the acks, so the aborted records are in the log; librdkafka's may
        // still be queued when the injected failure aborts the transaction (an abort purges them)
        if (client === 'kafkajs') {
          const raw = await readExpected(kafka, n.output, 271, { readUncommitted: true });
          assert.ok(
            raw.length > out.length,
            `the aborted transactions' records are in the log (${raw.length} read uncommitted vs ${out.length})`,
          );
        }
        const h = transport.health();
        assert.equal(failedCommits.size, 3, 'one producer per input partition');
        assert.ok(h.transactions.aborted >= 6, `aborted ${h.transactions.aborted}`);
      } finally {
        await app.close();
      }
    });

    // The cause of the duplicates above: kafkajs 2.2.4 read_committed filtering leaked the records of
    // an aborted transaction that began before, and aborted after, another aborted transaction on the
    // same partition (see read-committed.ts). Fixed process-wide by installReadCommittedFix().
    it(
      'a read_committed consumer sees none of the records of interleaved aborted transactions',
      { skip: (client !== 'kafkajs' || consumer !== 'kafkajs') && 'the reader side: kafkajs only' },
      async () => {
        const n = names('interleave');
        await createTopicsReady(admin, [{ topic: n.output, numPartitions: 1 }]);
        const mk = async (id: string) => {
          const p = kafka.producer({
            transactionalId: `${n.group}-${id}`,
            idempotent: true,
            maxInFlightRequests: 1,
          });
          await p.connect();
          return p;
        };
        const [a, b, c] = await Promise.all([mk('a'), mk('b'), mk('c')]);
        try {
          const value = (v: string) => ({ key: v, value: v });
          const ta = await a.transaction();
          await ta.send({ topic: n.output, messages: [value('a1'), value('a2')] });
          const tb = await b.transaction();
          await tb.send({ topic: n.output, messages: [value('b1')] });
          await tb.abort(); // began after A, aborts before it: the broker lists B before A
          await ta.send({ topic: n.output, messages: [value('a3')] });
          await ta.abort();
          const tc = await c.transaction();
          await tc.send({ topic: n.output, messages: [value('c1'), value('c2')] });
          await tc.commit();
          const committed = await readExpected(kafka, n.output, 2);
          assert.deepEqual(
            committed.map((r) => r.key),
            ['c1', 'c2'],
          );
          const raw = await readExpected(kafka, n.output, 6, { readUncommitted: true });
          assert.deepEqual(
            raw.map((r) => r.key),
            ['a1', 'a2', 'b1', 'a3', 'c1', 'c2'],
          );
        } finally {
          await Promise.all([a.disconnect(), b.disconnect(), c.disconnect()]);
        }
      },
    );

    it('does not reprocess anything after a close and a restart with the same group', async () => {
      const n = names('restart');
      await topics(n);
      await produce(kafka, n.input, inputs(0, 200));
      const first: AppProbe = { seen: [], failFirstAttempt: false };
      const a = await startApp(n, first, undefined, 'transactional', client, consumer);
      await waitGroupAtEnd(admin, n.group, n.input);
      const { drained } = await a.transport.close();
      assert.equal(drained, true);
      await a.app.close();
      const second: AppProbe = { seen: [], failFirstAttempt: false };
      const b = await startApp(n, second, undefined, 'transactional', client, consumer);
      try {
        await produce(kafka, n.input, inputs(200, 300));
        await waitGroupAtEnd(admin, n.group, n.input);
        const offsetsSeen = second.seen.flatMap((s) => s.messages.map((m) => m.offset));
        assert.equal(offsetsSeen.length, 100, 'the second instance handled only the new inputs');
        const out = await readExpected(kafka, n.output, 270);
        assert.equal(out.length, 270);
        assert.equal(new Set(out.map((r) => parseOut(r).id)).size, 270);
      } finally {
        await b.app.close();
      }
    });

    it('hands partitions over exactly once when a second member joins and the first leaves under load', async () => {
      const n = names('rebalance');
      await topics(n);
      const probeA: AppProbe = { seen: [], failFirstAttempt: false };
      const probeB: AppProbe = { seen: [], failFirstAttempt: false };
      await produce(kafka, n.input, inputs(0, 300));
      const a = await startApp(n, probeA, undefined, 'transactional', client, consumer);
      let b: Awaited<ReturnType<typeof startApp>> | undefined;
      // inputs keep arriving while the group rebalances twice
      let sent = 300;
      let feeding = true;
      const feeder = (async () => {
        while (feeding) {
          await produce(kafka, n.input, inputs(sent, sent + 50));
          sent += 50;
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      const owned = (t: BatchTransport) =>
        t.health().assignments.reduce((k, x) => k + x.partitions.length, 0);
      try {
        await waitFor(() => Promise.resolve(probeA.seen.length > 0), 30_000, 'A consuming');
        b = await startApp(n, probeB, undefined, 'transactional', client, consumer);
        const bt = b.transport;
        await waitFor(() => Promise.resolve(owned(bt) > 0), 60_000, 'B given partitions');
        await waitFor(() => Promise.resolve(probeB.seen.length > 0), 30_000, 'B consuming');
        await a.app.close();
        await waitFor(() => Promise.resolve(owned(bt) === 3), 60_000, 'B owning every partition');
        await new Promise((r) => setTimeout(r, 1_000));
        feeding = false;
        await feeder;
        await waitGroupAtEnd(admin, n.group, n.input);
        const valid = sent - sent / 10;
        const out = await readExpected(kafka, n.output, valid);
        const ids = out.map((r) => parseOut(r).id);
        assert.equal(out.length, valid, 'one committed output per valid input, none twice');
        assert.equal(new Set(ids).size, valid);
        assert.ok(probeA.seen.length > 0 && probeB.seen.length > 0, 'both members handled batches');
      } finally {
        feeding = false;
        await feeder;
        await b?.app.close();
        await a.app.close().catch(() => undefined);
      }
    });

    it(
      'after-handler mode: publishes with the idempotent producer and commits the offsets afterwards',
      {
        skip:
          (client !== 'kafkajs' || consumer !== 'kafkajs') &&
          'the idempotent producer is kafkajs in both',
      },
      async () => {
        const n = names('after');
        await topics(n);
        await produce(kafka, n.input, inputs(0, 300));
        const probe: AppProbe = { seen: [], failFirstAttempt: false };
        const { app, transport } = await startApp(n, probe, undefined, 'after-handler');
        try {
          await waitGroupAtEnd(admin, n.group, n.input);
          const out = await readExpected(kafka, n.output, 270, { readUncommitted: true });
          assert.equal(out.length, 270);
          assert.equal(new Set(out.map((r) => parseOut(r).id)).size, 270);
          assert.equal((await readExpected(kafka, n.dlq, 30)).length, 30);
          const h = transport.health();
          assert.equal(h.mode, 'after-handler');
          assert.equal(h.transactions.committed, probe.seen.length);
          assert.notEqual(h.lastCommitAt, null);
        } finally {
          await app.close();
        }
      },
    );

    it(
      'fences a zombie: a second producer with the same transactional id wins, the first cannot commit, nothing is published twice',
      { skip: producerOnly },
      async () => {
        const n = names('zombie');
        await topics(n);
        const metrics = new PipelineMetrics(false);
        const batch: PartitionBatch = {
          topic: n.input,
          partition: 0,
          messages: [0, 1, 2].map((i): KafkaMessage => ({
            offset: String(i),
            key: Buffer.from(`k-${i}`),
            value: Buffer.from(JSON.stringify({ id: i })),
            timestamp: String(Date.now()),
            attributes: 0,
            headers: {},
          })),
          lastOffset: '2',
          highWatermark: '3',
          heartbeat: () => Promise.resolve(),
        };
        let release: () => void = () => undefined;
        const gate = new Promise<void>((r) => (release = r));
        const map = (b: InboundBatch) => ({
          records: b.messages.map((m) => ({ topic: n.output, key: m.offset, value: m.value })),
        });
        let zombieCalls = 0;
        const mk = (fn: (b: InboundBatch) => Promise<unknown>) =>
          new TransportBatchHandler(
            baseIo(client, createKafka({ brokers: testBrokers(), clientId: 'z', logger })),
            new Map([[n.input, fn]]),
            {
              groupId: n.group,
              mode: 'transactional',
              transactionalIdPrefix: n.group,
              logger,
              metrics,
            },
          );
        const zombie = mk(async (b) => {
          zombieCalls++;
          if (zombieCalls === 1) await gate; // stuck (GC pause, network partition) mid-batch
          return map(b);
        });
        const successor = mk((b) => Promise.resolve(map(b)));
        try {
          const stuck = zombie.handleBatch(batch);
          await waitFor(
            () => Promise.resolve(zombieCalls === 1),
            30_000,
            'zombie inside its handler',
          );
          assert.deepEqual(await successor.handleBatch(batch), {
            commitOffset: null,
            committedOffset: '3',
          });
          release();
          await assert.rejects(stuck, (e: Error) => /epoch|fenced/i.test(e.message));
          // its retry replaces the fenced producer, re-reads the committed offset and skips the batch
          assert.deepEqual(await zombie.handleBatch(batch), {
            commitOffset: null,
            committedOffset: '3',
          });
          assert.equal(zombieCalls, 1, 'the zombie never handles the committed batch again');
          assert.equal(zombie.counts.skippedCommitted, 3);
          const out = await readExpected(kafka, n.output, 3);
          assert.deepEqual(out.map((r) => r.key).sort(), ['0', '1', '2']);
          const [committed] = await admin.fetchOffsets({ groupId: n.group, topics: [n.input] });
          assert.equal(committed?.partitions.find((p) => p.partition === 0)?.offset, '3');
        } finally {
          await zombie.close();
          await successor.close();
        }
      },
    );
  });
