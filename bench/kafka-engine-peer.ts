import type { Kafka } from 'kafkajs';
import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '@storepulse/clickhouse';
import { TOPICS } from '@storepulse/contracts';
import { RAW_TABLE_BY_TOPIC } from '@storepulse/aggregator';
import { allRollupTables, viewName } from '@storepulse/features';

/**
 * The peer a user would pick instead of the aggregator: ClickHouse's own Kafka table engine (in the
 * same embedded engine) feeding materialized views into the SAME raw tables, whose own views (the 13
 * rollups of migrations 0006/0007) then run exactly as for the aggregator. Nothing here copies a
 * column list or a view: the Kafka tables and their views are generated from the raw tables as the
 * migrations left them (system.columns), so a migration that changes a raw table changes the peer
 * too (test/kafka-engine-peer.int.spec.ts creates and fills it from a real topic).
 */

/** Columns the aggregator fills from the Kafka record itself, not from the JSON payload. */
const SOURCE_COLUMNS = ['_topic', '_partition', '_offset'] as const;

/** One storefront topic and how its JSON maps to its raw table. */
export interface PeerTopic {
  topic: string;
  table: string;
  /**
   * A message that becomes one row per element of an array (orders: one row per item). `columns`
   * are the raw columns read from each element; `index` is the 0-based element number (line_no).
   */
  items?: { field: string; index: string; columns: readonly string[] };
}

export const PEER_TOPICS: readonly PeerTopic[] = [
  { topic: TOPICS.clickstream, table: RAW_TABLE_BY_TOPIC[TOPICS.clickstream] },
  {
    topic: TOPICS.orders,
    table: RAW_TABLE_BY_TOPIC[TOPICS.orders],
    items: { field: 'items', index: 'line_no', columns: ['sku', 'category', 'qty', 'unit_price'] },
  },
  { topic: TOPICS.inventory, table: RAW_TABLE_BY_TOPIC[TOPICS.inventory] },
];

/** The three knobs of the Kafka engine that are swept (plus the flush interval, fixed per run). */
export interface PeerSettings {
  numConsumers: number;
  maxBlockSize: number;
  threadPerConsumer: boolean;
  flushIntervalMs: number;
}

export const describeSettings = (s: PeerSettings): string =>
  `kafka_num_consumers=${s.numConsumers}, kafka_max_block_size=${s.maxBlockSize}, kafka_thread_per_consumer=${s.threadPerConsumer ? 1 : 0}, kafka_flush_interval_ms=${s.flushIntervalMs}`;

export const kafkaTableName = (table: string) => `peer_kafka_${table}`;
export const peerViewName = (table: string) => `peer_mv_${table}`;
/** One consumer group per Kafka table (each subscribes to one topic). */
export const peerGroup = (prefix: string, topic: string) => `${prefix}-${topic}`;

interface Column {
  name: string;
  type: string;
  default_kind: string;
}

/**
 * DDL of the peer over the database's current raw tables: per topic a Kafka engine table with the
 * raw table's payload columns (types as stored; JSONEachRow, ISO timestamps) and a materialized view
 * into the raw table that adds the record's topic, partition and offset. Columns with a DEFAULT or
 * MATERIALIZED expression (ingested_at, amount) are left to the raw table, as for the aggregator.
 */
