import type { KafkaMessage } from 'kafkajs';
import { loadConfig } from '@storepulse/config';
import {
  createClickHouse,
  insertIdempotent,
  queryRows,
  runMigrations,
} from '@storepulse/clickhouse';
import { TOPICS } from '@storepulse/contracts';
import { RAW_TABLE_BY_TOPIC, prepareChunk } from '@storepulse/aggregator';
import { Prng, Storefront } from '@storepulse/simulator';
import { FeatureStore, matrixRows, OnlineFeatureStore } from '@storepulse/features';
import { tempDir } from '../test/support/env';
import { mib, percentile, printTable, progress, rssSampler } from './support';

/**
 * npm run bench -- features   (BENCH_USERS default 20000, BENCH_EVENTS_PER_DAY default 60000)
 * 28 days of simulated history loaded into the raw tables (through the aggregator's validation and the
 * rollup materialized views), then p50/p99 of the batched lookup of 1,000 users (all user features)
 * and of one user — on ClickHouse (one query) and on the online tier (in-process minute buckets,
 * warmed up from the raw tables; answers checked equal first; objects and the scorer's matrix form)
 * — plus a 1,000-row point-in-time
 * training-set query.
 */
const DAY = 86_400_000;
const USERS = Number(process.env.BENCH_USERS ?? 20_000);
const PER_DAY = Number(process.env.BENCH_EVENTS_PER_DAY ?? 60_000);
const BATCH_ITER = Number(process.env.BENCH_ITERATIONS ?? 60);

