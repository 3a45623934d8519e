// Exactly-once of the aggregator under SIGKILL, used by the fault suite (case 1, 10 kills; it replaced
// the older features-sigkill e2e test, whose 5 kills on a produced backlog it covers): the simulated workload and its expected values computed
// from the produced events (the TypeScript oracle of libs/features, no SQL), the kill loop over the
// aggregator child (test/support/aggregator-child), and the exact comparison of raw rows, every
// rollup and the users' features afterwards.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Kafka, Message } from 'kafkajs';
import { queryRows, type ClickHouseHandle } from '@storepulse/clickhouse';
import { TOPICS } from '@storepulse/contracts';
import {
  FeatureStore,
  ROLLUPS,
  ReferenceFeatures,
  mergeExpr,
  refFromPayloads,
  rollupTable,
  verifyRollups,
  type RefData,
} from '@storepulse/features';
import { Prng, Storefront } from '@storepulse/simulator';
import { startChild, type ChildHandle } from './child-process';
import { testBrokers } from './env';
import { produce, waitFor } from './kafka';

const DAY = 86_400_000;
export const SIGKILL_START_MS = Date.UTC(2026, 9, 1);
const INPUT_TOPICS = [TOPICS.clickstream, TOPICS.orders, TOPICS.inventory];

/** The aggregator child's COUNTERS line (IngestCounters). */
export interface AggregatorChildCounters {
  consumed: number;
  stored: number;
  deadLettered: number;
  skippedRedelivered: number;
  replayedChunks: number;
  repairedRows: number;
  reconciledGroups: number;
}

export interface SigkillWorkload {
  n: number;
  /** Slices of ~`per` messages, grouped by topic, in production order. */
  parts: { topic: string; messages: Message[] }[][];
  /** The valid events as oracle rows. */
  ref: RefData;
  /** Messages the simulator generated invalid (each must be dead-lettered once). */
  invalid: number;
}

/**
 * `n` simulated storefront messages (`invalidRate`, default 0.5 %, invalid) from a fixed seed, and
 * what they must yield.
 */
export function sigkillWorkload(n: number, per = 4000, invalidRate = 0.005): SigkillWorkload {
  const sf = new Storefront({
    seed: 21,
    users: 3000,
    skus: 300,
    invalidRate,
    startMs: SIGKILL_START_MS,
  });
  const msgs: { topic: string; m: Message; valid: boolean; value: Buffer }[] = [];
  outer: for (const chunk of sf.history(SIGKILL_START_MS + 60 * DAY, 25_000)) {
    for (const m of chunk) {
      msgs.push({
        topic: m.topic,
        valid: m.valid,
        value: m.value,
        // no Kafka timestamp: simulated event times are months old and the
        // topics' 7-day retention would delete them under the test
        m: { key: m.key, value: m.value },
      });
      if (msgs.length >= n) break outer;
    }
  }
  assert.equal(msgs.length, n, 'the simulator produced the requested number of messages');
  const valid = { click: [] as unknown[], order: [] as unknown[], inv: [] as unknown[] };
  let invalid = 0;
  for (const x of msgs) {
    if (!x.valid) {
      invalid++;
      continue;
    }
    const o: unknown = JSON.parse(x.value.toString('utf8'));
    if (x.topic === TOPICS.clickstream) valid.click.push(o);
    else if (x.topic === TOPICS.orders) valid.order.push(o);
    else valid.inv.push(o);
  }
  const parts: SigkillWorkload['parts'] = [];
  for (let i = 0; i < msgs.length; i += per) {
    const byTopic = new Map<string, Message[]>();
    for (const x of msgs.slice(i, i + per)) {
      const l = byTopic.get(x.topic) ?? [];
      l.push(x.m);
      byTopic.set(x.topic, l);
    }
    parts.push([...byTopic.entries()].map(([topic, messages]) => ({ topic, messages })));
  }
  return { n, parts, ref: refFromPayloads(valid.click, valid.order, valid.inv), invalid };
}

/** Produces slices [from, to) of the workload, paced to ~`rate` messages/s (Infinity: at once). */
export async function produceParts(
  kafka: Kafka,
  w: SigkillWorkload,
  rate: number,
  from = 0,
  to = w.parts.length,
): Promise<void> {
  const t0 = Date.now();
  let sent = 0;
  for (const part of w.parts.slice(from, to)) {
    for (const p of part) await produce(kafka, p.topic, p.messages);
    sent += part.reduce((a, p) => a + p.messages.length, 0);
    const ahead = (sent / rate) * 1000 - (Date.now() - t0);
    if (ahead > 0) await new Promise((r) => setTimeout(r, ahead));
  }
}

