import { Partitioners, type KafkaMessage } from 'kafkajs';
import { loadConfig } from '@storepulse/config';
import {
  createClickHouse,
  insertSerialized,
  runMigrations,
  type ClickHouseHandle,
} from '@storepulse/clickhouse';
import { prepareChunk, type PreparedChunk } from '@storepulse/aggregator';
import { verifyRollups } from '@storepulse/features';
import {
  allRollupTables,
  rollupTable,
  viewName,
  type MeasureKind,
  type RollupSpec,
} from '@storepulse/features';
import { tempDir } from '../test/support/env';
import { ingestStorefront, printTable, progress } from './support';

/**
 * npm run bench -- engine   (BENCH_EVENTS, default 300000; BENCH_REPEAT, default 2;
 *                            BENCH_VARIANTS, comma-separated subset of the variant names below)
 * The embedded engine's cost in isolation, without Kafka and without the aggregator's JS: the same
 * simulated events as `npm run bench -- ingest`, split over 3 partitions by the Kafka default
 * partitioner, cut into the aggregator's chunks (50,000 messages) and prepared by `prepareChunk`,
 * then inserted one after another with the aggregator's tokens and settings (`insertSerialized`).
 * Prints µs per raw row (clickstream, order lines, all) for each view setup / insert setting, each
 * repeated in a fresh database; the figures are the best of the repeats (the machine is shared).
 */
const N = Number(process.env.BENCH_EVENTS ?? 300_000);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 2);
/** The aggregator cuts chunks of CLICKHOUSE_INSERT_MAX_ROWS messages (default 50,000). */
const INSERT_ENV = process.env.CLICKHOUSE_INSERT_MAX_ROWS
  ? { CLICKHOUSE_INSERT_MAX_ROWS: process.env.CLICKHOUSE_INSERT_MAX_ROWS }
  : {};
const CHUNK_MESSAGES = loadConfig(INSERT_ENV).clickhouse.insertMaxRows;

interface Variant {
  name: string;
  views: 'none' | 'migrations' | 'hour-from-minute';
  settings?: Record<string, string | number>;
}

/**
 * Every variant runs with the aggregator's own insert settings (`insertSettings`), overridden by
 * its `settings`; `shipped` overrides nothing.
 */
const VARIANTS: Variant[] = [
  { name: 'raw-only', views: 'none' },
  {
    name: 'views',
    views: 'migrations',
    settings: { parallel_view_processing: 0, optimize_on_insert: 1 },
  },
  {
    name: 'views+pvp',
    views: 'migrations',
    settings: { parallel_view_processing: 1, optimize_on_insert: 1 },
  },
  { name: 'shipped', views: 'migrations' },
  {
    name: 'no-skip-index',
    views: 'migrations',
    settings: { materialize_skip_indexes_on_insert: 0 },
  },
  {
    name: 'parallel-parsing',
    views: 'migrations',
    settings: { min_chunk_bytes_for_parallel_parsing: 1 << 20 },
  },
  { name: 'hour-from-minute', views: 'hour-from-minute' },
];

/**
 * The experiment of commit 342fb3d (reverted: no gain), re-created here so it stays measurable: the
 * hour view of every rollup with minute buckets reads the minute rollup table instead of raw.
 */
function cascadeStateExpr(kind: MeasureKind, column: string): string {
  switch (kind) {
    case 'sum':
    case 'money':
      return `sum(${column})`;
    case 'uniq':
      return `uniqExactMergeState(${column})`;
    case 'max_ts':
      return `max(${column})`;
    case 'min_ts':
      return `min(${column})`;
    case 'arg_max_decimal':
    case 'arg_max_int':
      return `argMaxMergeState(${column})`;
  }
}
function hourFromMinuteView(spec: RollupSpec): string[] {
  const hour = rollupTable(spec.entity, spec.source, '1h');
  return [
    `DROP VIEW IF EXISTS ${viewName(hour)}`,
    `CREATE MATERIALIZED VIEW ${viewName(hour)} TO ${hour} AS ` +
      `SELECT ${spec.keyColumn}, toStartOfHour(bucket) AS bucket, ` +
      spec.measures.map((m) => `${cascadeStateExpr(m.kind, m.name)} AS ${m.name}`).join(', ') +
      ` FROM ${rollupTable(spec.entity, spec.source, '1m')} GROUP BY ${spec.keyColumn}, bucket`,
  ];
}

function chunksOf(n: number): { topic: string; chunk: PreparedChunk; token: string }[] {
  const sf = ingestStorefront();
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = [0, 1, 2].map((partitionId) => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));
  const byTp = new Map<string, KafkaMessage[]>();
  let seen = 0;
  for (const batch of sf.history(Date.now(), 100_000)) {
    for (const m of batch) {
      if (seen >= n) break;
      const p = partitioner({
        topic: m.topic,
        partitionMetadata,
        message: { key: m.key, value: m.value },
      });
      const k = `${m.topic}|${p}`;
      const l = byTp.get(k) ?? [];
      l.push({
        key: Buffer.from(m.key),
        value: m.value,
        offset: String(l.length),
        timestamp: String(Math.floor(m.timestampMs)),
        attributes: 0,
        headers: {},
      });
      byTp.set(k, l);
      seen++;
    }
    if (seen >= n) break;
  }
  const out: { topic: string; chunk: PreparedChunk; token: string }[] = [];
  const now = new Date();
  for (const [k, msgs] of byTp) {
    const [topic, p] = k.split('|');
    for (let i = 0; i < msgs.length; i += CHUNK_MESSAGES) {
      const part = msgs.slice(i, i + CHUNK_MESSAGES);
      const chunk = prepareChunk(part, {
        topic,
        partition: Number(p),
        consumerGroup: 'bench',
        now,
      });
      out.push({
        topic,
        chunk,
        token: `bench/${topic}/${p}/${part[0].offset}-${part[part.length - 1].offset}`,
      });
    }
  }
  return out;
}

