import type { KafkaMessage } from 'kafkajs';
import type { ClickHouseClient } from '@clickhouse/client';
import {
  CHUNK_ROWS_WHERE,
  chunkRangeParams,
  insertIdempotent,
  insertSerialized,
  queryRows,
  type ChunkLimits,
  type ChunkRange,
  type ClickHouseHandle,
} from '@storepulse/clickhouse';
import { TOPICS } from '@storepulse/contracts';
import { reconcileChunkRollups } from '@storepulse/features';
import type {
  BatchHandler,
  BatchResult,
  DeadLetter,
  DeadLetterSink,
  PartitionBatch,
} from '@storepulse/kafka';
import type { Logger, PipelineMetrics } from '@storepulse/observability';
import type { ChunkRecord, LedgerPort, PartitionLedgerState } from './ledger.repository';
import { ChunkBuilder, chunkCapacity, type EventTimePolicy, type PreparedChunk } from './rows';
import { Semaphore } from './semaphore';
import type { EventDeduplicator } from './dedup';

/** Port: durable, idempotent writes of a prepared chunk (rows + dead letters) under a token. */
export interface ChunkStore {
  write(chunk: PreparedChunk, token: string): Promise<void>;
  /**
   * The part of `chunk` (rows and dead letters) that is NOT in storage. Used after re-running a
   * pending chunk: ClickHouse records a block's deduplication token before the part is committed,
   * so a process killed in between leaves a token whose rows never landed, and the re-run with
   * that token is deduplicated away.
   */
  missing(chunk: PreparedChunk, range: ChunkRange): Promise<PreparedChunk>;
  /**
   * After a re-run chunk's raw rows are complete: makes the rollups fed by `table` agree with the
   * raw rows for the groups the chunk touches (a view's part can be lost, or counted twice by the
   * repair, when a kill tears an insert); returns the groups corrected per rollup table.
   */
  reconcile(table: string, range: ChunkRange): Promise<{ table: string; corrected: number }[]>;
}

export class ClickHouseChunkStore implements ChunkStore {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly limits: ChunkLimits,
    private readonly metrics: PipelineMetrics,
    /** Embedded engine fast path (ClickHouseHandle.insertJsonLines); same tokens, same chunks. */
    private readonly insertJsonLines?: ClickHouseHandle['insertJsonLines'],
  ) {}

  async reconcile(
    table: string,
    range: ChunkRange,
  ): Promise<{ table: string; corrected: number }[]> {
    const out = await reconcileChunkRollups(this.client, table, range);
    for (const r of out)
      if (r.corrected > 0) this.metrics.rollupCorrections.inc({ table: r.table }, r.corrected);
    return out;
  }

  async missing(chunk: PreparedChunk, range: ChunkRange): Promise<PreparedChunk> {
    const params = chunkRangeParams(range);
    let rows = chunk.rows;
    if (rows.length > 0) {
      // table comes from RAW_TABLE_BY_TOPIC (a fixed set), never from input
      const key =
        chunk.table === 'order_lines'
          ? "concat(toString(_offset), ':', toString(line_no))"
          : 'toString(_offset)';
      const present = await queryRows<{ k: string }>(
        this.client,
        `SELECT ${key} AS k FROM ${chunk.table}
         WHERE ${CHUNK_ROWS_WHERE}`,
        params,
      );
      const have = new Set(present.map((p) => p.k));
      rows = rows.filter((r) => !have.has(rowKey(r)));
    }
    let deadLetters = chunk.deadLetters;
    if (deadLetters.length > 0) {
      const present = await queryRows<{ k: string }>(
        this.client,
        `SELECT toString(source_offset) AS k FROM dead_letters
         WHERE source_topic = {topic:String} AND source_partition = {partition:UInt32} AND source_offset BETWEEN {first:UInt64} AND {last:UInt64}
           AND dlq_offset = -1`, // the aggregator's own: archived letters of other consumers have a DLQ offset
        params,
      );
      const have = new Set(present.map((p) => p.k));
      deadLetters = deadLetters.filter((d) => !have.has(d.sourceOffset));
    }
    // Other rows than `chunk`'s: its serialised form no longer applies (write() serialises these).
    return {
      table: chunk.table,
      rows,
      deadLetters,
      eventTimesMs: [],
      rowCount: undefined,
      serialized: undefined,
    };
  }

  async write(chunk: PreparedChunk, token: string): Promise<void> {
    if (rowCount(chunk) > 0) {
      const end = this.metrics.insertSeconds.startTimer({ table: chunk.table });
      if (chunk.serialized && this.insertJsonLines)
        // same chunks, tokens and bytes as insertIdempotent over chunk.rows
        await insertSerialized(
          chunk.table,
          chunk.serialized,
          `${token}/${chunk.table}`,
          this.limits,
          this.insertJsonLines,
        );
      else
        await insertIdempotent(
          this.client,
          chunk.table,
          chunk.rows,
          `${token}/${chunk.table}`,
          this.limits,
          this.insertJsonLines,
        );
      end();
    }
    if (chunk.deadLetters.length > 0) {
      await insertIdempotent(
        this.client,
        'dead_letters',
        chunk.deadLetters.map(deadLetterRow),
        `${token}/dead_letters`,
        this.limits,
        this.insertJsonLines,
      );
    }
  }
}

