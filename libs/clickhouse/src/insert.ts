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

/** Splits rows into chunks bounded by row count and (estimated JSON) byte size. Deterministic. */
export function chunkRows<T extends object>(rows: readonly T[], limits: ChunkLimits): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = estimateRowBytes(row);
    if (
      current.length > 0 &&
      (current.length >= limits.maxRows || bytes + size > limits.maxBytes)
    ) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

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
    const settings = {
      insert_deduplicate: 1,
      insert_deduplication_token: `${token}/${i}`,
      deduplicate_blocks_in_dependent_materialized_views: 1,
      async_insert: 0,
    } as const;
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
