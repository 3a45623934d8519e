import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Kafka, Message } from 'kafkajs';
import { loadConfig } from '@storepulse/config';
import {
  createClickHouse,
  queryRows,
  runMigrations,
  type ClickHouseHandle,
} from '@storepulse/clickhouse';
import { TOPICS } from '@storepulse/contracts';
import { Prng, Storefront } from '@storepulse/simulator';
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
import { produce, resetStorefrontTopics, testKafka, waitFor } from './support/kafka';
import { tempDir, testBrokers } from './support/env';

/**
 * Exactly-once under SIGKILL: the aggregator runs as a child process (test/support/aggregator-child)
 * and is killed -9 repeatedly while it ingests 200,000 simulated events; afterwards every raw count and
 * every rollup must equal totals computed independently from the produced events.
 */
const N = 200_000;
const KILLS = 5;
const START = Date.UTC(2026, 9, 1);
const DAY = 86_400_000;

interface Counters {
  consumed: number;
  stored: number;
  deadLettered: number;
  skippedRedelivered: number;
  replayedChunks: number;
  repairedRows: number;
  reconciledGroups: number;
}

describe('aggregator exactly-once under repeated SIGKILL (child process, 200k events)', () => {
  let kafka: Kafka;
  let ch: ClickHouseHandle | undefined;
  let child: ChildProcess | undefined;
  const dataDir = tempDir('sigkill-chdb');
  const groupId = `sigkill-${Date.now()}`;
  const parts: { topic: string; messages: Message[] }[][] = [];
  let ref: RefData;
  let invalid = 0;
  const log: string[] = [];

  before(async () => {
    kafka = testKafka();
    await resetStorefrontTopics(kafka);
    const sf = new Storefront({
      seed: 21,
      users: 3000,
      skus: 300,
      invalidRate: 0.005,
      startMs: START,
    });
    const msgs: { topic: string; m: Message; valid: boolean; value: Buffer }[] = [];
    for (const chunk of sf.history(START + 60 * DAY, 25_000)) {
      for (const m of chunk) {
        msgs.push({
          topic: m.topic,
          valid: m.valid,
          value: m.value,
          // no Kafka timestamp: simulated event times are months old and the
          // topics' 7-day retention would delete them under the test
          m: { key: m.key, value: m.value },
        });
        if (msgs.length >= N) break;
      }
      if (msgs.length >= N) break;
    }
    assert.equal(msgs.length, N);
    const valid = { click: [] as unknown[], order: [] as unknown[], inv: [] as unknown[] };
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
    ref = refFromPayloads(valid.click, valid.order, valid.inv);
    // Produced in slices by a background producer while the child is started and killed.
    const per = 4000;
    for (let i = 0; i < N / per; i++) {
      const byTopic = new Map<string, Message[]>();
      for (const x of msgs.slice(i * per, (i + 1) * per)) {
        const l = byTopic.get(x.topic) ?? [];
        l.push(x.m);
        byTopic.set(x.topic, l);
      }
      parts.push([...byTopic.entries()].map(([topic, messages]) => ({ topic, messages })));
    }
  });

  after(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await ch?.close();
  });

  function start(): { proc: ChildProcess; ready: Promise<void>; last: () => Counters | undefined } {
    const proc = spawn(
      process.execPath,
      ['--enable-source-maps', join(__dirname, 'support', 'aggregator-child.js')],
      {
        env: {
          ...process.env,
          NODE_ENV: 'test',
          KAFKA_BROKERS: testBrokers().join(','),
          CLICKHOUSE_DATA_DIR: dataDir,
          AGGREGATOR_GROUP_ID: groupId,
          AGGREGATOR_SESSION_TIMEOUT_MS: '6000',
          // small chunks: many ledger transitions and a slower child, so every kill lands mid-ingest
          CLICKHOUSE_INSERT_MAX_ROWS: '500',
          FEATURES_ALLOWED_LATENESS_MS: String(3650 * DAY),
          LOG_LEVEL: 'error',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let last: Counters | undefined;
    let resolveReady: () => void = () => undefined;
    const ready = new Promise<void>((r) => (resolveReady = r));
    createInterface({ input: proc.stdout }).on('line', (line) => {
      if (line === 'READY') resolveReady();
      else if (line.startsWith('COUNTERS ')) last = JSON.parse(line.slice(9)) as Counters;
    });
    return { proc, ready, last: () => last };
  }

  const exited = (p: ChildProcess) =>
    new Promise<void>((r) =>
      p.exitCode !== null || p.signalCode !== null ? r() : p.once('exit', () => r()),
    );

  /** Produces every slice, paced to ~`rate` events/s, so kills land while data keeps arriving. */
  async function produceAll(rate: number) {
    const t0 = Date.now();
    let sent = 0;
    for (const part of parts) {
      for (const p of part) await produce(kafka, p.topic, p.messages);
      sent += part.reduce((a, p) => a + p.messages.length, 0);
      const ahead = (sent / rate) * 1000 - (Date.now() - t0);
      if (ahead > 0) await new Promise((r) => setTimeout(r, ahead));
    }
  }

  async function lag(): Promise<bigint> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      let total = 0n;
      for (const topic of [TOPICS.clickstream, TOPICS.orders, TOPICS.inventory]) {
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

  it('kills the aggregator -9 repeatedly mid-ingest; nothing is lost or counted twice', async () => {
    const rng = new Prng(7);
    const t0 = Date.now();
    let replayed = 0;
    let final: (() => Counters | undefined) | undefined;
    const producing = produceAll(Number.POSITIVE_INFINITY);
    await producing;
    log.push(`all ${N} produced after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    for (let i = 0; i <= KILLS; i++) {
      const c = start();
      child = c.proc;
      final = () => c.last();
      await c.ready;
      console.log(`incarnation ${i + 1} ready at ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      if (i === KILLS) break;
      await waitFor(
        () => Promise.resolve((c.last()?.consumed ?? 0) > 0),
        60_000,
        `incarnation ${i + 1} consuming`,
        100,
      );
      const after = 2000 + Math.floor(rng.next() * 2000);
      await new Promise((r) => setTimeout(r, after));
      c.proc.kill('SIGKILL');
      await exited(c.proc);
      const k = c.last();
      replayed += k?.replayedChunks ?? 0;
      log.push(
        `kill ${i + 1} after ${after} ms consuming: stored ${k?.stored} dead ${k?.deadLettered} skipped ${k?.skippedRedelivered} replayed ${k?.replayedChunks} repaired ${k?.repairedRows} reconciled ${k?.reconciledGroups}`,
      );
    }
    await waitFor(async () => (await lag()) === 0n, 180_000, 'consumer group caught up', 1000);
    const fin = final?.();
    child!.kill('SIGTERM');
    await exited(child!);
    log.push(
      `caught up and stopped after ${((Date.now() - t0) / 1000).toFixed(1)} s (last run: replayed ${fin?.replayedChunks} repaired ${fin?.repairedRows} reconciled ${fin?.reconciledGroups})`,
    );
    console.log(log.join('\n'));

    ch = await createClickHouse(loadConfig({ CLICKHOUSE_DATA_DIR: dataDir }).clickhouse);
    await runMigrations(ch.client);
    const [raw] = await queryRows<Record<string, string>>(
      ch.client,
      `SELECT toString((SELECT count() FROM clickstream_events)) AS clicks,
              toString((SELECT uniqExact(event_id) FROM clickstream_events)) AS click_ids,
              toString((SELECT count() FROM order_lines)) AS lines,
              toString((SELECT sum(qty) FROM order_lines)) AS units,
              toString((SELECT count() FROM inventory_snapshots)) AS inventory,
              toString((SELECT count() FROM dead_letters)) AS dead`,
    );
    assert.equal(Number(raw.clicks), ref.clicks.length, 'clickstream rows');
    assert.equal(Number(raw.click_ids), ref.clicks.length, 'distinct click event ids');
    assert.equal(Number(raw.lines), ref.orders.length, 'order lines');
    assert.equal(
      Number(raw.units),
      ref.orders.reduce((a, o) => a + o.qty, 0),
      'units',
    );
    assert.equal(Number(raw.inventory), ref.inventory.length, 'inventory rows');
    assert.equal(Number(raw.dead), invalid, 'dead letters');

    // every rollup, every additive / distinct measure, against totals from the produced events
    for (const spec of ROLLUPS) {
      const oracle = new ReferenceFeatures(spec.entity, ref);
      for (const g of spec.granularities) {
        const table = rollupTable(spec.entity, spec.source, g);
        for (const m of spec.measures) {
          if (!['sum', 'money', 'uniq'].includes(m.kind)) continue;
          const [r] = await queryRows<{ v: string }>(
            ch.client,
            `SELECT toString(sum(v)) AS v FROM (SELECT ${mergeExpr(m.kind, m.name, undefined)} AS v FROM ${table} GROUP BY ${spec.keyColumn})`,
          );
          const want = oracle.grandTotal({ source: spec.source, measure: m.name });
          assert.ok(
            Math.abs(Number(r.v) - want) < 1e-6 * Math.max(1, want),
            `${table}.${m.name}: rollup ${r.v}, produced events ${want}`,
          );
        }
      }
    }
    // every (key, bucket) of every rollup equals the aggregation of the raw rows
    for (const c of await verifyRollups(ch.client)) assert.ok(c.ok, `${c.table} differs from raw`);
    // and the served features equal the TypeScript oracle for a sample of users at the end
    const store = new FeatureStore(ch.client);
    const at = ref.clicks.reduce((a, x) => Math.max(a, x.tsMs), 0) + 60_000;
    const userOracle = new ReferenceFeatures('user', ref);
    const users = userOracle.ids().sort().slice(0, 200);
    const got = await store.lookup('user', users, at);
    for (const r of got)
      for (const f of store.catalog('user')) {
        const want = userOracle.value(f, r.id, at);
        const v = r.features[f.name];
        assert.ok(
          want === null || v === null
            ? want === v
            : Math.abs(v - want) <= 1e-6 * Math.max(1, Math.abs(want)),
          `${f.name} ${r.id}: ${v} vs ${want}`,
        );
      }
    console.log(`replayed pending chunks across kills (last counters seen): ${replayed}`);
  });
});