/** Rows in a prepared chunk, without materialising its row objects. */
export const rowCount = (c: PreparedChunk): number => c.rowCount ?? c.rows.length;

const rowKey = (r: PreparedChunk['rows'][number]): string =>
  'line_no' in r ? `${r._offset}:${r.line_no}` : String(r._offset);

function deadLetterRow(d: DeadLetter) {
  return {
    source_topic: d.sourceTopic,
    source_partition: d.sourcePartition,
    source_offset: d.sourceOffset,
    message_key: d.key?.toString('utf8') ?? '',
    payload: d.value?.toString('utf8') ?? '',
    reason: d.reason,
    fields: d.fields,
    failed_at: d.failedAt.toISOString().replace('T', ' ').replace('Z', ''),
    consumer_group: d.consumerGroup,
  };
}

export interface IngestOptions {
  pipeline: string;
  consumerGroup: string;
  dlqTopic: string;
  /** Max messages per ledger chunk. */
  maxChunkMessages: number;
  maxInflightWrites: number;
  /** Event-time policy (late / future events are dead-lettered); undefined = accept any event time. */
  eventTime?: EventTimePolicy;
  /** event_id deduplication (DEDUP_WINDOW_MS > 0); undefined = every valid event is stored. */
  dedup?: EventDeduplicator;
}

export interface IngestCounters {
  consumed: number;
  stored: number;
  deadLettered: number;
  skippedRedelivered: number;
  replayedChunks: number;
  /** Rows re-written after a replay found them missing (see ChunkStore.missing). */
  repairedRows: number;
  /** Rollup groups corrected after a replay (see ChunkStore.reconcile). */
  reconciledGroups: number;
  /** Valid events dropped as duplicates of a stored event_id (see EventDeduplicator). */
  duplicates: number;
}

/** A chunk whose rows are durable and recorded 'done' in the ledger (all its rows, replay or not). */
export interface DurableChunk {
  topic: string;
  partition: number;
  firstOffset: bigint;
  lastOffset: bigint;
  table: string;
  /** Every row (parsed from the chunk's JSON lines on first access). */
  readonly rows: PreparedChunk['rows'];
  /** The online tier's fields of the rows, when collected while preparing (see PrepareContext). */
  userRows?: PreparedChunk['userRows'];
}

/**
 * The aggregator's batch handler. Exactly-once effect in ClickHouse:
 * each topic-partition is cut into chunks; a chunk is recorded 'pending' in the ledger (range + token)
 * before its rows are written with deduplication tokens derived from that token, and 'done' after.
 * On (re)assignment the ledger says which offsets are stored; redelivered messages at or below that are
 * skipped whatever the new batch boundaries, and a 'pending' chunk is re-run with its original range and
 * token so partial writes are completed, never doubled. Offsets are committed only after all that.
 */
