import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { loadConfig } from '@storepulse/config';
import { createClickHouse, queryRows, type ClickHouseHandle } from '@storepulse/clickhouse';
import { TOPICS } from '@storepulse/contracts';
import { newWriteKey } from '@storepulse/collector';
import { KillableBroker } from '../support/broker';
import { tempDir, testBrokers } from '../support/env';
import { waitFor } from '../support/kafka';
import { ChildOutput, spawnApp } from '../support/platform-child';

/**
 * Fault suite, case 2: the broker is SIGKILLed mid-ingest and restarted on the same data folder and
 * port, FAULTS_BROKER_OUTAGES (2) times, FAULTS_BROKER_DOWN_S (20) s down each time. The apps run as
 * separate processes against a broker of their own (test/support/broker.ts, so the shared test
 * broker stays up): the ClickHouse gateway (the embedded engine), the aggregator, the collector (the
 * test posts events to it over HTTP all along and records each answer) and the simulator (its own
 * traffic, 2 % of it malformed). Expected: during each outage the readiness of the aggregator,
 * collector and simulator is 503; the collector refuses (503) and the simulator holds its messages
 * (no silent drop); within 30 s of the broker's return every app is ready again and each resumes;
 * at the end the raw rows plus dead letters equal the log-end offsets of the input topics, every
 * event the collector accepted is stored once, nothing is doubled.
 */
const OUTAGES = Number(process.env.FAULTS_BROKER_OUTAGES ?? 2);
const DOWN_MS = Number(process.env.FAULTS_BROKER_DOWN_S ?? 20) * 1000;
/**
 * The issue's target, and what the test asserts: every app resumes within 30 s of the broker's
 * return (FAULTS_BROKER_RESUME_LIMIT_S). Until 2026-12-01 it was missed now and then (27.5 s and
 * 28.1 s in CI, 33.7 s under load): kafkajs' client-wide retry (broker connections, metadata, group
 * coordinator) still waited up to 30 s between attempts; createKafka caps it at BROKER_RETRY_MAX_MS
 * (docs/faults.md, case 2).
 */
const RESUME_TARGET_MS = 30_000;
const RESUME_WITHIN_MS = Number(process.env.FAULTS_BROKER_RESUME_LIMIT_S ?? 30) * 1000;
/** After the kill, readiness may take this long to notice (one health check timeout + a sample). */
const NOTICE_MS = 5_000;
const BROKER_PORT = Number(
  process.env.FAULTS_BROKER_PORT ?? Number(testBrokers()[0].split(':').pop()) + 2,
);
const HTTP0 = Number(
  process.env.FAULTS_HTTP_PORT ?? process.env.HTTP_PORT ?? 31_000 + ((process.pid * 7) % 4_000),
);
const PORTS = { gateway: HTTP0, aggregator: HTTP0 + 1, collector: HTTP0 + 2, simulator: HTTP0 + 3 };
const APPS = ['aggregator', 'collector', 'simulator'] as const;
type App = (typeof APPS)[number];
const PASSWORD = 'broker-outage';
const INPUT = [TOPICS.clickstream, TOPICS.orders, TOPICS.inventory];

