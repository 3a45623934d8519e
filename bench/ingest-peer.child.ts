import { loadConfig, type AppConfig } from '@storepulse/config';
import {
  createClickHouse,
  queryRows,
  runMigrations,
  type ClickHouseHandle,
} from '@storepulse/clickhouse';
import { createKafka } from '@storepulse/kafka';
import { HealthRegistry, PipelineMetrics, createLogger } from '@storepulse/observability';
import { AggregatorService } from '@storepulse/aggregator';
import { rollupTable, verifyRollups } from '@storepulse/features';
import {
  rollupTotals,
  sigkillWorkload,
  storedVsProduced,
} from '../test/support/aggregator-sigkill';
import {
  PEER_TOPICS,
  installPeer,
  kafkaTableName,
  peerLag,
  peerMessagesRead,
  rawCounts,
  type PeerSettings,
} from './kafka-engine-peer';

/**
 * One ingester in a process of its own, so that its CPU time and peak RSS are its own: the embedded
 * engine runs in-process (its threads — the Kafka engine's consumers, the views, merges — are threads
 * of this process), so `process.cpuUsage()` (getrusage RUSAGE_SELF: every thread) and
 * `resourceUsage().maxRSS` taken here measure all of it, and nothing of the bench's own work.
 *
 * argv[2] is a ChildArgs JSON. Prints READY, then `COUNTERS {"read":…,"stored":…}` every 250 ms;
 * with `expected`, stops once the raw tables hold that many rows and prints `RESULT {json}` (timed
 * from the first message read to the last row stored, then verified); mode `count` prints the
 * exactness report of a data folder after a kill run.
 */
export interface ChildArgs {
  mode: 'peer' | 'aggregator' | 'count';
  dataDir: string;
  database: string;
  brokers: string[];
  groupPrefix: string;
  /** peer: create the Kafka tables (first start); false = a restart on the same data folder. */
  install?: boolean;
  settings?: PeerSettings;
  /** Aggregator config overrides (env-style keys), e.g. CLICKHOUSE_INSERT_MAX_ROWS. */
  env?: Record<string, string>;
  expected?: { clicks: number; lines: number; inventory: number };
  /** count mode: the kill run's workload size (sigkillWorkload(n, 4000, 0)). */
  workload?: number;
}

export interface ChildResult {
  ms: number;
  cpuMs: number;
  maxRssBytes: number;
  raw: { clicks: number; lines: number; inventory: number };
  /** Rows stored twice (same source offset) in the raw tables. */
  doubled: number;
  /** Rollup tables whose every (key, bucket) does not equal the raw rows' aggregation. */
  rollupsOff: string[];
  clicksInUserRollup: number;
  views: string[];
}

export interface CountResult {
  want: Record<string, number>;
  got: Record<string, number>;
  lost: number;
  doubled: number;
  /** Per rollup measure (sum / money / uniq): merged total − the produced events' total. */
  rollupExcess: { table: string; measure: string; excess: number }[];
  rollupsOff: string[];
}