export class IngestService implements BatchHandler {
  private readonly states = new Map<string, PartitionLedgerState>();
  private readonly writes: Semaphore;
  private readonly preparing = new Semaphore(1);
  readonly counters: IngestCounters = {
    consumed: 0,
    stored: 0,
    deadLettered: 0,
    skippedRedelivered: 0,
    replayedChunks: 0,
    repairedRows: 0,
    reconciledGroups: 0,
    duplicates: 0,
  };
  /** Test hook: called after a chunk's data is written and before it is marked done. */
  afterChunkWrite: ((c: ChunkRecord) => Promise<void>) | undefined;
  private readonly durableListeners: ((c: DurableChunk) => void)[] = [];

  /**
   * Subscribes to chunks once they are durable and marked done (e.g. the online feature tier).
   * Listeners run synchronously on the ingest path: keep them cheap; a throwing listener is logged
   * and does not fail the chunk.
   */
  onDurable(listener: (c: DurableChunk) => void): void {
    this.durableListeners.push(listener);
  }

  constructor(
    private readonly ledger: LedgerPort,
    private readonly store: ChunkStore,
    private readonly dlq: DeadLetterSink,
    private readonly opts: IngestOptions,
    private readonly logger: Logger,
    private readonly metrics: PipelineMetrics,
  ) {
    this.writes = new Semaphore(opts.maxInflightWrites);
  }

  onAssignmentChange(): void {
    // Another member may have processed our partitions meanwhile: reload the ledger lazily.
    this.states.clear();
  }

  private async state(topic: string, partition: number): Promise<PartitionLedgerState> {
    const key = `${topic}:${partition}`;
    let s = this.states.get(key);
    if (!s) {
      s = await this.ledger.load(topic, partition);
      this.states.set(key, s);
      this.logger.info(
        {
          topic,
          partition,
          lastDone: s.lastDone.toString(),
          pending: s.pending ? `${s.pending.firstOffset}-${s.pending.lastOffset}` : null,
        },
        'ledger state loaded',
      );
    }
    return s;
  }

  async handleBatch(batch: PartitionBatch): Promise<BatchResult> {
    const { topic, partition } = batch;
    const state = await this.state(topic, partition);
    const lastInBatch = BigInt(batch.lastOffset);
    this.counters.consumed += batch.messages.length;

    let fresh = batch.messages.filter((m) => BigInt(m.offset) > state.lastDone);
    const skipped = batch.messages.length - fresh.length;
    if (skipped > 0) {
      this.counters.skippedRedelivered += skipped;
      this.metrics.skippedRedelivered.inc({ topic }, skipped);
    }

    if (state.pending) {
      const p = state.pending;
      if (lastInBatch < p.lastOffset) {
        // This fetch does not reach the end of the pending chunk: commit up to its start so the
        // next fetch begins exactly there (and covers the whole range, as the original fetch did).
        this.logger.warn(
          {
            topic,
            partition,
            pending: `${p.firstOffset}-${p.lastOffset}`,
            lastInBatch: batch.lastOffset,
          },
          'batch ends inside a pending chunk; refetching from its start',
        );
        return { commitOffset: p.firstOffset.toString() };
      }
      const part = fresh.filter((m) => BigInt(m.offset) <= p.lastOffset);
      await this.writeChunk(batch, p, await this.prepare(batch, part, p), true);
      this.counters.replayedChunks++;
      this.logger.info(
        { topic, partition, range: `${p.firstOffset}-${p.lastOffset}`, token: p.token },
        'pending chunk re-run with its original token',
      );
      fresh = fresh.filter((m) => BigInt(m.offset) > p.lastOffset);
    }

    // Chunks are recorded, written and marked done strictly one after another (the ledger order);
    // only the pure preparation of chunk k+1 (validation, serialisation: JS) runs while the engine
    // writes chunk k off the event loop. Preparing before the pending record also keeps the JS work
    // from queueing behind other partitions' inserts (the embedded engine runs one statement at a
    // time per connection).
    const parts: KafkaMessage[][] = [];
    for (let i = 0; i < fresh.length; i += this.opts.maxChunkMessages)
      parts.push(fresh.slice(i, i + this.opts.maxChunkMessages));
    let next = parts.length > 0 ? await this.prepareFresh(batch, parts[0]) : undefined;
    for (let i = 0; next !== undefined; i++) {
      const { chunk, prepared } = next;
      await this.ledger.record(chunk);
      state.pending = chunk;
      // both settle before going on: never a write left running when the batch fails
      next = await settleBoth(
        this.writeChunk(batch, chunk, prepared),
        i + 1 < parts.length ? this.prepareFresh(batch, parts[i + 1]) : undefined,
      );
      await batch.heartbeat();
    }
    return { commitOffset: (lastInBatch + 1n).toString() };
  }

