import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KafkaMessage } from 'kafkajs';
import { TOPICS } from '@storepulse/contracts';
import type { DeadLetter, DeadLetterSink, PartitionBatch } from '@storepulse/kafka';
import { createLogger, PipelineMetrics } from '@storepulse/observability';
import { IngestService, type ChunkStore } from './ingest.service';
import type { ChunkRecord, LedgerPort, PartitionLedgerState } from './ledger.repository';
import type { PreparedChunk } from './rows';

class FakeLedger implements LedgerPort {
  readonly records: ChunkRecord[] = [];
  constructor(private readonly initial: PartitionLedgerState = { lastDone: -1n, pending: null }) {}
  load(): Promise<PartitionLedgerState> {
    return Promise.resolve({ ...this.initial });
  }
  record(c: ChunkRecord): Promise<void> {
    this.records.push(c);
    return Promise.resolve();
  }
}
class FakeStore implements ChunkStore {
  readonly writes: { token: string; rows: number; dead: number }[] = [];
  /** Offsets stored, like the raw table (and dead_letters). */
  readonly stored: number[] = [];
  /** Tokens ClickHouse "remembers" although their part never landed (crash window). */
  readonly ghostTokens = new Set<string>();
  failNext = 0;
  write(chunk: PreparedChunk, token: string): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      return Promise.reject(new Error('ClickHouse unavailable'));
    }
    this.writes.push({ token, rows: chunk.rows.length, dead: chunk.deadLetters.length });
    if (this.ghostTokens.has(token)) return Promise.resolve(); // deduplicated: nothing written
    for (const r of chunk.rows) this.stored.push(r._offset);
    for (const d of chunk.deadLetters) this.stored.push(Number(d.sourceOffset));
    return Promise.resolve();
  }
  /** Reconciliations asked for, in order, after the writes before them. */
  readonly reconciles: { table: string; first: bigint; last: bigint; afterWrites: number }[] = [];
  /** What reconcile reports as corrected (a torn view found). */
  corrections: { table: string; corrected: number }[] = [];
  reconcile(
    table: string,
    range: { first: bigint; last: bigint },
  ): Promise<{ table: string; corrected: number }[]> {
    this.reconciles.push({
      table,
      first: range.first,
      last: range.last,
      afterWrites: this.writes.length,
    });
    return Promise.resolve(this.corrections);
  }
  missing(chunk: PreparedChunk): Promise<PreparedChunk> {
    const have = new Set(this.stored);
    return Promise.resolve({
      ...chunk,
      rows: chunk.rows.filter((r) => !have.has(r._offset)),
      deadLetters: chunk.deadLetters.filter((d) => !have.has(Number(d.sourceOffset))),
    });
  }
}
class FakeDlq implements DeadLetterSink {
  readonly letters: DeadLetter[] = [];
  publish(_topic: string, letters: readonly DeadLetter[]): Promise<void> {
    this.letters.push(...letters);
    return Promise.resolve();
  }
}

const click = (i: number) =>
  JSON.stringify({
    event_id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    type: 'page_view',
    user_id: `u${i}`,
    session_id: 's',
    ts: '2026-11-28T10:00:00Z',
  });

function batch(offsets: number[], values: (i: number) => string = click): PartitionBatch {
  const messages: KafkaMessage[] = offsets.map((o) => ({
    key: Buffer.from(`k${o}`),
    value: Buffer.from(values(o)),
    offset: String(o),
    timestamp: '0',
    attributes: 0,
    headers: {},
  }));
  return {
    topic: TOPICS.clickstream,
    partition: 0,
    messages,
    lastOffset: String(offsets[offsets.length - 1]),
    highWatermark: '1000',
    heartbeat: () => Promise.resolve(),
  };
}

function service(ledger: LedgerPort, store = new FakeStore(), dlq = new FakeDlq(), maxChunk = 3) {
  const svc = new IngestService(
    ledger,
    store,
    dlq,
    {
      pipeline: 'agg',
      consumerGroup: 'g',
      dlqTopic: TOPICS.storefrontDlq,
      maxChunkMessages: maxChunk,
      maxInflightWrites: 1,
    },
    createLogger('silent'),
    new PipelineMetrics(false),
  );
  return { svc, store, dlq };
}