/** Uncommitted messages of `groupId` over the three input topics (end offsets − committed). */
export async function groupLag(kafka: Kafka, groupId: string): Promise<bigint> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    let total = 0n;
    for (const topic of INPUT_TOPICS) {
      const ends = await admin.fetchTopicOffsets(topic);
      const [g] = await admin.fetchOffsets({ groupId, topics: [topic] });
      for (const e of ends) {
        const c = g?.partitions.find((p) => p.partition === e.partition)?.offset ?? '-1';
        total += BigInt(e.high) - (BigInt(c) < 0n ? 0n : BigInt(c));
      }
    }
    return total;
  } finally {
    await admin.disconnect();
  }
}

/** Starts the aggregator child over the embedded engine in `dataDir`. */
export function startAggregatorChild(
  dataDir: string,
  groupId: string,
  brokers: readonly string[] = testBrokers(),
): ChildHandle<AggregatorChildCounters> {
  return startChild<AggregatorChildCounters>({
    script: join(__dirname, 'aggregator-child.js'),
    env: {
      NODE_ENV: 'test',
      KAFKA_BROKERS: brokers.join(','),
      CLICKHOUSE_DATA_DIR: dataDir,
      AGGREGATOR_GROUP_ID: groupId,
      AGGREGATOR_SESSION_TIMEOUT_MS: '6000',
      // small chunks: many ledger transitions and a slower child, so every kill lands mid-ingest
      CLICKHOUSE_INSERT_MAX_ROWS: '500',
      FEATURES_ALLOWED_LATENESS_MS: String(3650 * DAY),
      LOG_LEVEL: 'error',
    },
    readyTimeoutMs: 120_000,
  });
}

export interface KillRecord {
  /** ms the incarnation had been consuming when it was killed. */
  afterMs: number;
  /** ms since its first stored chunk (the delay drawn by `killAfterMs`). */
  afterStoringMs: number;
  /** Uncommitted messages when it was killed (> 0: the kill landed mid-ingest). */
  lagAtKill: bigint;
  /** SIGKILL → the next incarnation consuming again (its first counted message). */
  downtimeMs: number;
  counters: AggregatorChildCounters | undefined;
}

export interface KillLoopResult {
  kills: KillRecord[];
  /** The last incarnation's READY → the group caught up (lag 0). */
  recoveryMs: number;
  /** The whole loop, first start → caught up and stopped. */
  totalMs: number;
  /** Pending chunks re-run after kills (sum of the killed incarnations' last counters). */
  replayedChunks: number;
  last: AggregatorChildCounters | undefined;
}

/**
 * Starts the aggregator child `kills + 1` times; each of the first `kills` incarnations is SIGKILLed
 * `killAfterMs()` after its first chunk was stored (so each one makes progress, however slow the
 * machine). The last one runs until the group has no lag, then is
 * stopped with SIGTERM. `onKill` is called after each kill (e.g. to print progress).
 */
