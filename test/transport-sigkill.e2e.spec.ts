// Exactly-once of the batch transport under SIGKILL: a transactional BatchTransport app runs as a child
// process (test/support/transport-child) and is killed -9 repeatedly while it maps 30,000 inputs to
// outputs; afterwards every input has exactly one committed output.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Admin, Kafka } from 'kafkajs';
import { Prng } from '@storepulse/simulator';
import { startChild, killAllChildren, type ChildHandle } from './support/child-process';
import {
  createTopicsReady,
  readExpected,
  testKafka,
  waitFor,
  waitGroupAtEnd,
} from './support/kafka';
import { testBrokers } from './support/env';
import type { TransportChildCounters, TransportChildSettings } from './support/transport-child';

const N = 30_000;
const KILLS = 4;

describe('batch transport exactly-once under repeated SIGKILL (child process, 30k inputs)', () => {
  let kafka: Kafka;
  let admin: Admin;
  const u = `${Date.now()}`;
  const settings: TransportChildSettings = {
    brokers: testBrokers(),
    groupId: `tx-sigkill-${u}`,
    input: `tx-sigkill-in-${u}`,
    output: `tx-sigkill-out-${u}`,
    // inputs written in 50-record batches and small fetches: hundreds of transactions
    handlerDelayMs: 20,
    maxBytesPerPartition: 4096,
    sessionTimeoutMs: 6000,
  };

  before(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    await admin.connect();
    await createTopicsReady(admin, [
      { topic: settings.input, numPartitions: 3 },
      { topic: settings.output, numPartitions: 3 },
    ]);
  });

  /** Produces the inputs in 50-record requests paced to `rate`/s, so every incarnation has work. */
  async function produceAll(rate: number): Promise<void> {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const t0 = Date.now();
    try {
      for (let i = 0; i < N; i += 50) {
        const msgs = [];
        for (let j = i; j < i + 50; j++) msgs.push({ key: `k-${j}`, value: String(j) });
        await producer.send({ topic: settings.input, acks: -1, messages: msgs });
        const ahead = ((i + 50) / rate) * 1000 - (Date.now() - t0);
        if (ahead > 0) await new Promise((r) => setTimeout(r, ahead));
      }
    } finally {
      await producer.disconnect();
    }
  }

  after(async () => {
    killAllChildren();
    await admin.disconnect();
  });

  const start = (): ChildHandle<TransportChildCounters> =>
    startChild<TransportChildCounters>({
      script: join(__dirname, 'support', 'transport-child.js'),
      args: [JSON.stringify(settings)],
    });

  it('kills the consuming app -9 repeatedly mid-stream; every input ends with exactly one committed output', async () => {
    const rng = new Prng(11);
    const log: string[] = [];
    const t0 = Date.now();
    let produced = false;
    let kills = 0;
    const producing = produceAll(600).then(() => {
      produced = true;
    });
    for (let i = 0; i < KILLS && !produced; i++) {
      const c = start();
      await c.ready;
      await waitFor(
        () => Promise.resolve((c.last()?.committed ?? 0) > 0),
        60_000,
        `incarnation ${i + 1} committing`,
        100,
      );
      const afterMs = 800 + Math.floor(rng.next() * 1500);
      await new Promise((r) => setTimeout(r, afterMs));
      const k = c.last();
      const { signal } = await c.kill('SIGKILL');
      assert.equal(signal, 'SIGKILL');
      kills++;
      console.log(
        `kill ${i + 1} after ${afterMs} ms committing (${((Date.now() - t0) / 1000).toFixed(1)} s): handled ${k?.handled} committed ${k?.committed} aborted ${k?.aborted} skipped ${k?.skippedCommitted}`,
      );
    }
    assert.equal(kills, KILLS, 'every kill landed while inputs were still arriving');
    await producing;
    log.push(`all ${N} produced after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const last = start();
    await last.ready;
    await waitGroupAtEnd(admin, settings.groupId, settings.input, 180_000);
    const fin = last.last();
    const { code } = await last.kill('SIGTERM');
    log.push(
      `caught up after ${((Date.now() - t0) / 1000).toFixed(1)} s; last run committed ${fin?.committed ?? 0} transactions (counters sampled every 200 ms)`,
    );
    assert.equal(code, 0, 'the last incarnation drains and exits 0 on SIGTERM');

    const out = await readExpected(kafka, settings.output, N, {
      settleMs: 3000,
      timeoutMs: 60_000,
    });
    const raw = await readExpected(kafka, settings.output, N, {
      readUncommitted: true,
      settleMs: 3000,
      timeoutMs: 60_000,
    });
    log.push(
      `${raw.length} output records in the log (aborted ones included), ${out.length} committed`,
    );
    console.log(log.join('\n'));
    assert.equal(out.length, N, 'one committed output per input, none twice');
    const counts = new Map<string, number>();
    for (const r of out) {
      assert.equal(r.value?.toString('utf8'), `out:${r.key?.slice(2)}`, 'output matches its key');
      counts.set(r.key ?? '', (counts.get(r.key ?? '') ?? 0) + 1);
    }
    assert.equal(counts.size, N);
  });
});
