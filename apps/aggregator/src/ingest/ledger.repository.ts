import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '@storepulse/clickhouse';
import { toChDateTime64 } from '@storepulse/contracts';

export interface ChunkRecord {
  topic: string;
  partition: number;
  firstOffset: bigint;
  lastOffset: bigint;
  token: string;
  state: 'pending' | 'done';
  rows: number;
  deadLetters: number;
  /** Valid events dropped as duplicates of a stored event_id (0 when absent). */
  duplicates?: number;
  /**
   * Reference time (ms) the chunk's messages are validated against (event-time policy). Persisted with
   * the pending record (as updated_at) so a replay after a crash prepares exactly the same rows.
   */
  preparedAtMs?: number;
}

export interface PartitionLedgerState {
  /** Highest offset whose chunk is fully stored; -1 when none. */
  lastDone: bigint;
  /** A chunk whose data may be partly written: it must be re-run with the same token and range. */
  pending: ChunkRecord | null;
}

/** Port for the exactly-once ledger. */
export interface LedgerPort {
  load(topic: string, partition: number): Promise<PartitionLedgerState>;
  record(chunk: ChunkRecord): Promise<void>;
}

interface LedgerRow {
  first: string;
  last: string;
  token: string;
  state: 'pending' | 'done';
  rows: number;
  dead_letters: number;
  prepared_at_ms: string;
}

export class ClickHouseLedger implements LedgerPort {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly pipeline: string,
  ) {}

  async load(topic: string, partition: number): Promise<PartitionLedgerState> {
    const rows = await queryRows<LedgerRow>(
      this.client,
      `SELECT toString(first_offset) AS first, toString(last_offset) AS last, token, state, rows, dead_letters,
              toString(toUnixTimestamp64Milli(updated_at)) AS prepared_at_ms
       FROM ingest_ledger FINAL
       WHERE pipeline = {pipeline:String} AND topic = {topic:String} AND partition = {partition:UInt32}
       ORDER BY ingest_ledger.first_offset DESC LIMIT 1`,
      { pipeline: this.pipeline, topic, partition },
    );
    const r = rows[0];
    if (!r) return { lastDone: -1n, pending: null };
    const rec: ChunkRecord = {
      topic,
      partition,
      firstOffset: BigInt(r.first),
      lastOffset: BigInt(r.last),
      token: r.token,
      state: r.state,
      rows: Number(r.rows),
      deadLetters: Number(r.dead_letters),
      preparedAtMs: Number(r.prepared_at_ms),
    };
    return rec.state === 'done'
      ? { lastDone: rec.lastOffset, pending: null }
      : { lastDone: rec.firstOffset - 1n, pending: rec };
  }

  async record(c: ChunkRecord): Promise<void> {
    await this.client.insert({
      table: 'ingest_ledger',
      format: 'JSONEachRow',
      values: [
        {
          pipeline: this.pipeline,
          topic: c.topic,
          partition: c.partition,
          first_offset: c.firstOffset.toString(),
          last_offset: c.lastOffset.toString(),
          token: c.token,
          state: c.state,
          rows: c.rows,
          dead_letters: c.deadLetters,
          duplicates: c.duplicates ?? 0,
          ...(c.preparedAtMs !== undefined ? { updated_at: toChDateTime64(c.preparedAtMs) } : {}),
        },
      ],
      clickhouse_settings: { insert_deduplicate: 0, async_insert: 0 },
    });
  }
}