interface Sample {
  t: number;
  status: Record<App, number>;
}
interface Post {
  sentAt: number;
  answeredAt: number;
  status: number;
  ids: string[];
}
interface Outage {
  killAt: number;
  restartAt: number;
  upAt: number;
  restartMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('fault suite: broker SIGKILL and restart mid-ingest', () => {
  const dir = tempDir('faults-broker');
  const broker = new KillableBroker(BROKER_PORT, join(dir, 'kafka'));
  const outputs = new Map<string, ChildOutput>();
  const children = new Map<string, ChildProcess>();
  const key = newWriteKey('outage-shop');
  const run = randomUUID().slice(0, 8);
  let ch: ClickHouseHandle | undefined;
  const t0 = Date.now();
  const s = (t: number) => `${((t - t0) / 1000).toFixed(1)} s`;

  const start = (app: string, env: Record<string, string>) => {
    const out = new ChildOutput();
    outputs.set(app, out);
    children.set(app, spawnApp(app, env, out));
  };
  const logs = () =>
    [...outputs].map(([label, out]) => `--- ${label} ---\n${out.text.slice(-5_000)}`).join('\n');
  const withLogs = async <T>(p: Promise<T>): Promise<T> => {
    try {
      return await p;
    } catch (e) {
      throw new Error(`${String(e)}\n${logs()}`, { cause: e });
    }
  };
  const stopChild = (c: ChildProcess, signal: NodeJS.Signals = 'SIGTERM') =>
    new Promise<void>((r) => {
      if (c.exitCode !== null || c.signalCode !== null) return r();
      const t = setTimeout(() => {
        c.kill('SIGKILL');
        r();
      }, 20_000);
      c.once('exit', () => {
        clearTimeout(t);
        r();
      });
      c.kill(signal);
    });

  async function status(app: App): Promise<number> {
    try {
      const r = await fetch(`http://127.0.0.1:${PORTS[app]}/health/ready`, {
        signal: AbortSignal.timeout(4_000),
      });
      await r.arrayBuffer();
      return r.status;
    } catch {
      return 0;
    }
  }

  async function metric(app: App, name: string): Promise<number> {
    const r = await fetch(`http://127.0.0.1:${PORTS[app]}/metrics`, {
      signal: AbortSignal.timeout(4_000),
    });
    const text = await r.text();
    let sum = 0;
    for (const line of text.split('\n'))
      if (line.startsWith(name) && (line[name.length] === '{' || line[name.length] === ' '))
        sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    return sum;
  }

  async function stored(): Promise<number> {
    const [r] = await queryRows<{ n: string }>(
      ch!.client,
      `SELECT toString((SELECT count() FROM clickstream_events) + (SELECT count() FROM order_lines)
         + (SELECT count() FROM inventory_snapshots)) AS n`,
    );
    return Number(r.n);
  }

  before(async () => {
    const ms = await broker.start();
    console.log(`[faults] broker-outage: own broker on port ${BROKER_PORT} up in ${ms} ms`);
    const brokers = broker.brokers.join(',');
    start('clickhouse-gateway', {
      CLICKHOUSE_DATA_DIR: join(dir, 'chdb'),
      CLICKHOUSE_GATEWAY_PORT: String(PORTS.gateway),
      CLICKHOUSE_PASSWORD: PASSWORD,
    });
    const gatewayUrl = `http://127.0.0.1:${PORTS.gateway}`;
    await withLogs(
      waitFor(
        async () => {
          try {
            return (await fetch(`${gatewayUrl}/ping`)).status === 200;
          } catch {
            return false;
          }
        },
        90_000,
        'gateway /ping',
        250,
      ),
    );
    const common = {
      KAFKA_BROKERS: brokers,
      // readiness answers within a health check's timeout once the broker is gone
      TEST_CHILD_LOG_LEVEL: 'warn',
    };
    start('aggregator', {
      ...common,
      CLICKHOUSE_URL: gatewayUrl,
      CLICKHOUSE_PASSWORD: PASSWORD,
      HTTP_PORT: String(PORTS.aggregator),
      AGGREGATOR_GROUP_ID: `outage-${run}`,
      AGGREGATOR_SESSION_TIMEOUT_MS: '10000',
    });
    start('collector', {
      ...common,
      HTTP_PORT: String(PORTS.collector),
      COLLECTOR_WRITE_KEYS: key.configEntry,
      COLLECTOR_PRODUCE_TIMEOUT_MS: '3000',
    });
    start('simulator', {
      ...common,
      HTTP_PORT: String(PORTS.simulator),
      SIMULATOR_EVENTS_PER_SEC: '40',
      SIMULATOR_HISTORY_DAYS: '0',
      SIMULATOR_ORDER_HISTORY_DAYS: '0',
      SIMULATOR_INVALID_RATE: '0.02',
      SIMULATOR_KPI_SNAPSHOT_MS: '0',
      SIMULATOR_FOLLOW_REPLENISHMENT: 'false',
    });
    ch = await createClickHouse(
      loadConfig({ CLICKHOUSE_URL: gatewayUrl, CLICKHOUSE_PASSWORD: PASSWORD }).clickhouse,
    );
    await withLogs(
      waitFor(
        async () => (await Promise.all(APPS.map(status))).every((x) => x === 200),
        120_000,
        'aggregator, collector and simulator ready',
        500,
      ),
    );
  });

  after(async () => {
    await Promise.all([...children.values()].map((c) => stopChild(c)));
    await ch?.close();
    await broker.stop();
  });

  it('readiness 503 while the broker is down, everything resumes within 30 s, nothing lost or doubled', async () => {
    const samples: Sample[] = [];
    const posts: Post[] = [];
    let stop = false;
    let inFlight = 0;
    let seq = 0;

    const sampler = (async () => {
      while (!stop) {
        const t = Date.now();
        const st = await Promise.all(APPS.map(status));
        samples.push({ t, status: { aggregator: st[0], collector: st[1], simulator: st[2] } });
        await sleep(Math.max(0, 500 - (Date.now() - t)));
      }
    })();

    // ~100 events/s to the collector: a request of 10 every 100 ms, at most 20 unanswered
    const traffic = (async () => {
      while (!stop) {
        await sleep(100);
        if (inFlight >= 20) continue;
        const ts = new Date().toISOString();
        const events = Array.from({ length: 10 }, (_, i) => {
          const n = seq++;
          const user = `fx-${run}-${n % 40}`;
          return i === 9
            ? {
                event_id: randomUUID(),
                type: 'order_placed',
                order_id: `o-${run}-${n}`,
                user_id: user,
                ts,
                currency: 'EUR',
                items: [
                  { sku: 'SKU-1', qty: 1, unit_price: 9.5 },
                  { sku: 'SKU-2', qty: 2, unit_price: 3.25 },
                ],
              }
            : {
                event_id: randomUUID(),
                type: 'product_view',
                user_id: user,
                session_id: `s-${run}-${n % 40}`,
                ts,
                sku: `SKU-${n % 7}`,
              };
        });
        inFlight++;
        const sentAt = Date.now();
        void fetch(`http://127.0.0.1:${PORTS.collector}/v1/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
          body: JSON.stringify(events),
          signal: AbortSignal.timeout(15_000),
        })
          .then(async (r) => {
            await r.arrayBuffer();
            return r.status;
          })
          .catch(() => 0)
          .then((st) => {
            inFlight--;
            posts.push({
              sentAt,
              answeredAt: Date.now(),
              status: st,
              ids: events.map((e) => e.event_id),
            });
          });
      }
    })();

    const outages: Outage[] = [];
    const measured: string[] = [];
    try {
      await sleep(10_000);
      // on a loaded machine the first inserts (13 views) may take longer than those 10 s
      await withLogs(
        waitFor(
          async () => (await stored()) > 0,
          60_000,
          'rows stored before the first outage',
          500,
        ),
      );
      for (let i = 0; i < OUTAGES; i++) {
        const storedBefore = await stored();
        assert.ok(storedBefore > 0, 'rows are being stored before the outage');
        await broker.kill9();
        const killAt = Date.now();
        await sleep(DOWN_MS);
        const restartAt = Date.now();
        const restartMs = await broker.start();
        const upAt = Date.now();
        outages.push({ killAt, restartAt, upAt, restartMs });
        const storedAtUp = await stored();
        const producedAtUp = await metric('simulator', 'storepulse_events_produced_total');
        // resumed: every app ready, the collector accepts a request sent after the return, the
        // aggregator stores new rows, the simulator's sends are acknowledged again
        const resumed: Partial<Record<'ready' | 'collector' | 'aggregator' | 'simulator', number>> =
          {};
        await withLogs(
          waitFor(
            async () => {
              const now = Date.now();
              const last = samples[samples.length - 1];
              if (
                resumed.ready === undefined &&
                last &&
                last.t >= upAt &&
                APPS.every((a) => last.status[a] === 200)
              )
                resumed.ready = last.t - upAt;
              const ok = posts.find((p) => p.sentAt >= upAt && p.status === 200);
              if (resumed.collector === undefined && ok) resumed.collector = ok.answeredAt - upAt;
              if (resumed.aggregator === undefined && (await stored()) > storedAtUp)
                resumed.aggregator = now - upAt;
              if (
                resumed.simulator === undefined &&
                (await metric('simulator', 'storepulse_events_produced_total')) > producedAtUp
              )
                resumed.simulator = now - upAt;
              return Object.keys(resumed).length === 4;
            },
            60_000,
            `outage ${i + 1}: every app ready and resumed (${JSON.stringify(resumed)})`,
            250,
          ),
        );
        const during = samples.filter((x) => x.t >= killAt + NOTICE_MS && x.t < restartAt);
        const first503 = Object.fromEntries(
          APPS.map((a) => {
            const f = samples.find((x) => x.t >= killAt && x.status[a] !== 200);
            return [a, f ? f.t - killAt : null];
          }),
        );
        const acceptedDown = posts.filter(
          (p) => p.status === 200 && p.sentAt >= killAt + NOTICE_MS && p.sentAt < restartAt,
        ).length;
        const refusedDown = posts.filter(
          (p) => p.status !== 200 && p.sentAt >= killAt && p.answeredAt < upAt,
        ).length;
        measured.push(
          `outage ${i + 1}: down ${((restartAt - killAt) / 1000).toFixed(1)} s (kill at ${s(killAt)}), broker restart ${(restartMs / 1000).toFixed(1)} s (port-taken retries so far ${broker.bindRetries}); readiness not 200 after ${JSON.stringify(first503)} ms, ${during.length} samples while down; collector refused ${refusedDown} requests, accepted ${acceptedDown} while down; after the return: ready in ${((resumed.ready ?? 0) / 1000).toFixed(1)} s, collector accepts in ${((resumed.collector ?? 0) / 1000).toFixed(1)} s, aggregator stores in ${((resumed.aggregator ?? 0) / 1000).toFixed(1)} s, simulator acked in ${((resumed.simulator ?? 0) / 1000).toFixed(1)} s`,
        );
        console.log(`[faults] broker-outage: ${measured[measured.length - 1]}`);
        try {
          for (const a of APPS) {
            const ok = during.filter((x) => x.status[a] === 200);
            assert.equal(
              ok.length,
              0,
              `outage ${i + 1}: ${a} readiness must be 503 from ${NOTICE_MS} ms after the kill until the restart; 200 at ${ok.map((x) => s(x.t)).join(', ')}`,
            );
          }
          assert.ok(during.length >= 3, `outage ${i + 1}: readiness sampled while down`);
          assert.equal(
            acceptedDown,
            0,
            `outage ${i + 1}: the collector accepted nothing while down`,
          );
          assert.ok(refusedDown > 0, `outage ${i + 1}: the collector refused while down`);
          for (const [k, v] of Object.entries(resumed))
            assert.ok(
              v !== undefined && v <= RESUME_WITHIN_MS,
              `outage ${i + 1}: ${k} resumed ${v} ms after the broker's return (limit ${RESUME_WITHIN_MS})`,
            );
          const misses = Object.entries(resumed).filter(([, v]) => (v ?? 0) > RESUME_TARGET_MS);
          console.log(
            `[faults] broker-outage: outage ${i + 1}: 30 s resume target ${misses.length === 0 ? 'met' : `MISSED by ${misses.map(([k, v]) => `${k} ${((v ?? 0) / 1000).toFixed(1)} s`).join(', ')}`}`,
          );
        } catch (e) {
          throw new Error(`${String(e)}\n${logs()}`, { cause: e });
        }
        await sleep(10_000);
      }
    } finally {
      stop = true;
      await traffic;
      await sampler;
    }
    await waitFor(() => Promise.resolve(inFlight === 0), 20_000, 'collector requests answered');
    const simProduced = await metric('simulator', 'storepulse_events_produced_total');
    await stopChild(children.get('simulator')!);
    await stopChild(children.get('collector')!);

    // the log: end offsets of the input topics (idempotent, non-transactional producers: one offset
    // per record)
    const kafka = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const logEnd: Record<string, number> = {};
    try {
      for (const topic of INPUT)
        logEnd[topic] = (await admin.fetchTopicOffsets(topic)).reduce(
          (a, p) => a + Number(p.high),
          0,
        );
    } finally {
      await admin.disconnect();
    }
    const logTotal = Object.values(logEnd).reduce((a, b) => a + b, 0);
    const perTopic = async () => {
      const [r] = await queryRows<Record<string, string>>(
        ch!.client,
        `SELECT
           toString((SELECT uniqExact(_partition, _offset) FROM clickstream_events)) AS clicks,
           toString((SELECT count() FROM clickstream_events)) AS click_rows,
           toString((SELECT uniqExact(event_id) FROM clickstream_events)) AS click_ids,
           toString((SELECT uniqExact(_partition, _offset) FROM order_lines)) AS orders,
           toString((SELECT count() FROM order_lines)) AS line_rows,
           toString((SELECT uniqExact(_partition, _offset, line_no) FROM order_lines)) AS line_keys,
           toString((SELECT uniqExact(_partition, _offset) FROM inventory_snapshots)) AS inventory,
           toString((SELECT count() FROM inventory_snapshots)) AS inventory_rows,
           toString((SELECT countIf(source_topic = '${TOPICS.clickstream}') FROM dead_letters)) AS dlq_clicks,
           toString((SELECT countIf(source_topic = '${TOPICS.orders}') FROM dead_letters)) AS dlq_orders,
           toString((SELECT countIf(source_topic = '${TOPICS.inventory}') FROM dead_letters)) AS dlq_inventory,
           toString((SELECT count() FROM dead_letters)) AS dlq_rows,
           toString((SELECT uniqExact(source_topic, source_partition, source_offset) FROM dead_letters)) AS dlq_offsets`,
      );
      return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v)]));
    };
    let c: Record<string, number> = {};
    let dups = 0;
    await withLogs(
      waitFor(
        async () => {
          c = await perTopic();
          dups = await metric('aggregator', 'storepulse_events_duplicate_dropped_total');
          return (
            c.clicks +
              c.orders +
              c.inventory +
              c.dlq_clicks +
              c.dlq_orders +
              c.dlq_inventory +
              dups >=
            logTotal
          );
        },
        90_000,
        `the aggregator stored the log (${logTotal} records)`,
        500,
      ),
    );
    await sleep(2_000);
    c = await perTopic();
    dups = await metric('aggregator', 'storepulse_events_duplicate_dropped_total');