export async function killLoop(o: {
  kafka: Kafka;
  dataDir: string;
  groupId: string;
  kills: number;
  killAfterMs: () => number;
  /** The broker the children use (default: the test broker, KAFKA_BROKERS). */
  brokers?: readonly string[];
  catchUpTimeoutMs?: number;
  onKill?: (i: number, k: KillRecord) => void;
  /** Progress of the last incarnation's catch-up, every 10 s. */
  onProgress?: (line: string) => void;
}): Promise<KillLoopResult> {
  const t0 = Date.now();
  const kills: KillRecord[] = [];
  let killedAt: number | undefined;
  let replayedChunks = 0;
  for (let i = 0; ; i++) {
    const c = startAggregatorChild(o.dataDir, o.groupId, o.brokers);
    await c.ready;
    const readyAt = Date.now();
    const final = i === o.kills;
    // the last incarnation may find nothing left (the previous one committed the end before its kill)
    await waitFor(
      async () =>
        (c.last()?.consumed ?? 0) > 0 || (final && (await groupLag(o.kafka, o.groupId)) === 0n),
      120_000,
      `incarnation ${i + 1} consuming`,
      final ? 250 : 50,
    );
    const consumingAt = Date.now();
    if (killedAt !== undefined) kills[kills.length - 1].downtimeMs = consumingAt - killedAt;
    if (!final) {
      // every incarnation makes progress before its kill, however loaded the machine
      const base = c.last();
      await waitFor(
        () =>
          Promise.resolve(
            (c.last()?.stored ?? 0) + (c.last()?.deadLettered ?? 0) >
              (base?.stored ?? 0) + (base?.deadLettered ?? 0),
          ),
        120_000,
        `incarnation ${i + 1} storing`,
        50,
      );
    }
    const storingAt = Date.now();
    if (final) {
      let shown = Date.now();
      await waitFor(
        async () => {
          const lag = await groupLag(o.kafka, o.groupId);
          if (Date.now() - shown >= 10_000) {
            shown = Date.now();
            o.onProgress?.(
              `catching up: lag ${lag}, stored ${c.last()?.stored ?? 0} by the last incarnation, ${((Date.now() - readyAt) / 1000).toFixed(0)} s since its start`,
            );
          }
          return lag === 0n;
        },
        o.catchUpTimeoutMs ?? 240_000,
        'consumer group caught up',
        500,
      );
      const recoveryMs = Date.now() - readyAt;
      const last = c.last();
      await c.kill('SIGTERM');
      return { kills, recoveryMs, totalMs: Date.now() - t0, replayedChunks, last };
    }
    const after = o.killAfterMs();
    await new Promise((r) => setTimeout(r, Math.max(0, after - (Date.now() - storingAt))));
    const lagAtKill = await groupLag(o.kafka, o.groupId);
    await c.kill('SIGKILL');
    killedAt = Date.now();
    const counters = c.last();
    replayedChunks += counters?.replayedChunks ?? 0;
    const k: KillRecord = {
      afterMs: killedAt - consumingAt,
      afterStoringMs: killedAt - storingAt,
      lagAtKill,
      downtimeMs: 0,
      counters,
    };
    kills.push(k);
    o.onKill?.(i, k);
  }
}

/** What the store holds against what was produced. */
export interface ExactnessReport {
  want: { clicks: number; lines: number; units: number; inventory: number; dead: number };
  got: { clicks: number; lines: number; units: number; inventory: number; dead: number };
  /** Produced rows (raw + dead letters) missing from the store. */
  lost: number;
  /** Rows stored more than once (same source offset, or same click event id). */
  doubled: number;
  rollupMeasures: number;
  usersChecked: number;
  featureValues: number;
}

/** Raw rows and dead letters in the store against the workload: counts, lost, doubled. */
export async function storedVsProduced(
  ch: ClickHouseHandle,
  w: SigkillWorkload,
): Promise<Pick<ExactnessReport, 'want' | 'got' | 'lost' | 'doubled'>> {
  const [raw] = await queryRows<Record<string, string>>(
    ch.client,
    `SELECT toString((SELECT count() FROM clickstream_events)) AS clicks,
            toString((SELECT uniqExact(event_id) FROM clickstream_events)) AS click_ids,
            toString((SELECT uniqExact(_partition, _offset) FROM clickstream_events)) AS click_offsets,
            toString((SELECT count() FROM order_lines)) AS lines,
            toString((SELECT uniqExact(_partition, _offset, line_no) FROM order_lines)) AS line_keys,
            toString((SELECT sum(qty) FROM order_lines)) AS units,
            toString((SELECT count() FROM inventory_snapshots)) AS inventory,
            toString((SELECT uniqExact(_partition, _offset) FROM inventory_snapshots)) AS inventory_offsets,
            toString((SELECT count() FROM dead_letters)) AS dead,
            toString((SELECT uniqExact(source_topic, source_partition, source_offset) FROM dead_letters)) AS dead_offsets`,
  );
  const n = (k: string) => Number(raw[k]);
  const want = {
    clicks: w.ref.clicks.length,
    lines: w.ref.orders.length,
    units: w.ref.orders.reduce((a, o) => a + o.qty, 0),
    inventory: w.ref.inventory.length,
    dead: w.invalid,
  };
  const got = {
    clicks: n('clicks'),
    lines: n('lines'),
    units: n('units'),
    inventory: n('inventory'),
    dead: n('dead'),
  };
  const distinct = {
    clicks: Math.min(n('click_ids'), n('click_offsets')),
    lines: n('line_keys'),
    inventory: n('inventory_offsets'),
    dead: n('dead_offsets'),
  };
  const doubled =
    got.clicks -
    distinct.clicks +
    (got.lines - distinct.lines) +
    (got.inventory - distinct.inventory) +
    (got.dead - distinct.dead);
  const lost =
    Math.max(0, want.clicks - distinct.clicks) +
    Math.max(0, want.lines - distinct.lines) +
    Math.max(0, want.inventory - distinct.inventory) +
    Math.max(0, want.dead - distinct.dead);
  return { want, got, lost, doubled };
}

