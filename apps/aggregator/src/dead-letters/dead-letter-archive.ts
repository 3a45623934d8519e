import type { KafkaMessage } from 'kafkajs';
import type { ClickHouseClient } from '@clickhouse/client';
import { insertIdempotent, queryRows, type ChunkLimits } from '@storepulse/clickhouse';
import type { BatchHandler, BatchResult, PartitionBatch } from '@storepulse/kafka';
import type { Logger } from '@storepulse/observability';
import type { ChunkRecord, LedgerPort, PartitionLedgerState } from '../ingest/ledger.repository';
import { archiveDecision, type ArchivedDeadLetterRow } from './archive-row';

/** Port: the `dead_letters` rows copied from the dead-letter topic. */
export interface ArchiveStore {
  /** Inserts `rows` idempotently under `token` (a retry with the same token writes nothing twice). */
  insert(rows: readonly ArchivedDeadLetterRow[], token: string): Promise<void>;
  /** The DLQ offsets of `partition` within [first, last] that are already stored. */
  stored(partition: number, first: bigint, last: bigint): Promise<Set<string>>;
}

export class ClickHouseArchiveStore implements ArchiveStore {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly limits: ChunkLimits,
    private readonly insertJsonLines?: Parameters<typeof insertIdempotent>[5],
  ) {}

  async insert(rows: readonly ArchivedDeadLetterRow[], token: string): Promise<void> {
    await insertIdempotent(
      this.client,
      'dead_letters',
      rows,
      token,
      this.limits,
      this.insertJsonLines,
    );
  }

  async stored(partition: number, first: bigint, last: bigint): Promise<Set<string>> {
    const rows = await queryRows<{ k: string }>(
      this.client,
      `SELECT toString(dlq_offset) AS k FROM dead_letters
       WHERE dlq_partition = {partition:Int32} AND dlq_offset BETWEEN {first:Int64} AND {last:Int64}`,
      { partition, first: first.toString(), last: last.toString() },
    );
    return new Set(rows.map((r) => r.k));
  }
}

export interface ArchiveCounters {
  /** Records read from the dead-letter topic (redeliveries included). */
  consumed: number;
  /** Rows written to `dead_letters`, by the record's consumer-group header. */
  archived: Map<string, number>;
  /** The aggregator's own letters, stored with their chunk and not copied. */
  storedByProducer: number;
  /** Records at or below the ledger's last done offset (redelivered after a restart). */
  skippedRedelivered: number;
  /** Pending chunks re-run after a crash (only their missing rows written). */
  replayedChunks: number;
  /** Archived records whose dead-letter headers were missing or malformed. */
  malformed: number;
}

export interface ArchiveOptions {
  /** The aggregator's consumer group: its letters are in `dead_letters` already. */
  aggregatorGroup: string;
  /** Max records per ledger chunk. */
  maxChunkMessages: number;
}

export const ARCHIVE_PIPELINE = 'dead-letters';

/**
 * Copies every record of the dead-letter topic that its producer did not store itself (the
 * collector's HTTP rejects, the replenishment consumer's letters) into `dead_letters`, once each,
 * with the aggregator's ledger (pipeline `dead-letters`, docs/exactly-once.md): a chunk of a
 * partition is recorded pending, its rows inserted under a token derived from its range, then
 * recorded done; offsets are committed after that. After a crash the pending chunk is re-run: the
 * rows whose DLQ offset is not yet in `dead_letters` are written (by presence, not by token: a
 * token can be recorded without its part), so nothing is lost or written twice.
 */
export class DeadLetterArchive implements BatchHandler {
  private readonly states = new Map<number, PartitionLedgerState>();
  readonly counters: ArchiveCounters = {
    consumed: 0,
    archived: new Map(),
    storedByProducer: 0,
    skippedRedelivered: 0,
    replayedChunks: 0,
    malformed: 0,
  };

  constructor(
    private readonly ledger: LedgerPort,
    private readonly store: ArchiveStore,
    private readonly opts: ArchiveOptions,
    private readonly logger: Logger,
  ) {}

