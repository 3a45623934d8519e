import type { ClickHouseClient } from '@clickhouse/client';

export interface ChunkLimits {
  maxRows: number;
  maxBytes: number;
}

/** Splits rows into chunks bounded by row count and (approximate JSON) byte size. Deterministic. */
export function chunkRows<T>(rows: readonly T[], limits: ChunkLimits): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = JSON.stringify(row).length + 1;
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
  if (insertJsonLines) {
    // Same chunk boundaries as chunkRows (same sizes), serialising each row once.
    const lines = rows.map((r) => JSON.stringify(r));
    let i = 0;
    let start = 0;
    let bytes = 0;
    const flush = async (end: number) => {
      await insertJsonLines(table, Buffer.from(lines.slice(start, end).join('\n') + '\n'), {
        insert_deduplicate: 1,
        insert_deduplication_token: `${token}/${i}`,
        deduplicate_blocks_in_dependent_materialized_views: 1,
        async_insert: 0,
      });
      i++;
      start = end;
      bytes = 0;
    };
    for (let k = 0; k < lines.length; k++) {
      const size = lines[k].length + 1;
      if (k > start && (k - start >= limits.maxRows || bytes + size > limits.maxBytes))
        await flush(k);
      bytes += size;
    }
    await flush(lines.length);
    return rows.length;
  }
  const chunks = chunkRows(rows, limits);
  for (let i = 0; i < chunks.length; i++) {
    await client.insert({
      table,
      values: chunks[i],
      format: 'JSONEachRow',
      clickhouse_settings: {
        insert_deduplicate: 1,
        insert_deduplication_token: `${token}/${i}`,
        deduplicate_blocks_in_dependent_materialized_views: 1,
        async_insert: 0,
      },
    });
  }
  return rows.length;
}