async function runVariant(
  ch: ClickHouseHandle,
  chunks: ReturnType<typeof chunksOf>,
  v: Variant,
  limits: { maxRows: number; maxBytes: number },
): Promise<{ per: Map<string, { rows: number; ms: number }>; cpuMs: number }> {
  const insert = ch.insertJsonLines;
  if (!insert) throw new Error('embedded engine expected');
  const withSettings = (table: string, body: Buffer, s: Record<string, string | number>) =>
    insert(table, body, { ...s, ...(v.settings ?? {}) });
  const per = new Map<string, { rows: number; ms: number }>();
  const cpu0 = process.cpuUsage();
  for (const { chunk, token } of chunks) {
    const ser = chunk.serialized;
    if (!ser) throw new Error('serialized chunk expected');
    const t0 = performance.now();
    await insertSerialized(chunk.table, ser, `${token}/${chunk.table}`, limits, withSettings);
    const ms = performance.now() - t0;
    const s = per.get(chunk.table) ?? { rows: 0, ms: 0 };
    s.rows += ser.ends.length;
    s.ms += ms;
    per.set(chunk.table, s);
  }
  const cpu = process.cpuUsage(cpu0);
  return { per, cpuMs: (cpu.user + cpu.system) / 1000 };
}

async function main(): Promise<void> {
  progress(`generating and preparing ${N} simulated events`);
  const chunks = chunksOf(N);
  const names = process.env.BENCH_VARIANTS?.split(',');
  const variants = VARIANTS.filter((v) => !names || names.includes(v.name));
  const dataDir = tempDir('bench-engine');
  const best = new Map<string, { per: Map<string, { rows: number; ms: number }>; cpuUs: number }>();
  let version = '';
  for (let r = 0; r < REPEAT; r++)
    for (const v of variants) {
      const database = `bench_engine_${v.name.replace(/[^a-z0-9]/g, '_')}_${r}`;
      const config = loadConfig({
        ...INSERT_ENV,
        CLICKHOUSE_DATA_DIR: dataDir,
        CLICKHOUSE_DATABASE: database,
      });
      const ch = await createClickHouse(config.clickhouse);
      try {
        await runMigrations(ch.client);
        if (v.views === 'none')
          for (const { table } of allRollupTables())
            await ch.client.command({ query: `DROP VIEW IF EXISTS ${viewName(table)}` });
        if (v.views === 'hour-from-minute')
          for (const { spec, g } of allRollupTables())
            if (g === '1h' && spec.granularities.includes('1m'))
              for (const query of hourFromMinuteView(spec)) await ch.client.command({ query });
        const limits = {
          maxRows: config.clickhouse.insertMaxRows,
          maxBytes: config.clickhouse.insertMaxBytes,
        };
        const { per, cpuMs } = await runVariant(ch, chunks, v, limits);
        const total = [...per.values()].reduce((a, s) => a + s.ms, 0);
        const rowsAll = [...per.values()].reduce((a, s) => a + s.rows, 0);
        const cpuUs = (1000 * cpuMs) / rowsAll;
        progress(
          `${v.name} #${r + 1}: ${total.toFixed(0)} ms wall, ${cpuUs.toFixed(2)} µs CPU/row; ` +
            [...per]
              .map(([t, s]) => `${t} ${((1000 * s.ms) / s.rows).toFixed(2)} µs/row`)
              .join(', '),
        );
        const prev = best.get(v.name);
        const prevTotal = prev ? [...prev.per.values()].reduce((a, s) => a + s.ms, 0) : Infinity;
        if (total < prevTotal)
          best.set(v.name, { per, cpuUs: Math.min(cpuUs, prev?.cpuUs ?? cpuUs) });
        else if (prev) prev.cpuUs = Math.min(prev.cpuUs, cpuUs);
        if (r === 0 && v.views !== 'none') {
          const bad = (await verifyRollups(ch.client)).filter((c) => !c.ok).map((c) => c.table);
          if (bad.length > 0) throw new Error(`${v.name}: rollups differ from raw: ${bad.join()}`);
        }
        version ||= await ch.version();
        await ch.client.command({ query: `DROP DATABASE ${database}` });
        await ch.client.command({ query: 'USE default' });
      } finally {
        await ch.close();
      }
    }
  const us = (s: { rows: number; ms: number } | undefined) =>
    s ? `${((1000 * s.ms) / s.rows).toFixed(2)}` : '-';
  const rows: [string, string][] = [];
  for (const v of variants) {
    const b = best.get(v.name);
    if (!b) continue;
    const per = b.per;
    const tot = [...per.values()].reduce((a, s) => ({ rows: a.rows + s.rows, ms: a.ms + s.ms }), {
      rows: 0,
      ms: 0,
    });
    rows.push([
      `${v.name}: wall µs/row clickstream / order lines / all; CPU µs/row`,
      `${us(per.get('clickstream_events'))} / ${us(per.get('order_lines'))} / ${us(tot)}; ${b.cpuUs.toFixed(2)}`,
    ]);
  }
  rows.push(
    ['events', `${N} (${chunks.length} chunks of up to ${CHUNK_MESSAGES} messages)`],
    ['repeats (best wall time; lowest CPU time)', String(REPEAT)],
    ['ClickHouse', `${version} (embedded, chdb)`],
  );
  printTable('engine cost in isolation: prepared chunks → embedded ClickHouse', rows);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