  onAssignmentChange(): void {
    this.states.clear();
  }

  private async state(topic: string, partition: number): Promise<PartitionLedgerState> {
    let s = this.states.get(partition);
    if (!s) {
      s = await this.ledger.load(topic, partition);
      this.states.set(partition, s);
    }
    return s;
  }

  async handleBatch(batch: PartitionBatch): Promise<BatchResult> {
    const { topic, partition } = batch;
    const state = await this.state(topic, partition);
    this.counters.consumed += batch.messages.length;
    let fresh = batch.messages.filter((m) => BigInt(m.offset) > state.lastDone);
    this.counters.skippedRedelivered += batch.messages.length - fresh.length;

    const p = state.pending;
    if (p) {
      const part = fresh.filter((m) => BigInt(m.offset) <= p.lastOffset);
      if (part.length > 0) {
        const rows = this.rows(partition, part);
        const have = await this.store.stored(partition, p.firstOffset, p.lastOffset);
        const missing = rows.filter((r) => !have.has(r.dlq_offset));
        if (missing.length > 0)
          await this.store.insert(
            missing,
            `${p.token}/repair-${part[0].offset}-${part[part.length - 1].offset}-${Date.now()}`,
          );
        this.count(missing);
        this.logger.info(
          {
            topic,
            partition,
            range: `${p.firstOffset}-${p.lastOffset}`,
            rows: rows.length,
            written: missing.length,
          },
          'dead-letter archive: pending chunk re-run, missing rows written',
        );
      }
      fresh = fresh.filter((m) => BigInt(m.offset) > p.lastOffset);
      if (BigInt(batch.lastOffset) < p.lastOffset)
        // the rest of the pending range comes with the next batch; its rows are checked the same way
        return { commitOffset: (BigInt(batch.lastOffset) + 1n).toString() };
      await this.ledger.record({ ...p, state: 'done' });
      state.lastDone = p.lastOffset;
      state.pending = null;
      this.counters.replayedChunks++;
    }

    for (let i = 0; i < fresh.length; i += this.opts.maxChunkMessages) {
      const msgs = fresh.slice(i, i + this.opts.maxChunkMessages);
      const first = BigInt(msgs[0].offset);
      const last = BigInt(msgs[msgs.length - 1].offset);
      const rows = this.rows(partition, msgs);
      const chunk: ChunkRecord = {
        topic,
        partition,
        firstOffset: first,
        lastOffset: last,
        token: `${ARCHIVE_PIPELINE}/${topic}/${partition}/${first}-${last}`,
        state: 'pending',
        rows: rows.length,
        deadLetters: rows.length,
      };
      if (rows.length > 0) {
        await this.ledger.record(chunk);
        state.pending = chunk;
        await this.store.insert(rows, chunk.token);
      }
      // a chunk of the aggregator's letters only writes no rows: recorded done at once
      await this.ledger.record({ ...chunk, state: 'done' });
      state.lastDone = last;
      state.pending = null;
      this.count(rows);
      await batch.heartbeat();
    }
    return { commitOffset: (BigInt(batch.lastOffset) + 1n).toString() };
  }

  private rows(partition: number, messages: readonly KafkaMessage[]): ArchivedDeadLetterRow[] {
    const out: ArchivedDeadLetterRow[] = [];
    for (const m of messages) {
      const d = archiveDecision(partition, m, this.opts.aggregatorGroup);
      if (d.kind === 'stored-by-producer') {
        this.counters.storedByProducer++;
        continue;
      }
      if (d.problems.length > 0) {
        this.counters.malformed++;
        this.logger.warn(
          { partition, offset: m.offset, problems: d.problems },
          'dead-letter archive: record without valid dead-letter headers archived as it is',
        );
      }
      out.push(d.row);
    }
    return out;
  }

  private count(rows: readonly ArchivedDeadLetterRow[]): void {
    for (const r of rows)
      this.counters.archived.set(
        r.consumer_group,
        (this.counters.archived.get(r.consumer_group) ?? 0) + 1,
      );
  }
}