const out = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const a = JSON.parse(process.argv[2] ?? '{}') as ChildArgs;
  const config: AppConfig = loadConfig({
    KAFKA_BROKERS: a.brokers.join(','),
    CLICKHOUSE_DATA_DIR: a.dataDir,
    CLICKHOUSE_DATABASE: a.database,
    AGGREGATOR_GROUP_ID: a.groupPrefix,
    LOG_LEVEL: 'error',
    ...(a.env ?? {}),
  });
  const ch = await createClickHouse(config.clickhouse);
  if (a.mode === 'count') {
    out(`RESULT ${JSON.stringify(await count(ch, a))}`);
    await ch.close();
    return;
  }
  let views: string[] = [];
  if (a.mode === 'peer' && a.install !== false) {
    await runMigrations(ch.client);
    if (!a.settings) throw new Error('peer: settings are required to install the Kafka tables');
    views = await installPeer(ch.client, {
      brokers: a.brokers,
      groupPrefix: a.groupPrefix,
      settings: a.settings,
    });
  }
  let consumed: () => Promise<number>;
  let stored: () => Promise<number>;
  let stop: () => Promise<void> = () => Promise.resolve();
  // done once every stored row's rollups are written too (see peerLag)
  let settled: () => Promise<boolean> = () => Promise.resolve(true);
  const logger = createLogger('error', 'bench-child');
  const kafka = createKafka({ brokers: a.brokers, clientId: 'bench-child', logger });
  if (a.mode === 'aggregator') {
    await runMigrations(ch.client);
    const agg = new AggregatorService(
      config,
      kafka,
      ch,
      logger,
      new PipelineMetrics(false),
      new HealthRegistry(),
    );
    await agg.onApplicationBootstrap();
    consumed = () => Promise.resolve(agg.counters().consumed);
    stored = () => Promise.resolve(agg.counters().stored);
    stop = () => agg.beforeApplicationShutdown();
    views = (
      await queryRows<{ name: string }>(
        ch.client,
        `SELECT name FROM system.tables WHERE database = currentDatabase() AND engine = 'MaterializedView' ORDER BY name`,
      )
    ).map((v) => v.name);
  } else {
    consumed = () => peerMessagesRead(ch.client);
    stored = async () => {
      const c = await rawCounts(ch.client);
      return c.clicks + c.lines + c.inventory;
    };
    settled = async () => (await peerLag(kafka, a.groupPrefix)) === 0n;
  }
  out('READY');
  let read = 0;
  let rows = 0;
  const tick = setInterval(() => out(`COUNTERS ${JSON.stringify({ read, stored: rows })}`), 250);
  process.once('SIGTERM', () => {
    clearInterval(tick);
    stop()
      .then(() => ch.close())
      .then(() => process.exit(0))
      .catch(() => process.exit(1));
  });
  const e = a.expected;
  if (!e) {
    // kill run: counts until killed (or SIGTERM)
    for (;;) {
      read = await consumed();
      rows = await stored();
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const want = e.clicks + e.lines + e.inventory;
  let t0 = 0;
  let cpu0 = process.cpuUsage();
  // the aggregator's counters are in memory; the peer's are queries (count() reads part metadata)
  const every = a.mode === 'aggregator' ? 20 : 50;
  const deadline = Date.now() + 600_000;
  for (;;) {
    read = await consumed();
    if (read > 0 && t0 === 0) {
      t0 = Date.now();
      cpu0 = process.cpuUsage();
    }
    rows = await stored();
    if (rows >= want && (await settled())) break;
    if (Date.now() > deadline)
      throw new Error(`${a.mode}: ${rows}/${want} rows stored after 600 s (read ${read})`);
    await new Promise((r) => setTimeout(r, every));
  }
  const ms = Date.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const maxRssBytes = process.resourceUsage().maxRSS * 1024;
  clearInterval(tick);
  await stop();
  // verified before the figures are reported: exactly the produced rows, each once, rollups = raw
  const raw = await rawCounts(ch.client);
  const [d] = await queryRows<{ doubled: string; clicks: string }>(
    ch.client,
    `SELECT toString((SELECT count() - uniqExact(_partition, _offset) FROM clickstream_events)
                   + (SELECT count() - uniqExact(_partition, _offset, line_no) FROM order_lines)
                   + (SELECT count() - uniqExact(_partition, _offset) FROM inventory_snapshots)) AS doubled,
            toString((SELECT sum(n_events) FROM ${rollupTable('user', 'click', '1m')})) AS clicks`,
  );
  const rollupsOff = (await verifyRollups(ch.client)).filter((c) => !c.ok).map((c) => c.table);
  const result: ChildResult = {
    ms,
    cpuMs: (cpu.user + cpu.system) / 1000,
    maxRssBytes,
    raw,
    doubled: Number(d.doubled),
    rollupsOff,
    clicksInUserRollup: Number(d.clicks),
    views,
  };
  out(`RESULT ${JSON.stringify(result)}`);
  await ch.close();
  process.exit(0);
}

/** After a kill run: what the data folder holds against the workload (nothing is asserted). */
async function count(ch: ClickHouseHandle, a: ChildArgs): Promise<CountResult> {
  // a peer folder would resume consuming on open: its Kafka tables go first (its lag was 0)
  for (const t of PEER_TOPICS)
    await ch.client.command({ query: `DROP TABLE IF EXISTS ${kafkaTableName(t.table)}` });
  const w = sigkillWorkload(a.workload ?? 0, 4000, 0);
  const { want, got, lost, doubled } = await storedVsProduced(ch, w);
  const rollupExcess: CountResult['rollupExcess'] = (await rollupTotals(ch, w)).map((t) => ({
    table: t.table,
    measure: t.measure,
    excess: t.got - t.expected,
  }));
  const rollupsOff = (await verifyRollups(ch.client)).filter((c) => !c.ok).map((c) => c.table);
  return { want, got, lost, doubled, rollupExcess, rollupsOff };
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