  /** A new chunk over `messages` (consecutive, not yet stored) and its rows, reference time now. */
  private async prepareFresh(
    batch: PartitionBatch,
    messages: KafkaMessage[],
  ): Promise<{ chunk: ChunkRecord; prepared: PreparedChunk }> {
    const first = BigInt(messages[0].offset);
    const last = BigInt(messages[messages.length - 1].offset);
    const chunk: ChunkRecord = {
      topic: batch.topic,
      partition: batch.partition,
      firstOffset: first,
      lastOffset: last,
      token: `${this.opts.pipeline}/${batch.topic}/${batch.partition}/${first}-${last}`,
      state: 'pending',
      rows: 0,
      deadLetters: 0,
      preparedAtMs: Date.now(),
    };
    return { chunk, prepared: await this.prepare(batch, messages, chunk) };
  }

  /**
   * Rows and dead letters of a chunk: a pure function of (messages, the chunk's reference time).
   * One chunk is prepared at a time (FIFO), in slices with a turn of the event loop in between, so
   * that while the JS thread validates and serialises, completions from the engine (a pending
   * record, an insert) are handled at once and the next insert starts: the engine is kept fed
   * instead of waiting for every partition's preparation to finish.
   */
  private prepare(
    batch: PartitionBatch,
    messages: KafkaMessage[],
    chunk: ChunkRecord,
  ): Promise<PreparedChunk> {
    return this.preparing.run(async () => {
      const builder = new ChunkBuilder(
        {
          topic: batch.topic,
          partition: batch.partition,
          consumerGroup: this.opts.consumerGroup,
          now: new Date(chunk.preparedAtMs ?? Date.now()),
          eventTime: this.opts.eventTime,
          collectUserRows: this.durableListeners.length > 0,
          collectEvents: this.opts.dedup !== undefined,
        },
        chunkCapacity(messages),
      );
      for (let i = 0; i < messages.length; i += PREPARE_SLICE) {
        if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
        builder.add(messages.slice(i, i + PREPARE_SLICE));
      }
      return builder.finish();
    });
  }

  /** The write of a chunk without its duplicates: rows, repair and reconciliation on a re-run, DLQ, ledger done. */
  private async writeDeduplicated(
    batch: PartitionBatch,
    chunk: ChunkRecord,
    prepared: PreparedChunk,
    duplicates: number,
    replay: boolean,
  ): Promise<void> {
    await this.store.write(prepared, chunk.token);
    if (replay) {
      const range = {
        topic: batch.topic,
        partition: batch.partition,
        first: chunk.firstOffset,
        last: chunk.lastOffset,
      };
      const gap = await this.store.missing(prepared, range);
      if (gap.rows.length > 0 || gap.deadLetters.length > 0) {
        // Only what is absent, under a token of its own: no double counts whatever landed before.
        this.counters.repairedRows += gap.rows.length + gap.deadLetters.length;
        this.logger.warn(
          {
            topic: batch.topic,
            partition: batch.partition,
            token: chunk.token,
            rows: gap.rows.length,
            deadLetters: gap.deadLetters.length,
          },
          'replayed chunk was deduplicated but its rows are missing; writing them again',
        );
        await this.store.write(
          gap,
          `${chunk.token}/repair-${gap.rows.length}-${gap.deadLetters.length}-${Date.now()}`,
        );
      }
      // the views of a torn insert can be short (a lost part) or, after the repair, doubled
      const fixed = (await this.store.reconcile(prepared.table, range)).filter(
        (r) => r.corrected > 0,
      );
      if (fixed.length > 0) {
        for (const r of fixed) this.counters.reconciledGroups += r.corrected;
        this.logger.warn(
          {
            topic: batch.topic,
            partition: batch.partition,
            token: chunk.token,
            corrected: fixed,
          },
          'replayed chunk: rollup groups disagreed with the raw rows; corrected',
        );
      }
    }
    if (prepared.deadLetters.length > 0)
      await this.dlq.publish(this.opts.dlqTopic, prepared.deadLetters);
    if (this.afterChunkWrite) await this.afterChunkWrite(chunk);
    await this.ledger.record({
      ...chunk,
      state: 'done',
      rows: rowCount(prepared),
      deadLetters: prepared.deadLetters.length,
      duplicates,
    });
    for (const l of this.durableListeners) {
      try {
        l({
          topic: batch.topic,
          partition: batch.partition,
          firstOffset: chunk.firstOffset,
          lastOffset: chunk.lastOffset,
          table: prepared.table,
          get rows() {
            return prepared.rows;
          },
          ...(prepared.userRows ? { userRows: prepared.userRows } : {}),
        });
      } catch (e) {
        this.logger.error(
          { err: e, topic: batch.topic, partition: batch.partition, token: chunk.token },
          'durable-chunk listener failed',
        );
      }
    }
  }

