import type { ClickHouseClient } from '@clickhouse/client';

export interface ChunkLimits {
  maxRows: number;
  maxBytes: number;
}

/**
 * Approximate JSONEachRow size of a row without serialising it (the hot path of every insert):
 * value lengths plus a per-field allowance for keys and punctuation.
 */
export function estimateRowBytes(row: object): number {
  let bytes = 2;
  for (const [key, value] of Object.entries(row)) {
    bytes += key.length + 4;
    if (typeof value === 'string') bytes += value.length + 2;
    else if (typeof value === 'number') bytes += value < 1e6 && value > -1e5 ? 6 : 14;
    else if (value === null || value === undefined) bytes += 4;
    else bytes += JSON.stringify(value).length;
  }
  return bytes;
}

/** Chunk boundaries [start, end) by row count and estimated byte size. Deterministic. */
function chunkBounds(
  n: number,
  sizeOf: (i: number) => number,
  limits: ChunkLimits,
): [number, number][] {
  const bounds: [number, number][] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const size = sizeOf(i);
    if (i > start && (i - start >= limits.maxRows || bytes + size > limits.maxBytes)) {
      bounds.push([start, i]);
      start = i;
      bytes = 0;
    }
    bytes += size;
  }
  if (n > start) bounds.push([start, n]);
  return bounds;
}

/** Splits rows into chunks bounded by row count and (estimated JSON) byte size. Deterministic. */
export function chunkRows<T extends object>(rows: readonly T[], limits: ChunkLimits): T[][] {
  return chunkBounds(rows.length, (i) => estimateRowBytes(rows[i]), limits).map(([a, b]) =>
    rows.slice(a, b),
  );
}

/**
 * Rows already serialised as JSONEachRow bytes (the ingest hot path writes each line once, straight
 * into one buffer). Row i is `body[ends[i-1] .. ends[i])` (its JSON text + '\n') and must equal
 * `JSON.stringify(row) + '\n'`; `sizes[i]` must equal `estimateRowBytes(row)`, so the chunks, tokens
 * and bytes are exactly those `insertIdempotent` would produce from the row objects.
 */
export interface SerializedRows {
  body: Buffer;
  ends: readonly number[];
  sizes: readonly number[];
}

/**
 * Appends JSONEachRow lines to a growing buffer. Lines are encoded in groups (one Buffer.write per
 * group rather than per row); no per-row string outlives its group.
 */
export class JsonLinesWriter {
  private buf: Buffer;
  private off = 0;
  private readonly ends: number[] = [];
  private readonly sizes: number[] = [];
  private group: string[] = [];
  private groupChars = 0;

  constructor(capacityBytes = 1 << 16) {
    this.buf = Buffer.allocUnsafe(Math.max(1024, capacityBytes));
  }

  /** `json` is one row's JSON text (no newline), `size` its estimateRowBytes. */
  push(json: string, size: number): void {
    this.group.push(json);
    this.groupChars += json.length + 1;
    this.sizes.push(size);
    if (this.group.length >= 256) this.flush();
  }

  private flush(): void {
    const lines = this.group;
    if (lines.length === 0) return;
    const text = lines.join('\n') + '\n';
    // UTF-8 needs at most 3 bytes per UTF-16 unit
    const need = this.off + this.groupChars * 3;
    if (need > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
      this.buf.copy(next, 0, 0, this.off);
      this.buf = next;
    }
    const written = this.buf.write(text, this.off, 'utf8');
    // as many bytes as UTF-16 units: all ASCII, each line's bytes are its length + 1
    let end = this.off;
    if (written === text.length) for (const l of lines) this.ends.push((end += l.length + 1));
    else for (const l of lines) this.ends.push((end += Buffer.byteLength(l, 'utf8') + 1));
    this.off += written;
    this.group = [];
    this.groupChars = 0;
  }

  finish(): SerializedRows {
    this.flush();
    return { body: this.buf.subarray(0, this.off), ends: this.ends, sizes: this.sizes };
  }
}

/** The JSON text of each serialised row (without the newline). */
export function serializedLines(s: SerializedRows): string[] {
  return s.ends.map((end, i) => s.body.toString('utf8', i === 0 ? 0 : s.ends[i - 1], end - 1));
}

/**
 * `insertIdempotent` for pre-serialised rows on the embedded engine: the same chunks (by `sizes`),
 * the same tokens, the same bytes; each chunk is a zero-copy slice of `rows.body`.
 */
export async function insertSerialized(
  table: string,
  rows: SerializedRows,
  token: string,
  limits: ChunkLimits,
  insertJsonLines: (
    table: string,
    body: Buffer,
    settings: Record<string, string | number>,
  ) => Promise<void>,
): Promise<number> {
  const n = rows.ends.length;
  const bounds = chunkBounds(n, (i) => rows.sizes[i], limits);
  for (let i = 0; i < bounds.length; i++) {
    const [a, b] = bounds[i];
    await insertJsonLines(
      table,
      rows.body.subarray(a === 0 ? 0 : rows.ends[a - 1], rows.ends[b - 1]),
      insertSettings(`${token}/${i}`),
    );
  }
  return n;
}

const insertSettings = (dedupToken: string) =>
  ({
    insert_deduplicate: 1,
    insert_deduplication_token: dedupToken,
    deduplicate_blocks_in_dependent_materialized_views: 1,
    async_insert: 0,
    // The rollup views of a block run on parallel threads instead of one after another: the embedded
    // engine runs one statement at a time, and this is the one way it uses the second core for an
    // insert (docs/features.md, Benchmarks). Deduplication is per view either way.
    parallel_view_processing: 1,
    // A view's output block is already grouped by the rollup's key; merging it once more before it
    // is written ("as if merged", the default) copies every aggregate state for nothing: −8.5 % engine
    // CPU per row with the 13 views (`npm run bench -- engine`, views+pvp vs shipped), +10 % ingest.
    // Readers never rely on merged parts: every rollup query aggregates, the ledger reads FINAL.
    optimize_on_insert: 0,
    // Raw tables are partitioned by event day: a first-run history or an import spans months in one
    // batch, more than the default 100 partitions per block (the insert would fail, retried forever).
    max_partitions_per_insert_block: '1000',
  }) as const;

/**
 * Inserts rows in chunks (rows and bytes), each with a deterministic deduplication token
 * `${token}/${i}`: retrying the same insert with the same token and rows never duplicates data,
 * in the table or in materialized views fed by it.
 */
export async function insertIdempotent(
  client: ClickHouseClient,
  table: string,
  rows: readonly object[],
  token: string,
  limits: ChunkLimits,
  /** Optional fast path (embedded engine): JSONEachRow bytes straight to the engine. */
  insertJsonLines?: (
    table: string,
    body: Buffer,
    settings: Record<string, string | number>,
  ) => Promise<void>,
): Promise<number> {
  if (rows.length === 0) return 0;
  // One chunking for both paths, so a retry through either path reuses the same tokens.
  const chunks = chunkRows(rows, limits);
  for (let i = 0; i < chunks.length; i++) {
    const settings = insertSettings(`${token}/${i}`);
    if (insertJsonLines) {
      // Embedded engine: JSONEachRow bytes straight to the engine, each row serialised once.
      const body = chunks[i].map((r) => JSON.stringify(r)).join('\n') + '\n';
      await insertJsonLines(table, Buffer.from(body), settings);
    } else {
      await client.insert({
        table,
        values: chunks[i],
        format: 'JSONEachRow',
        clickhouse_settings: settings,
      });
    }
  }
  return rows.length;
}