/** Each rollup's merged total of every additive / distinct measure, next to the oracle's total over the produced events. */
export async function rollupTotals(
  ch: ClickHouseHandle,
  w: SigkillWorkload,
): Promise<{ table: string; measure: string; got: number; expected: number }[]> {
  const out: { table: string; measure: string; got: number; expected: number }[] = [];
  for (const spec of ROLLUPS) {
    const oracle = new ReferenceFeatures(spec.entity, w.ref);
    for (const g of spec.granularities) {
      const table = rollupTable(spec.entity, spec.source, g);
      for (const m of spec.measures) {
        if (!['sum', 'money', 'uniq'].includes(m.kind)) continue;
        const [r] = await queryRows<{ v: string }>(
          ch.client,
          `SELECT toString(sum(v)) AS v FROM (SELECT ${mergeExpr(m.kind, m.name, undefined)} AS v FROM ${table} GROUP BY ${spec.keyColumn})`,
        );
        out.push({
          table,
          measure: m.name,
          got: Number(r.v),
          expected: oracle.grandTotal({ source: spec.source, measure: m.name }),
        });
      }
    }
  }
  return out;
}

/**
 * Compares the store with the workload and asserts it exact: raw rows, distinct ids, units,
 * inventory rows and dead letters; for every rollup table and additive/distinct measure the merged
 * total against the oracle's total over the produced events; every (key, bucket) of every rollup
 * against the raw rows; and the served features of `users` users (all: every user) against the
 * oracle. Returns the counts (lost, doubled) for the report line.
 */
export async function assertExactlyOnce(
  ch: ClickHouseHandle,
  w: SigkillWorkload,
  users: number | 'all',
): Promise<ExactnessReport> {
  const { want, got, lost, doubled } = await storedVsProduced(ch, w);
  assert.deepEqual(got, want, 'raw rows, units and dead letters equal the produced events');
  assert.equal(doubled, 0, 'no row stored twice');
  assert.equal(lost, 0, 'no produced row missing');

  // every rollup, every additive / distinct measure, against totals from the produced events
  const totals = await rollupTotals(ch, w);
  for (const t of totals)
    assert.ok(
      Math.abs(t.got - t.expected) < 1e-6 * Math.max(1, t.expected),
      `${t.table}.${t.measure}: rollup ${t.got}, produced events ${t.expected}`,
    );
  const rollupMeasures = totals.length;
  // every (key, bucket) of every rollup equals the aggregation of the raw rows
  for (const c of await verifyRollups(ch.client)) assert.ok(c.ok, `${c.table} differs from raw`);
  // and the served features equal the TypeScript oracle at the end
  const store = new FeatureStore(ch.client);
  const at = w.ref.clicks.reduce((a, x) => Math.max(a, x.tsMs), 0) + 60_000;
  const userOracle = new ReferenceFeatures('user', w.ref);
  const ids = userOracle.ids().sort();
  const checked = users === 'all' ? ids : ids.slice(0, users);
  let featureValues = 0;
  for (let i = 0; i < checked.length; i += 500) {
    const got = await store.lookup('user', checked.slice(i, i + 500), at);
    assert.equal(got.length, Math.min(500, checked.length - i), 'one feature row per user');
    for (const r of got)
      for (const f of store.catalog('user')) {
        const expected = userOracle.value(f, r.id, at);
        const v = r.features[f.name];
        assert.ok(
          expected === null || v === null
            ? expected === v
            : Math.abs(v - expected) <= 1e-6 * Math.max(1, Math.abs(expected)),
          `${f.name} ${r.id}: ${v} vs ${expected}`,
        );
        featureValues++;
      }
  }
  return {
    want,
    got,
    lost,
    doubled,
    rollupMeasures,
    usersChecked: checked.length,
    featureValues,
  };
}

/** A seeded kill delay in [lo, hi) ms. */
export function killDelays(seed: number, lo: number, hi: number): () => number {
  const rng = new Prng(seed);
  return () => lo + Math.floor(rng.next() * (hi - lo));
}