    // every event the collector accepted is stored, once
    const accepted = posts.filter((p) => p.status === 200).flatMap((p) => p.ids);
    const refused = posts.filter((p) => p.status !== 200).flatMap((p) => p.ids);
    const rows = await queryRows<{ id: string; n: string }>(
      ch!.client,
      `SELECT toString(event_id) AS id, toString(count()) AS n FROM (
         SELECT event_id FROM clickstream_events WHERE startsWith(user_id, 'fx-${run}-')
         UNION ALL
         SELECT event_id FROM order_lines WHERE startsWith(user_id, 'fx-${run}-') AND line_no = 0)
       GROUP BY event_id`,
    );
    const storedIds = new Map(rows.map((r) => [r.id, Number(r.n)]));
    const lostAccepted = accepted.filter((id) => !storedIds.has(id)).length;
    const doubledIds = rows.filter((r) => r.n !== '1').length;
    const refusedStored = refused.filter((id) => storedIds.has(id)).length;
    const collectorLanded = rows.length;
    // requests sent while the broker was up and more than RESUME_WITHIN_MS after any return
    const calm = posts.filter(
      (p) => !outages.some((o) => p.answeredAt >= o.killAt && p.sentAt < o.upAt + RESUME_WITHIN_MS),
    );
    const refusedCalm = calm.filter((p) => p.status !== 200).length;
    const storedMessages = c.clicks + c.orders + c.inventory;
    const dlq = c.dlq_clicks + c.dlq_orders + c.dlq_inventory;
    const lost = logTotal - storedMessages - dlq - dups;
    const doubled =
      c.click_rows -
      Math.min(c.clicks, c.click_ids) +
      (c.line_rows - c.line_keys) +
      (c.inventory_rows - c.inventory) +
      (c.dlq_rows - c.dlq_offsets);
    console.log(
      `[faults] broker-outage: ${OUTAGES} broker SIGKILLs, ${DOWN_MS / 1000} s down each; log-end ${logTotal} records (${INPUT.map((t) => `${t} ${logEnd[t]}`).join(', ')}); stored ${storedMessages} messages + ${dlq} dead-lettered + ${dups} duplicates dropped; collector: ${accepted.length} events accepted, ${refused.length} refused (${refusedStored} of those landed anyway: timed out in flight), ${collectorLanded} stored; requests outside the outages ${calm.length}, refused ${refusedCalm}; simulator acked ${simProduced}; lost ${lost} (accepted but not stored ${lostAccepted}), doubled ${doubled + doubledIds}; ${((Date.now() - t0) / 1000).toFixed(0)} s in all`,
    );
    assert.equal(lostAccepted, 0, 'every event the collector accepted is stored');
    assert.equal(doubledIds, 0, 'no collector event stored twice');
    assert.equal(doubled, 0, 'no row stored twice');
    assert.equal(lost, 0, 'raw messages + dead letters (+ duplicates dropped) = log-end offsets');
    assert.ok(dlq > 0, 'the malformed simulator messages were dead-lettered');
    assert.ok(
      simProduced + collectorLanded <= logTotal,
      `what the simulator had acknowledged (${simProduced}) is in the log`,
    );
  });
});
