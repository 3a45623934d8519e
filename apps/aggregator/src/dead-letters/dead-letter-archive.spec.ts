import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IHeaders, KafkaMessage } from 'kafkajs';
import { DLQ_HEADERS, TOPICS } from '@storepulse/contracts';
import { DLQ_STORED_HEADER, deadLetterHeaders, type PartitionBatch } from '@storepulse/kafka';
import { createLogger } from '@storepulse/observability';
import type { ChunkRecord, LedgerPort, PartitionLedgerState } from '../ingest/ledger.repository';
import { archiveDecision, type ArchivedDeadLetterRow } from './archive-row';
import { DeadLetterArchive, type ArchiveStore } from './dead-letter-archive';

const AGG = 'storepulse-aggregator';

function letter(offset: number, group: string, extra: IHeaders = {}): KafkaMessage {
  const value = Buffer.from(`{"bad":${offset}}`);
  return {
    key: Buffer.from(`k${offset}`),
    value,
    offset: String(offset),
    timestamp: '1764590000000',
    attributes: 0,
    headers: {
      ...deadLetterHeaders({
        sourceTopic: TOPICS.clickstream,
        sourcePartition: -1,
        sourceOffset: '-1',
        key: null,
        value,
        reason: 'ts: must be an ISO-8601 timestamp with a zone',
        fields: ['ts'],
        failedAt: new Date('2026-12-01T10:00:00.000Z'),
        consumerGroup: group,
        extraHeaders: { 'x-storefront': 'shopA', 'x-dlq-index': String(offset) },
      }),
      ...extra,
    },
  };
}

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
class FakeStore implements ArchiveStore {
  readonly rows: ArchivedDeadLetterRow[] = [];
  readonly tokens: string[] = [];
  insert(rows: readonly ArchivedDeadLetterRow[], token: string): Promise<void> {
    this.tokens.push(token);
    this.rows.push(...rows);
    return Promise.resolve();
  }
  stored(partition: number, first: bigint, last: bigint): Promise<Set<string>> {
    return Promise.resolve(
      new Set(
        this.rows
          .filter(
            (r) =>
              r.dlq_partition === partition &&
              BigInt(r.dlq_offset) >= first &&
              BigInt(r.dlq_offset) <= last,
          )
          .map((r) => r.dlq_offset),
      ),
    );
  }
}

const batch = (messages: KafkaMessage[]): PartitionBatch => ({
  topic: TOPICS.storefrontDlq,
  partition: 2,
  messages,
  lastOffset: messages[messages.length - 1].offset,
  highWatermark: String(Number(messages[messages.length - 1].offset) + 1),
  heartbeat: () => Promise.resolve(),
});

const archive = (ledger: LedgerPort, store: ArchiveStore, maxChunkMessages = 100) =>
  new DeadLetterArchive(
    ledger,
    store,
    { aggregatorGroup: AGG, maxChunkMessages },
    createLogger('silent', 'test'),
  );

describe('archiveDecision', () => {
  it('maps a collector letter to a dead_letters row: -1 as two’s complement, other headers kept', () => {
    const d = archiveDecision(2, letter(7, 'storepulse-collector'), AGG);
    assert.equal(d.kind, 'archive');
    assert.deepEqual(d.problems, []);
    assert.deepEqual(d.row, {
      source_topic: TOPICS.clickstream,
      source_partition: 4294967295,
      source_offset: '18446744073709551615',
      message_key: 'k7',
      payload: '{"bad":7}',
      reason: 'ts: must be an ISO-8601 timestamp with a zone',
      fields: ['ts'],
      failed_at: '2026-12-01 10:00:00.000',
      consumer_group: 'storepulse-collector',
      dlq_partition: 2,
      dlq_offset: '7',
      headers: { 'x-storefront': 'shopA', 'x-dlq-index': '7' },
    });
  });

  it('keeps a real source position as it is', () => {
    const m = letter(1, 'storepulse-replenishment', {
      [DLQ_HEADERS.sourcePartition]: '1',
      [DLQ_HEADERS.sourceOffset]: '12345',
    });
    const d = archiveDecision(0, m, AGG);
    assert.equal(d.kind, 'archive');
    assert.equal(d.row.source_partition, 1);
    assert.equal(d.row.source_offset, '12345');
  });

  it('skips the aggregator’s own letters: by the stored header or, older ones, by its group', () => {
    assert.equal(
      archiveDecision(
        0,
        letter(1, 'other-aggregator', { [DLQ_STORED_HEADER]: 'dead_letters' }),
        AGG,
      ).kind,
      'stored-by-producer',
    );
    assert.equal(archiveDecision(0, letter(1, AGG), AGG).kind, 'stored-by-producer');
  });

  it('archives a record without dead-letter headers, naming each missing or bad header', () => {
    const d = archiveDecision(
      0,
      {
        key: null,
        value: Buffer.from('raw'),
        offset: '3',
        timestamp: '1764590000000',
        attributes: 0,
        headers: { [DLQ_HEADERS.sourceOffset]: 'x1', [DLQ_HEADERS.fields]: '{"a":1}' },
      },
      AGG,
    );
    assert.equal(d.kind, 'archive');
    assert.equal(d.row.payload, 'raw');
    assert.equal(d.row.failed_at, '2025-12-01 11:53:20.000');
    assert.deepEqual(d.problems, [
      'x-dlq-source-topic: missing',
      'x-dlq-source-partition: missing',
      'x-dlq-source-offset: "x1" is not an offset',
      'x-dlq-reason: missing',
      'x-dlq-fields: must be a JSON array of strings',
      'x-dlq-failed-at: missing (record time used)',
      'x-dlq-consumer-group: missing',
    ]);
  });
});