export async function peerDdl(
  client: ClickHouseClient,
  o: { brokers: readonly string[]; groupPrefix: string; settings: PeerSettings },
  topics: readonly PeerTopic[] = PEER_TOPICS,
): Promise<string[]> {
  const out: string[] = [];
  for (const t of topics) {
    const cols = await queryRows<Column>(
      client,
      `SELECT name, type, default_kind FROM system.columns
       WHERE database = currentDatabase() AND table = {table:String} ORDER BY position`,
      { table: t.table },
    );
    if (cols.length === 0) throw new Error(`peer: raw table ${t.table} does not exist`);
    for (const c of SOURCE_COLUMNS)
      if (!cols.some((x) => x.name === c))
        throw new Error(`peer: raw table ${t.table} has no column ${c}`);
    const payload = cols.filter(
      (c) => c.default_kind === '' && !(SOURCE_COLUMNS as readonly string[]).includes(c.name),
    );
    const items = t.items;
    if (items) {
      for (const name of [...items.columns, items.index])
        if (!payload.some((c) => c.name === name))
          throw new Error(
            `peer: ${t.table}.${name} (an ${items.field} column) is not a payload column`,
          );
    }
    const itemCols = items ? payload.filter((c) => items.columns.includes(c.name)) : [];
    const top = payload.filter(
      (c) => !items || (!items.columns.includes(c.name) && c.name !== items.index),
    );
    const kafkaCols = top.map((c) => `\`${c.name}\` ${c.type}`);
    if (items)
      kafkaCols.push(
        `\`${items.field}\` Array(Tuple(${itemCols.map((c) => `\`${c.name}\` ${c.type}`).join(', ')}))`,
      );
    const s = o.settings;
    const kafka = kafkaTableName(t.table);
    out.push(
      `CREATE TABLE ${kafka} (${kafkaCols.join(', ')}) ENGINE = Kafka SETTINGS ` +
        [
          `kafka_broker_list = '${o.brokers.join(',')}'`,
          `kafka_topic_list = '${t.topic}'`,
          `kafka_group_name = '${peerGroup(o.groupPrefix, t.topic)}'`,
          `kafka_format = 'JSONEachRow'`,
          `kafka_num_consumers = ${s.numConsumers}`,
          `kafka_max_block_size = ${s.maxBlockSize}`,
          `kafka_thread_per_consumer = ${s.threadPerConsumer ? 1 : 0}`,
          `kafka_flush_interval_ms = ${s.flushIntervalMs}`,
          // the producers' canonical ISO-8601 UTC timestamps (…T…Z)
          `date_time_input_format = 'best_effort'`,
        ].join(', '),
    );
    // every raw payload column in table order, then the record's coordinates
    const select = payload.map((c) => {
      if (!items) return `\`${c.name}\``;
      if (c.name === items.index) return `toUInt16(item_no - 1) AS \`${c.name}\``;
      if (items.columns.includes(c.name)) return `tupleElement(item, '${c.name}') AS \`${c.name}\``;
      return `\`${c.name}\``;
    });
    out.push(
      `CREATE MATERIALIZED VIEW ${peerViewName(t.table)} TO ${t.table} AS SELECT ${[...select, ...SOURCE_COLUMNS].join(', ')} FROM ${kafka}` +
        (items
          ? ` ARRAY JOIN \`${items.field}\` AS item, arrayEnumerate(\`${items.field}\`) AS item_no`
          : ''),
    );
  }
  return out;
}

/**
 * Prepares a database that `runMigrations` created for the peer: drops every materialized view that
 * is not one of the rollups (the event_id index of the aggregator's deduplication: the peer has no
 * use for it), then creates the Kafka tables and their views. Returns the rollup views kept.
 */
export async function installPeer(
  client: ClickHouseClient,
  o: { brokers: readonly string[]; groupPrefix: string; settings: PeerSettings },
): Promise<string[]> {
  const rollupViews = new Set(allRollupTables().map((r) => viewName(r.table)));
  const views = await queryRows<{ name: string }>(
    client,
    `SELECT name FROM system.tables WHERE database = currentDatabase() AND engine = 'MaterializedView'`,
  );
  for (const v of views)
    if (!rollupViews.has(v.name)) await client.command({ query: `DROP VIEW ${v.name}` });
  const kept = views.map((v) => v.name).filter((n) => rollupViews.has(n));
  if (kept.length !== rollupViews.size)
    throw new Error(
      `peer: expected the ${rollupViews.size} rollup views of the migrations, found ${kept.length}`,
    );
  for (const query of await peerDdl(client, o)) await client.command({ query });
  return kept.sort();
}

/** Messages the peer's consumers have read so far (system.kafka_consumers of this database). */
export async function peerMessagesRead(client: ClickHouseClient): Promise<number> {
  const [r] = await queryRows<{ n: string }>(
    client,
    `SELECT toString(sum(num_messages_read)) AS n FROM system.kafka_consumers WHERE database = currentDatabase()`,
  );
  return Number(r?.n ?? 0);
}

/** Rows in the three raw tables. */
export async function rawCounts(
  client: ClickHouseClient,
): Promise<{ clicks: number; lines: number; inventory: number }> {
  const [r] = await queryRows<{ clicks: string; lines: string; inventory: string }>(
    client,
    `SELECT toString((SELECT count() FROM clickstream_events)) AS clicks,
            toString((SELECT count() FROM order_lines)) AS lines,
            toString((SELECT count() FROM inventory_snapshots)) AS inventory`,
  );
  return { clicks: Number(r.clicks), lines: Number(r.lines), inventory: Number(r.inventory) };
}

/**
 * Messages of the storefront topics not yet committed by the peer's groups. The Kafka engine
 * commits a block's offsets only after the block went through its view into the raw table and the
 * raw table's views: 0 means every rollup is written (raw rows become visible before the last
 * rollup view of their block has run).
 */
export async function peerLag(
  kafka: Kafka,
  groupPrefix: string,
  topics: readonly PeerTopic[] = PEER_TOPICS,
): Promise<bigint> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    let lag = 0n;
    for (const t of topics) {
      const ends = await admin.fetchTopicOffsets(t.topic);
      const [g] = await admin.fetchOffsets({
        groupId: peerGroup(groupPrefix, t.topic),
        topics: [t.topic],
      });
      for (const e of ends) {
        const c = BigInt(g?.partitions.find((p) => p.partition === e.partition)?.offset ?? '-1');
        lag += BigInt(e.high) - (c < 0n ? 0n : c);
      }
    }
    return lag;
  } finally {
    await admin.disconnect();
  }
}
