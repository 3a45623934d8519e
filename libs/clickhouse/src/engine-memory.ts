// What the ClickHouse engine itself holds in memory, from its own system tables: with the embedded
// engine this is native memory inside our process, invisible to the V8 heap figures, so a growing
// RSS can be attributed (issue #14's soak).
import type { ClickHouseClient } from '@clickhouse/client';
import { Gauge, type Registry } from 'prom-client';
import { queryRows } from './client';

/** Bytes per kind, as the engine reports them. */
export interface EngineMemory {
  /** `MemoryTracking`: everything the engine's allocator tracks (queries, caches, merges, parts). */
  tracked: number;
  markCache: number;
  uncompressedCache: number;
  primaryIndexCache: number;
  queryCache: number;
  /** Primary keys of the active parts held in memory (`system.parts`). */
  primaryKeys: number;
  /** Active data parts of the database (each holds its index and marks). */
  activeParts: number;
}

const METRICS: Record<string, keyof EngineMemory> = {
  MemoryTracking: 'tracked',
  MarkCacheBytes: 'markCache',
  UncompressedCacheBytes: 'uncompressedCache',
  PrimaryIndexCacheBytes: 'primaryIndexCache',
  QueryCacheBytes: 'queryCache',
};

/** Reads the engine's memory figures (two small system-table queries). I/O errors propagate. */
export async function readEngineMemory(
  client: ClickHouseClient,
  database: string,
): Promise<EngineMemory> {
  const out: EngineMemory = {
    tracked: 0,
    markCache: 0,
    uncompressedCache: 0,
    primaryIndexCache: 0,
    queryCache: 0,
    primaryKeys: 0,
    activeParts: 0,
  };
  const metrics = await queryRows<{ metric: string; value: string }>(
    client,
    'SELECT metric, toString(value) AS value FROM system.metrics WHERE metric IN {names:Array(String)}',
    { names: Object.keys(METRICS) },
  );
  for (const row of metrics) {
    const key = METRICS[row.metric];
    if (key) out[key] = Number(row.value);
  }
  const [p] = await queryRows<{ bytes: string; parts: string }>(
    client,
    `SELECT toString(sum(primary_key_bytes_in_memory_allocated)) AS bytes, toString(count()) AS parts
     FROM system.parts WHERE active AND database = {db:String}`,
    { db: database },
  );
  if (p) {
    out.primaryKeys = Number(p.bytes);
    out.activeParts = Number(p.parts);
  }
  return out;
}

export const ENGINE_MEMORY_METRIC = 'storepulse_clickhouse_memory_bytes';
export const ENGINE_PARTS_METRIC = 'storepulse_clickhouse_active_parts';

const KINDS: Record<Exclude<keyof EngineMemory, 'activeParts'>, string> = {
  tracked: 'tracked',
  markCache: 'mark_cache',
  uncompressedCache: 'uncompressed_cache',
  primaryIndexCache: 'primary_index_cache',
  queryCache: 'query_cache',
  primaryKeys: 'primary_keys',
};

/**
 * `storepulse_clickhouse_memory_bytes{kind}` and `storepulse_clickhouse_active_parts`, read from the
 * engine at scrape time. A failed read leaves both without series for that scrape (no made-up zero)
 * and is reported to `onError`. Registered once per registry: a second call (another module on the
 * same registry) keeps the first pair.
 */
export function createEngineMemoryGauges(
  registry: Registry,
  read: () => Promise<EngineMemory>,
  onError: (err: unknown) => void,
  database = 'storepulse',
): { memory: Gauge<'kind'>; parts: Gauge<'database'> } {
  const existing = registry.getSingleMetric(ENGINE_MEMORY_METRIC);
  const existingParts = registry.getSingleMetric(ENGINE_PARTS_METRIC);
  if (existing instanceof Gauge && existingParts instanceof Gauge)
    return {
      memory: existing,
      parts: existingParts,
    };
  let last: Promise<EngineMemory | null> | null = null;
  // one read serves both gauges of a scrape
  const once = () => {
    last ??= read()
      .catch((err: unknown) => {
        onError(err);
        return null;
      })
      .finally(() => setTimeout(() => (last = null), 0));
    return last;
  };
  const memory = new Gauge({
    name: ENGINE_MEMORY_METRIC,
    help: 'Memory the ClickHouse engine reports, per kind (tracked = its allocator total; the caches; primary keys of active parts). Embedded: native memory of this process',
    labelNames: ['kind'] as const,
    registers: [registry],
    async collect() {
      const m = await once();
      this.reset();
      if (m)
        for (const [k, kind] of Object.entries(KINDS))
          this.set({ kind }, m[k as keyof typeof KINDS]);
    },
  });
  const parts = new Gauge({
    name: ENGINE_PARTS_METRIC,
    help: 'Active data parts in the ClickHouse database',
    // a label, so that a failed read can leave no series (an unlabelled gauge always prints one)
    labelNames: ['database'] as const,
    registers: [registry],
    async collect() {
      const m = await once();
      this.reset();
      if (m) this.set({ database }, m.activeParts);
    },
  });
  return { memory, parts };
}