describe('DeadLetterArchive', () => {
  it('writes the other producers’ letters once per chunk under the ledger: pending, insert, done', async () => {
    const ledger = new FakeLedger();
    const store = new FakeStore();
    const a = archive(ledger, store, 2);
    const r = await a.handleBatch(
      batch([letter(0, 'storepulse-collector'), letter(1, AGG), letter(2, 'storepulse-collector')]),
    );
    assert.deepEqual(r, { commitOffset: '3' });
    assert.deepEqual(
      store.rows.map((x) => x.dlq_offset),
      ['0', '2'],
    );
    assert.deepEqual(store.tokens, [
      'dead-letters/dlq.storefront.v1/2/0-1',
      'dead-letters/dlq.storefront.v1/2/2-2',
    ]);
    assert.deepEqual(
      ledger.records.map((c) => `${c.state} ${c.firstOffset}-${c.lastOffset} ${c.rows}`),
      ['pending 0-1 1', 'done 0-1 1', 'pending 2-2 1', 'done 2-2 1'],
    );
    assert.equal(a.counters.storedByProducer, 1);
    assert.equal(a.counters.archived.get('storepulse-collector'), 2);
  });

  it('a chunk of the aggregator’s letters only is recorded done without a write', async () => {
    const ledger = new FakeLedger();
    const store = new FakeStore();
    await archive(ledger, store).handleBatch(batch([letter(0, AGG), letter(1, AGG)]));
    assert.equal(store.tokens.length, 0);
    assert.deepEqual(
      ledger.records.map((c) => c.state),
      ['done'],
    );
  });

  it('skips what the ledger says is done, whatever the committed offsets (a new group)', async () => {
    const ledger = new FakeLedger({ lastDone: 1n, pending: null });
    const store = new FakeStore();
    const a = archive(ledger, store);
    await a.handleBatch(batch([letter(0, 'c'), letter(1, 'c'), letter(2, 'c')]));
    assert.deepEqual(
      store.rows.map((x) => x.dlq_offset),
      ['2'],
    );
    assert.equal(a.counters.skippedRedelivered, 2);
  });

  it('re-runs a pending chunk after a crash: only the rows not yet stored are written', async () => {
    const pending: ChunkRecord = {
      topic: TOPICS.storefrontDlq,
      partition: 2,
      firstOffset: 0n,
      lastOffset: 2n,
      token: 'dead-letters/dlq.storefront.v1/2/0-2',
      state: 'pending',
      rows: 3,
      deadLetters: 3,
    };
    const ledger = new FakeLedger({ lastDone: -1n, pending });
    const store = new FakeStore();
    // the crashed insert landed offset 1 only
    const landed = archiveDecision(2, letter(1, 'c'), AGG);
    assert.equal(landed.kind, 'archive');
    store.rows.push(landed.row);
    const a = archive(ledger, store);
    // the first batch after the restart ends inside the pending chunk
    assert.deepEqual(await a.handleBatch(batch([letter(0, 'c'), letter(1, 'c')])), {
      commitOffset: '2',
    });
    assert.deepEqual(await a.handleBatch(batch([letter(2, 'c'), letter(3, 'c')])), {
      commitOffset: '4',
    });
    assert.deepEqual(store.rows.map((x) => x.dlq_offset).sort(), ['0', '1', '2', '3']);
    assert.deepEqual(
      ledger.records.map((c) => `${c.state} ${c.firstOffset}-${c.lastOffset}`),
      ['done 0-2', 'pending 3-3', 'done 3-3'],
    );
    assert.equal(a.counters.replayedChunks, 1);
  });
});