async function timeIt(n: number, f: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await f(i);
    out.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return out.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const config = loadConfig({ CLICKHOUSE_DATA_DIR: tempDir('bench-features'), LOG_LEVEL: 'error' });
  const ch = await createClickHouse(config.clickhouse);
  await runMigrations(ch.client);
  const end = Date.UTC(2026, 10, 1);
  const start = end - 28 * DAY;
  const sf = new Storefront({ seed: 4, users: USERS, skus: 300, invalidRate: 0, startMs: start });
  progress(`loading 28 days of history (${USERS} users, ~${PER_DAY} events/day)`);
  const t0 = Date.now();
  let events = 0;
  let offset = 0;
  const users = new Set<string>();
  for (const chunk of sf.history(end, PER_DAY, 50_000)) {
    const byTopic = new Map<string, KafkaMessage[]>();
    for (const m of chunk) {
      const l = byTopic.get(m.topic) ?? [];
      l.push({ key: null, value: m.value, offset: String(offset++) } as unknown as KafkaMessage);
      byTopic.set(m.topic, l);
      if (m.topic === TOPICS.clickstream) users.add(m.key);
    }
    for (const [topic, msgs] of byTopic) {
      const p = prepareChunk(msgs, {
        topic,
        partition: 0,
        consumerGroup: 'bench',
        now: new Date(),
      });
      await insertIdempotent(
        ch.client,
        RAW_TABLE_BY_TOPIC[topic as keyof typeof RAW_TABLE_BY_TOPIC],
        p.rows,
        `bench/${topic}/${msgs[0].offset}`,
        { maxRows: 100_000, maxBytes: 64 << 20 },
      );
    }
    events += chunk.length;
    progress(
      `${events} events loaded, simulated ${new Date(sf.now).toISOString().slice(0, 10)}, ${((Date.now() - t0) / 1000).toFixed(0)} s`,
    );
  }
  const [sizes] = await queryRows<Record<string, string>>(
    ch.client,
    `SELECT toString((SELECT count() FROM clickstream_events)) AS clicks,
            toString((SELECT count() FROM fr_user_click_1m)) AS m_rows,
            toString((SELECT count() FROM fr_user_click_1h)) AS h_rows`,
  );
  await ch.client
    .command({ query: 'OPTIMIZE TABLE fr_user_click_1m FINAL' })
    .catch(() => undefined);
  const store = new FeatureStore(ch.client);
  const ids = [...users].sort();
  const rng = new Prng(1);
  const pick = (k: number) => {
    const s = new Set<string>();
    while (s.size < Math.min(k, ids.length)) s.add(ids[rng.int(ids.length)]);
    return [...s];
  };
  const at = end;
  const nFeatures = store.catalog('user').length;
  const rss = rssSampler();
  progress('warm-up');
  await timeIt(5, () => store.lookup('user', pick(1000), at));
  progress(`batched lookup: ${BATCH_ITER} × 1,000 users`);
  const batch = await timeIt(BATCH_ITER, () => store.lookup('user', pick(1000), at));
  progress('single-user lookup: 300 ×');
  const single = await timeIt(300, () => store.lookup('user', pick(1), at));
  progress('point-in-time training set: 10 × 1,000 (user, t) rows');
  const pit = await timeIt(10, () =>
    store.asOf(
      'user',
      pick(1000).map((id) => ({ id, atMs: start + 7 * DAY + rng.int(21 * DAY) })),
    ),
  );
  const rssCh = rss.peak();
  progress('online tier: warm-up from the raw tables (29 days of minute buckets)');
  const online = new OnlineFeatureStore(ch.client, { now: () => at, onProgress: progress });
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  await online.warmUp();
  gc?.();
  const heapAdded = process.memoryUsage().heapUsed - heapBefore;
  const st = online.status();
  const tiered = new FeatureStore(ch.client, online);
  // same answers as the ClickHouse query, checked on a sample before timing
  const sample = pick(1000);
  const a = await tiered.lookup('user', sample, at);
  const b = await store.lookup('user', sample, at, 'if');
  const am = await tiered.lookupMatrix('user', sample, at);
  const identical =
    JSON.stringify(a) === JSON.stringify(b) && JSON.stringify(matrixRows(am)) === JSON.stringify(b);
  if (!identical) throw new Error('online tier and ClickHouse disagree');
  progress(`online batched lookup: ${BATCH_ITER * 5} × 1,000 users`);
  const oBatch = await timeIt(BATCH_ITER * 5, () => tiered.lookup('user', pick(1000), at));
  progress(`online batched lookup as a matrix: ${BATCH_ITER * 5} × 1,000 users`);
  const oMatrix = await timeIt(BATCH_ITER * 5, () => tiered.lookupMatrix('user', pick(1000), at));
  progress('online single-user lookup: 3000 ×');
  const oSingle = await timeIt(3000, () => tiered.lookup('user', pick(1), at));
  rss.stop();
  const version = await ch.version();
  await ch.close();
  const f = (x: number) => `${x.toFixed(x < 1 ? 2 : 1)} ms`;
  printTable('feature lookup benchmark (embedded ClickHouse, rollups)', [
    ['history', `28 days, ${events} events (${sizes.clicks} clicks), ${ids.length} active users`],
    ['rollup rows user_click 1m / 1h', `${sizes.m_rows} / ${sizes.h_rows}`],
    ['features per user', String(nFeatures)],
    [
      'batch 1,000 users p50 / p99 (target p99 ≤ 50 ms)',
      `${f(percentile(batch, 50))} / ${f(percentile(batch, 99))}`,
    ],
    [
      'single user p50 / p99 (target ≤ 10 ms)',
      `${f(percentile(single, 50))} / ${f(percentile(single, 99))}`,
    ],
    [
      'training set 1,000 (user, t) p50 / max',
      `${f(percentile(pit, 50))} / ${f(pit[pit.length - 1])}`,
    ],
    [
      'online tier: batch 1,000 users p50 / p99 (target p99 ≤ 50 ms)',
      `${f(percentile(oBatch, 50))} / ${f(percentile(oBatch, 99))}`,
    ],
    [
      'online tier: batch 1,000 users as a matrix (lookupMatrix) p50 / p99',
      `${f(percentile(oMatrix, 50))} / ${f(percentile(oMatrix, 99))}`,
    ],
    [
      'online tier: single user p50 / p99 (target ≤ 10 ms)',
      `${f(percentile(oSingle, 50))} / ${f(percentile(oSingle, 99))}`,
    ],
    [
      'online tier: warm-up / users / minute buckets / heap held',
      `${((st.warmupMs ?? 0) / 1000).toFixed(1)} s / ${st.users} / ${st.buckets} / ${mib(heapAdded)}`,
    ],
    ['online answers == ClickHouse answers (1,000-user sample)', identical ? 'yes' : 'NO'],
    [
      'ratio ClickHouse / online, batch p50',
      `${(percentile(batch, 50) / percentile(oBatch, 50)).toFixed(0)}×`,
    ],
    ['load time (validate + insert + MVs)', `${((Date.now() - t0) / 1000).toFixed(0)} s`],
    ['peak RSS: ClickHouse lookups / with the online tier', `${mib(rssCh)} / ${mib(rss.peak())}`],
    ['ClickHouse', `${version} (embedded, chdb)`],
  ]);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