describe('IngestService (fake ledger/store/DLQ)', () => {
  it('cuts a batch into chunks: pending before data, done after, commit = last + 1', async () => {
    const ledger = new FakeLedger();
    const { svc, store } = service(ledger);
    const r = await svc.handleBatch(batch([0, 1, 2, 3, 4, 5, 6]));
    assert.equal(r.commitOffset, '7');
    assert.deepEqual(
      store.writes.map((w) => w.token),
      [
        'agg/storefront.clickstream.v1/0/0-2',
        'agg/storefront.clickstream.v1/0/3-5',
        'agg/storefront.clickstream.v1/0/6-6',
      ],
    );
    assert.deepEqual(
      ledger.records.map((c) => `${c.state}:${c.firstOffset}-${c.lastOffset}`),
      ['pending:0-2', 'done:0-2', 'pending:3-5', 'done:3-5', 'pending:6-6', 'done:6-6'],
    );
  });

  it('prepares the next chunk while one is written, yet records chunks strictly in order; a failed write stops the batch', async () => {
    const ledger = new FakeLedger();
    const store = new FakeStore();
    const write = store.write.bind(store);
    store.write = async (chunk, token) => {
      // the write is slow: the service keeps working meanwhile
      await new Promise((r) => setTimeout(r, 10));
      await write(chunk, token);
    };
    const { svc } = service(ledger, store);
    // 300 chunks of 3 (each write 10 ms: the whole batch is written one chunk after another)
    const msgs = Array.from({ length: 900 }, (_, i) => i);
    const r = await svc.handleBatch(batch(msgs));
    assert.equal(r.commitOffset, '900');
    const records = ledger.records.map((c) => `${c.state}:${c.firstOffset}-${c.lastOffset}`);
    const expected: string[] = [];
    for (let i = 0; i < 900; i += 3) expected.push(`pending:${i}-${i + 2}`, `done:${i}-${i + 2}`);
    assert.deepEqual(records, expected);
    assert.equal(store.stored.length, 900);
    assert.equal(svc.counters.stored, 900);

    // a write that fails: no later chunk is recorded or written, the error reaches the consumer
    const ledger2 = new FakeLedger();
    const store2 = new FakeStore();
    const { svc: svc2 } = service(ledger2, store2);
    store2.failNext = 1;
    await assert.rejects(svc2.handleBatch(batch([0, 1, 2, 3, 4, 5, 6])));
    assert.deepEqual(
      ledger2.records.map((c) => `${c.state}:${c.firstOffset}-${c.lastOffset}`),
      ['pending:0-2'],
    );
    assert.deepEqual(store2.stored, []);
  });

  it('skips messages at or below the ledger high-water mark (redelivery with other boundaries)', async () => {
    const { svc, store } = service(new FakeLedger({ lastDone: 4n, pending: null }));
    const r = await svc.handleBatch(batch([3, 4, 5, 6]));
    assert.equal(r.commitOffset, '7');
    assert.equal(svc.counters.skippedRedelivered, 2);
    assert.deepEqual(
      store.writes.map((w) => w.token),
      ['agg/storefront.clickstream.v1/0/5-6'],
    );
  });

  it('re-runs a pending chunk with its original range and token, then continues', async () => {
    const pending: ChunkRecord = {
      topic: TOPICS.clickstream,
      partition: 0,
      firstOffset: 2n,
      lastOffset: 5n,
      token: 'agg/original',
      state: 'pending',
      rows: 0,
      deadLetters: 0,
    };
    const { svc, store } = service(
      new FakeLedger({ lastDone: 1n, pending }),
      new FakeStore(),
      new FakeDlq(),
      10,
    );
    await svc.handleBatch(batch([2, 3, 4, 5, 6, 7]));
    assert.deepEqual(store.writes, [
      { token: 'agg/original', rows: 4, dead: 0 },
      { token: 'agg/storefront.clickstream.v1/0/6-7', rows: 2, dead: 0 },
    ]);
    assert.equal(svc.counters.replayedChunks, 1);
    assert.deepEqual(
      store.reconciles.map((r) => [r.first, r.last]),
      [[2n, 5n]],
      'only the re-run chunk is reconciled, not first attempts',
    );
    assert.equal(svc.counters.reconciledGroups, 0);
  });

  it('a replayed chunk whose token ClickHouse kept without the rows is repaired, once', async () => {
    const pending: ChunkRecord = {
      topic: TOPICS.clickstream,
      partition: 0,
      firstOffset: 0n,
      lastOffset: 3n,
      token: 'agg/ghost',
      state: 'pending',
      rows: 0,
      deadLetters: 0,
    };
    const store = new FakeStore();
    store.ghostTokens.add('agg/ghost');
    store.stored.push(0); // one row of the chunk did land before the crash
    store.corrections = [
      { table: 'fr_user_click_1m', corrected: 4 },
      { table: 'fr_user_click_1h', corrected: 3 },
      { table: 'fr_sku_click_1m', corrected: 0 },
    ];
    const { svc } = service(new FakeLedger({ lastDone: -1n, pending }), store, new FakeDlq(), 10);
    await svc.handleBatch(batch([0, 1, 2, 3, 4], (o) => (o === 2 ? '{bad' : click(o))));
    assert.deepEqual(
      [...store.stored].sort((a, b) => a - b),
      [0, 1, 2, 3, 4],
    );
    assert.equal(svc.counters.repairedRows, 3, 'rows 1 and 3 and dead letter 2');
    assert.match(store.writes[1]?.token ?? '', /^agg\/ghost\/repair-2-1-/);
    // then the rollups of the re-run chunk are reconciled, after the repair, for its range only
    assert.deepEqual(store.reconciles, [
      { table: 'clickstream_events', first: 0n, last: 3n, afterWrites: 2 },
    ]);
    assert.equal(svc.counters.reconciledGroups, 7);
  });

  it('when a batch ends inside a pending chunk, commits up to its start and writes nothing', async () => {
    const pending: ChunkRecord = {
      topic: TOPICS.clickstream,
      partition: 0,
      firstOffset: 3n,
      lastOffset: 9n,
      token: 'agg/p',
      state: 'pending',
      rows: 0,
      deadLetters: 0,
    };
    const { svc, store } = service(new FakeLedger({ lastDone: 2n, pending }));
    const r = await svc.handleBatch(batch([1, 2, 3, 4]));
    assert.equal(r.commitOffset, '3');
    assert.equal(store.writes.length, 0);
  });

  it('routes invalid messages to the DLQ with reason and source, valid ones beside them are stored', async () => {
    const { svc, store, dlq } = service(new FakeLedger(), new FakeStore(), new FakeDlq(), 100);
    await svc.handleBatch(
      batch([10, 11, 12], (o) => (o === 11 ? '{"type":"page_view"' : click(o))),
    );
    assert.deepEqual(store.writes, [
      { token: 'agg/storefront.clickstream.v1/0/10-12', rows: 2, dead: 1 },
    ]);
    assert.equal(dlq.letters.length, 1);
    assert.equal(dlq.letters[0]?.sourceOffset, '11');
    assert.equal(dlq.letters[0]?.value?.toString(), '{"type":"page_view"');
    assert.match(dlq.letters[0]?.reason ?? '', /^\$: invalid JSON/);
    assert.equal(svc.counters.deadLettered, 1);
  });

  it('a failed write throws (no commit) and the retry reuses the same token', async () => {
    const store = new FakeStore();
    store.failNext = 1;
    const { svc } = service(new FakeLedger(), store);
    await assert.rejects(svc.handleBatch(batch([0, 1])), /ClickHouse unavailable/);
    const r = await svc.handleBatch(batch([0, 1]));
    assert.equal(r.commitOffset, '2');
    assert.deepEqual(
      store.writes.map((w) => w.token),
      ['agg/storefront.clickstream.v1/0/0-1'],
    );
  });
});