  /** Writes a prepared chunk (recorded pending), marks it done, advances the partition state. */
  private async writeChunk(
    batch: PartitionBatch,
    chunk: ChunkRecord,
    all: PreparedChunk,
    replay = false,
  ): Promise<void> {
    let prepared = all;
    let duplicates = 0;
    await this.writes.run(async () => {
      const dedup = this.opts.dedup
        ? await this.opts.dedup.filter(
            batch.topic,
            batch.partition,
            all,
            chunk.preparedAtMs ?? Date.now(),
          )
        : undefined;
      try {
        if (dedup) ({ chunk: prepared, duplicates } = dedup);
        await this.writeDeduplicated(batch, chunk, prepared, duplicates, replay);
      } finally {
        await dedup?.release();
      }
    });
    const stored = rowCount(prepared);

    const state = this.states.get(`${batch.topic}:${batch.partition}`);
    if (state) {
      state.lastDone = chunk.lastOffset;
      state.pending = null;
    }
    const now = Date.now();
    this.counters.stored += stored;
    this.counters.deadLettered += prepared.deadLetters.length;
    if (duplicates > 0) {
      this.counters.duplicates += duplicates;
      this.metrics.duplicatesDropped.inc({ topic: batch.topic }, duplicates);
      this.logger.info(
        { topic: batch.topic, partition: batch.partition, token: chunk.token, duplicates },
        'duplicate events dropped (event_id already stored from another offset)',
      );
    }
    if (prepared.table) this.metrics.stored.inc({ table: prepared.table }, stored);
    if (prepared.deadLetters.length > 0) {
      this.metrics.deadLettered.inc({ topic: batch.topic }, prepared.deadLetters.length);
      this.logger.warn(
        {
          topic: batch.topic,
          partition: batch.partition,
          count: prepared.deadLetters.length,
          first: {
            offset: prepared.deadLetters[0].sourceOffset,
            reason: prepared.deadLetters[0].reason,
          },
        },
        'messages dead-lettered',
      );
    }
    for (const t of prepared.eventTimesMs)
      this.metrics.endToEndSeconds.observe({ topic: batch.topic }, Math.max(0, now - t) / 1000);
  }
}

/** Messages validated between two turns of the event loop (≈ 5–10 ms of work). */
const PREPARE_SLICE = 2000;

/** Awaits both; rethrows the first failure only after both settled. */
async function settleBoth<A, B>(a: Promise<A>, b: Promise<B> | undefined): Promise<B | undefined> {
  const [ra, rb] = await Promise.allSettled([a, b]);
  if (ra.status === 'rejected') throw asError(ra.reason);
  if (rb.status === 'rejected') throw asError(rb.reason);
  return rb.value;
}
const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

export const STOREFRONT_TOPICS = [TOPICS.clickstream, TOPICS.orders, TOPICS.inventory];
