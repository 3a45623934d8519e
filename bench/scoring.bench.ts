import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Controller, Module, UseFilters } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Partitioners, type Kafka } from 'kafkajs';
import { loadConfig } from '@storepulse/config';
import { TOPICS } from '@storepulse/contracts';
import { createClickHouse, queryRows, runMigrations } from '@storepulse/clickhouse';
import {
  ClickHousePropensityHistory,
  FeatureStore,
  OnlineFeatureStore,
  type FeatureMatrix,
  type PendingRows,
} from '@storepulse/features';
import {
  BatchConsumer,
  BatchTransport,
  PassThroughRpcErrors,
  brokersOf,
  createKafka,
  createTransportIo,
  type FetchTiming,
  type OutputTransaction,
  type TransactionalProducer,
  type TransportIo,
  type BatchOutput,
  type GroupProgress,
  type InboundBatch,
  type InboundMessage,
  KafkaGroupProgress,
} from '@storepulse/kafka';
import { ModelRegistry, getTf, getTfBackendInfo, predictPropensity, type Tf } from '@storepulse/ml';
import { HealthRegistry, PipelineMetrics, createLogger } from '@storepulse/observability';
import { AggregatorService, connectOnlineFeed } from '@storepulse/aggregator';
import {
  ChampionCache,
  PropensityScorer,
  ScoreEvents,
  modelInput,
  type UserFeatures,
} from '@storepulse/scorer';
import { Storefront } from '@storepulse/simulator';
import { PropensityTrainer, TrainingSetBuilder, propensityModelName } from '@storepulse/trainer';
import { tempDir } from '../test/support/env';
import { resetStorefrontTopics } from '../test/support/kafka';
import {
  benchBroker,
  loadRawHistory,
  mib,
  percentile,
  printTable,
  progress,
  rssSampler,
} from './support';

/**
 * npm run bench -- scoring
 *   BENCH_USERS (5000), BENCH_DAYS (10), BENCH_EVENTS_PER_DAY (40000), BENCH_BATCH (500 events per
 *   partition batch in-process), BENCH_INPROC_EVENTS (40000), BENCH_E2E_EVENTS (30000, the backlog),
 *   BENCH_RATE (1000 events/s for the latency run), BENCH_RATE_SECONDS (20), BENCH_KAFKA_PORT,
 *   BENCH_WASM (1: the model alone also on wasm, in a child process), BENCH_E2E (1: run (b)),
 *   BENCH_SPREAD_S (300: in-process events spread over this many seconds, i.e. as-of minutes per batch),
 *   BENCH_INPROC (1: run (a)), BENCH_COMPARE (1: (b) also with the settings before issue #11's work:
 *   offsets sent after the records), BENCH_FETCH_MAX_WAIT_MS / BENCH_MAX_BYTES (the transport's
 *   fetch wait and bytes per partition; default the scorer's config), BENCH_INPROC_CLICKHOUSE (1: (a)
 *   also with ClickHouse lookups), BENCH_BASELINE (a dist folder of an earlier build, e.g. one copied
 *   before a change: (a) then also runs that build's ScoreEvents + PropensityScorer on the same
 *   batches, alternating with this build's, and prints the ratio — a before/after in one run),
 *   BENCH_CPU_PROFILE (a folder: a CPU profile of the in-process online-tier run only),
 *   BENCH_MAX_BYTES_ALT (bytes: (b) once more with this fetch size per partition),
 *   BENCH_FEATURES_WAIT (1: (c) with BENCH_E2E, the closed loop: the real aggregator feeding the online
 *   tier and the scorer on the storefront clickstream at BENCH_RATE, event → committed prediction, with
 *   the batch's unstored events folded into the features and, side by side, waiting for the aggregator),
 *   BENCH_B (1: run (b) when BENCH_E2E is on; 0 leaves only (c)), BENCH_ECHO (1: (b) once more with
 *   an echo handler instead of the scorer, the transport and Kafka alone, published with the first of
 *   BENCH_PRODUCERS), BENCH_PRODUCERS (kafkajs,librdkafka: (b)'s transactional producers, a row each),
 *   BENCH_CONSUMERS (kafkajs: (b)'s consumers, a row each crossed with the producers; (c) uses
 *   TRANSPORT_CONSUMER_CLIENT), BENCH_ROUNDS (1: (b)'s variants run this many times, in turn).
 * The propensity scorer's real path (ScoreEvents → PropensityScorer → ChampionCache with a model the
 * real trainer trained and registered; features from the embedded ClickHouse): (a) in process, the
 * pure scoring throughput with the time per stage; (b) end to end through Kafka with the exactly-once
 * BatchTransport: backlog throughput, then event → committed prediction latency at a fixed rate.
 */
const DAY = 86_400_000;
const USERS = Number(process.env.BENCH_USERS ?? 5_000);
const DAYS = Number(process.env.BENCH_DAYS ?? 10);
const PER_DAY = Number(process.env.BENCH_EVENTS_PER_DAY ?? 40_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 500);
const INPROC_EVENTS = Number(process.env.BENCH_INPROC_EVENTS ?? 40_000);
const E2E_EVENTS = Number(process.env.BENCH_E2E_EVENTS ?? 30_000);
const RATE = Number(process.env.BENCH_RATE ?? 1_000);
const RATE_SECONDS = Number(process.env.BENCH_RATE_SECONDS ?? 20);
const WASM = (process.env.BENCH_WASM ?? '1') !== '0';
const E2E = (process.env.BENCH_E2E ?? '1') !== '0';
const SPREAD_S = Number(process.env.BENCH_SPREAD_S ?? 300);
const INPROC = (process.env.BENCH_INPROC ?? '1') !== '0';
const COMPARE = (process.env.BENCH_COMPARE ?? '1') !== '0';
const INPROC_CLICKHOUSE = (process.env.BENCH_INPROC_CLICKHOUSE ?? '1') !== '0';
const BASELINE = process.env.BENCH_BASELINE ?? '';
const CPU_PROFILE = process.env.BENCH_CPU_PROFILE ?? '';
const FEATURES_WAIT = (process.env.BENCH_FEATURES_WAIT ?? '1') !== '0';
const B = (process.env.BENCH_B ?? '1') !== '0';
const ECHO = (process.env.BENCH_ECHO ?? '1') !== '0';

/** The echo handler of the "transport alone" variant: one record per event, no features, no model. */
const echoHandler: Pick<ScoreEvents, 'handle'> = {
  handle: (batch: InboundBatch) =>
    Promise.resolve(
      batch.messages.map((m) => {
        const e = JSON.parse(m.value?.toString('utf8') ?? '{}') as { event_id?: string };
        return {
          topic: TOPICS.propensityPredictions,
          key: m.key?.toString('utf8') ?? null,
          value: JSON.stringify({ event_id: e.event_id ?? null }),
        };
      }),
    ),
};

/** The scorer's use case classes of an earlier build (BENCH_BASELINE), loaded from its dist. */
interface ScorerBuild {
  ScoreEvents: typeof ScoreEvents;
  PropensityScorer: typeof PropensityScorer;
}
function loadBaseline(dir: string): ScorerBuild {
  const load = createRequire(__filename);
  const events = load(join(dir, 'apps/scorer/src/score-events.js')) as Pick<
    ScorerBuild,
    'ScoreEvents'
  >;
  const scorer = load(join(dir, 'apps/scorer/src/propensity-scorer.js')) as Pick<
    ScorerBuild,
    'PropensityScorer'
  >;
  return { ScoreEvents: events.ScoreEvents, PropensityScorer: scorer.PropensityScorer };
}

/** The transport settings of one end-to-end run. */
interface E2eVariant {
  label: string;
  /**
   * The transport alone: the handler echoes one record per event (its event id, to the prediction
   * topic) instead of scoring it, so the run shows what Kafka and the transport cost without
   * features or the model (BENCH_ECHO=1).
   */
  echo?: boolean;
  offsetsDuringHandler: boolean;
  fetchMaxWaitMs: number;
  maxBytesPerPartition: number;
  /** Whose transactional producers publish the predictions. */
  producers: 'kafkajs' | 'librdkafka';
  /** Whose consumer fetches the events (default kafkajs). */
  consumer?: 'kafkajs' | 'librdkafka';
}

/** The scorer waits for the aggregator's commit of the batch; no aggregator runs here. */
const noUpstreamWait: GroupProgress = {
  waitCommitted: () => Promise.resolve(),
  close: () => Promise.resolve(),
};

/** Feature lookups timed (the "features" stage of a scoring call). */
class TimedFeatures implements UserFeatures {
  ms = 0;
  calls = 0;
  constructor(private readonly inner: UserFeatures) {}
  async lookupMatrix(
    entity: 'user',
    ids: readonly string[],
    atMs?: number,
  ): Promise<FeatureMatrix> {
    const t = performance.now();
    try {
      return await this.inner.lookupMatrix(entity, ids, atMs);
    } finally {
      this.ms += performance.now() - t;
      this.calls++;
    }
  }
  async lookupUsersWith(
    ids: readonly string[],
    atMs: number,
    pending: PendingRows,
  ): Promise<FeatureMatrix> {
    const t = performance.now();
    try {
      return await this.inner.lookupUsersWith(ids, atMs, pending);
    } finally {
      this.ms += performance.now() - t;
      this.calls++;
    }
  }
}

/** One partition batch of the e2e run: when each stage of its transaction ended (Date.now ms). */
interface BatchTrace {
  partition: number;
  beginMs: number;
  handlerStartMs: number;
  handlerEndMs: number;
  sendEndMs: number;
  offsetsEndMs: number;
  commitEndMs: number;
  eventIds: string[];
}

/**
 * The transport's Kafka I/O with the time of each transaction step recorded per partition batch:
 * begin, (handler), send (AddPartitionsToTxn + Produce), sendOffsets (AddOffsetsToTxn +
 * TxnOffsetCommit), commit (EndTxn).
 */
class TracedIo implements TransportIo {
  readonly open = new Map<number, BatchTrace>();
  readonly done: BatchTrace[] = [];
  constructor(private readonly inner: TransportIo) {}
  async transactionalProducer(transactionalId: string): Promise<TransactionalProducer> {
    const partition = Number(transactionalId.slice(transactionalId.lastIndexOf('-') + 1));
    const p = await this.inner.transactionalProducer(transactionalId);
    return {
      disconnect: () => p.disconnect(),
      begin: async (): Promise<OutputTransaction> => {
        const trace: BatchTrace = {
          partition,
          beginMs: Date.now(),
          handlerStartMs: NaN,
          handlerEndMs: NaN,
          sendEndMs: NaN,
          offsetsEndMs: NaN,
          commitEndMs: NaN,
          eventIds: [],
        };
        const txn = await p.begin();
        this.open.set(partition, trace);
        return {
          send: async (m) => {
            await txn.send(m);
            trace.sendEndMs = Date.now();
          },
          sendOffsets: async (g, t, part, o) => {
            await txn.sendOffsets(g, t, part, o);
            trace.offsetsEndMs = Date.now();
          },
          commit: async () => {
            await txn.commit();
            trace.commitEndMs = Date.now();
            this.done.push(trace);
          },
          abort: () => txn.abort(),
        };
      },
    };
  }
  idempotentProducer() {
    return this.inner.idempotentProducer();
  }
  committedOffset(groupId: string, topic: string, partition: number) {
    return this.inner.committedOffset(groupId, topic, partition);
  }
  close() {
    return this.inner.close();
  }
}

/**
 * A bench controller's handler: ScoreEvents on the batch, its handler times in the batch's trace
 * (with the event ids, for the per-event stages) and in `handler`.
 */
async function tracedHandle(
  io: TracedIo,
  use: Pick<ScoreEvents, 'handle'>,
  batch: InboundBatch,
  handler: { ms: number; batches: number; events: number },
): Promise<BatchOutput> {
  const t = performance.now();
  const trace = io.open.get(batch.partition);
  if (trace) trace.handlerStartMs = Date.now();
  try {
    const records = await use.handle(batch);
    if (trace) {
      trace.handlerEndMs = Date.now();
      for (const m of batch.messages) {
        const e = JSON.parse(m.value?.toString('utf8') ?? '{}') as { event_id?: string };
        if (e.event_id) trace.eventIds.push(e.event_id);
      }
    }
    return { records };
  } finally {
    handler.ms += performance.now() - t;
    handler.batches++;
    handler.events += batch.messages.length;
  }
}

/**
 * After the handler: [records sent (AddPartitionsToTxn + Produce), waiting for the offsets
 * (AddOffsetsToTxn + TxnOffsetCommit) beyond the handler, EndTxn], whichever order they ran in.
 */
function afterHandler(t: BatchTrace): [number, number, number] {
  const offsetsFirst = t.offsetsEndMs <= t.sendEndMs;
  const send =
    t.sendEndMs - (offsetsFirst ? Math.max(t.handlerEndMs, t.offsetsEndMs) : t.handlerEndMs);
  const offsets = offsetsFirst
    ? Math.max(0, t.offsetsEndMs - t.handlerEndMs)
    : t.offsetsEndMs - t.sendEndMs;
  return [send, offsets, t.commitEndMs - Math.max(t.sendEndMs, t.offsetsEndMs)];
}

/** Mean ms per partition batch of each stage (the backlog run). */
function batchBreakdown(traces: BatchTrace[], fetches: FetchTiming[]): string {
  const n = Math.max(1, traces.length);
  const sum = [0, 0, 0, 0, 0];
  for (const t of traces) {
    const [send, offsets, commit] = afterHandler(t);
    [
      t.handlerStartMs - t.beginMs,
      t.handlerEndMs - t.handlerStartMs,
      send,
      offsets,
      commit,
    ].forEach((x, i) => (sum[i] = (sum[i] ?? 0) + x));
  }
  const f = fetches.map((x) => x.durationMs).sort((a, b) => a - b);
  const [begin, handler, send, offsets, commit] = sum.map((x) => (x / n).toFixed(0));
  return `${traces.length} batches: begin ${begin}, handler ${handler}, txn send ${send}, sendOffsets after handler ${offsets}, EndTxn ${commit}; ${fetches.length} fetches, answer p50 ${percentile(f, 50)} ms`;
}

/** Per-event stage latencies of the latency run, from the batch traces and fetch timings. */
function stageBreakdown(
  traces: BatchTrace[],
  fetches: FetchTiming[],
  sentAt: Map<string, number>,
  arrived: Map<string, number>,
): string {
  const names = [
    'wait for fetch',
    'fetch',
    'dispatch+begin',
    'handler',
    'txn send',
    'sendOffsets after handler',
    'commit (EndTxn)',
    'until read',
  ] as const;
  const stages: number[][] = names.map(() => []);
  const ends = fetches.map((f) => f.startMs + f.durationMs);
  for (const t of traces) {
    // the fetch that delivered this batch: the last one answered before its transaction began
    let k = -1;
    for (let i = 0; i < ends.length; i++) if ((ends[i] ?? Infinity) <= t.beginMs) k = i;
    const f = fetches[k];
    for (const id of t.eventIds) {
      const sent = sentAt.get(id);
      const got = arrived.get(id);
      if (sent === undefined || got === undefined) continue;
      // no fetch timings (librdkafka fetches on its own threads): event → batch begun in one stage
      if (!f && fetches.length > 0) continue;
      const fetchEnd = f ? f.startMs + f.durationMs : NaN;
      const values = [
        f ? Math.max(0, f.startMs - sent) : t.beginMs - sent,
        f ? fetchEnd - Math.max(f.startMs, sent) : NaN,
        f ? t.handlerStartMs - fetchEnd : t.handlerStartMs - t.beginMs,
        t.handlerEndMs - t.handlerStartMs,
        ...afterHandler(t),
        got - t.commitEndMs,
      ];
      values.forEach((v, i) => Number.isNaN(v) || stages[i]?.push(v));
    }
  }
  return names
    .map((n, i) =>
      fetches.length > 0
        ? n
        : i === 0
          ? 'until the batch began (fetch incl.)'
          : i === 2
            ? 'begin'
            : n,
    )
    .map((n, i) => {
      if (fetches.length === 0 && i === 1) return '';
      const v = (stages[i] ?? []).sort((a, b) => a - b);
      const mean = v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
      return `${n} ${mean.toFixed(0)}/${percentile(v, 50)}/${percentile(v, 99)}`;
    })
    .filter((x) => x !== '')
    .join(', ');
}

function click(user: string, tsMs: number, id: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      event_id: id,
      type: 'page_view',
      user_id: user,
      session_id: `s-${user}`,
      ts: new Date(tsMs).toISOString(),
    }),
  );
}

async function main(): Promise<void> {
  const logger = createLogger('error', 'bench');
  const config = loadConfig({
    CLICKHOUSE_DATA_DIR: tempDir('bench-scoring'),
    LOG_LEVEL: 'error',
    PROPENSITY_HORIZONS: '24h',
    TRAINER_WINDOW_DAYS: String(Math.max(3, DAYS - 2)),
    TRAINER_USERS_PER_CUTOFF: '1500',
    TRAINER_MAX_EPOCHS: '8',
    SCORER_DEBOUNCE_MS: '0',
    // passed through: the served network's width (1 or the default 3) and (c)'s consumer
    ...(process.env.TRAINER_ENSEMBLE ? { TRAINER_ENSEMBLE: process.env.TRAINER_ENSEMBLE } : {}),
    ...(process.env.TRANSPORT_CONSUMER_CLIENT
      ? { TRANSPORT_CONSUMER_CLIENT: process.env.TRANSPORT_CONSUMER_CLIENT }
      : {}),
  });
  const ch = await createClickHouse(config.clickhouse);
  await runMigrations(ch.client);
  const rss = rssSampler();
  const end = Date.UTC(2026, 10, 1);
  progress(`loading ${DAYS} days of history (${USERS} users, ~${PER_DAY} events/day)`);
  const events = await loadRawHistory(
    ch,
    new Storefront({
      seed: 21,
      users: USERS,
      skus: 300,
      invalidRate: 0,
      startMs: end - DAYS * DAY,
      eventsPerSec: PER_DAY / 86_400,
    }),
    end,
    PER_DAY,
  );

  const { tf } = await getTf({ log: () => undefined });
  const backend = getTfBackendInfo();
  const registry = new ModelRegistry(ch.client);
  const features = new FeatureStore(ch.client);
  const horizon = config.trainer.horizons[0];
  if (!horizon) throw new Error('no horizon configured');
  const model = propensityModelName(horizon.name);
  progress(`training ${model} with the trainer (${backend?.backend ?? '?'} backend)`);
  const t0 = Date.now();
  const trained = await new PropensityTrainer(
    tf,
    registry,
    new TrainingSetBuilder(new ClickHousePropensityHistory(ch.client), features),
    config.trainer,
    logger,
  ).run(horizon, () => undefined);
  const trainMs = Date.now() - t0;
  // the gate may reject a small first model against the heuristic; the bench scores it anyway
  if (!trained.promoted)
    await registry.promote(model, trained.version, 'bench: scoring benchmark', 'bench');

  const users = (
    await queryRows<{ u: string }>(
      ch.client,
      'SELECT DISTINCT user_id AS u FROM clickstream_events ORDER BY cityHash64(u) LIMIT 5000',
    )
  ).map((r) => r.u);
  // event ids are UUIDs (the clickstream contract); prefix only keeps the call sites readable
  const ids = (n: number, _prefix: string) =>
    Array.from({ length: n }, (_, i) => ({ id: randomUUID(), user: users[i % users.length] }));

  const rows: [string, string][] = [
    ['history', `${USERS} users, ${DAYS} days, ${events} events`],
    [
      'model',
      `${model} v${trained.version} (trained by PropensityTrainer in ${(trainMs / 1000).toFixed(0)} s, ${trained.rows.train} rows, ${trained.networks.length} network(s) merged (TRAINER_ENSEMBLE), test AUC ${trained.test.mlp.rocAuc.toFixed(3)})`,
    ],
    [
      'TF backend',
      `${backend?.backend ?? '?'} (${backend?.tfBackend ?? '?'}, tfjs ${backend?.version ?? '?'})`,
    ],
    [
      'features',
      'FeatureStore: (a) ClickHouse (chdb) lookups, then the online in-memory tier (warmed up from ClickHouse, no live feed); (b) the online tier',
    ],
  ];

  // History time flows on from the end of the loaded history: live events are "now" on this clock.
  const shift = Date.now() - end;
  const clock = () => Date.now() - shift;
  progress(
    'warming the online feature tier up (in-memory user features, as the scorer serves them)',
  );
  const tw = Date.now();
  const online = new OnlineFeatureStore(ch.client, { now: clock });
  await online.warmUp();
  rows.push(['online tier warm-up', `${((Date.now() - tw) / 1000).toFixed(1)} s`]);
  const size = online.status();
  rows.push([
    'online tier size',
    `${size.users} users, ${size.buckets} minute + ${size.hourBuckets} hour buckets, ${mib(size.bytes)} allocated = ${(size.bytes / Math.max(1, size.buckets + size.hourBuckets)).toFixed(0)} B per bucket`,
  ]);
  const onlineFeatures = new FeatureStore(ch.client, online);

  // (a) in process: ClickHouse lookups (a small run), then the online tier
  const variants: [string, FeatureStore, number][] = [
    ['ClickHouse', features, Math.min(INPROC_EVENTS, 5_000)],
    ['online tier', onlineFeatures, INPROC_EVENTS],
    // each batch's own events folded into its features (not stored yet; what precedes them is)
    ['online tier, folded', onlineFeatures, INPROC_EVENTS],
  ];
  if (!INPROC_CLICKHOUSE) variants.shift();
  if (!INPROC) variants.length = 0;
  for (const [label, store, count] of variants) {
    const cache = await championCache(tf, registry, model, horizon, logger);
    const timed = new TimedFeatures(store);
    const scorer = new PropensityScorer(tf, timed, cache);
    const folded = label.endsWith('folded');
    // the batch being handled starts here: every earlier offset counts as stored
    let stored = 0;
    const use = new ScoreEvents(
      scorer,
      noUpstreamWait,
      {
        aggregatorGroupId: 'none',
        featuresWaitMs: 1_000,
        debounceMs: 0,
        maxEventAgeMs: 3_600_000,
        maxPendingEvents: folded ? 100_000 : 0,
      },
      clock,
      folded
        ? { covers: (t) => online.covers(t), isApplied: (_t, _p, o) => o < stored }
        : undefined,
    );
    const mk = (from: number): InboundBatch => {
      const t = clock();
      const messages: InboundMessage[] = ids(BATCH, `e${from}`).map((e, i) => ({
        topic: TOPICS.clickstream,
        partition: 0,
        offset: String(from + i),
        key: null,
        // spread over the last 5 minutes: several as-of minutes per batch, as live
        value: click(e.user, t - ((from + i) % SPREAD_S) * 1_000, e.id),
        headers: {},
        timestampMs: t,
      }));
      return {
        topic: TOPICS.clickstream,
        partition: 0,
        messages,
        heartbeat: () => Promise.resolve(),
      };
    };
    await use.handle(mk(0)); // warm-up (query compilation, TF kernels)
    timed.ms = 0;
    timed.calls = 0;
    let decodeMs = 0;
    let handleMs = 0;
    let predictions = 0;
    const profiling = CPU_PROFILE !== '' && label === 'online tier';
    if (profiling) await cpuProfile.start();
    const cpu0 = process.cpuUsage();
    for (let from = BATCH; from < BATCH + count; from += BATCH) {
      const batch = mk(from);
      stored = from;
      const td = performance.now();
      use.decode(batch); // timed separately: the decode share (handle decodes again)
      decodeMs += performance.now() - td;
      const th = performance.now();
      predictions += (await use.handle(batch)).length;
      handleMs += performance.now() - th;
    }
    const cpu = process.cpuUsage(cpu0);
    if (profiling)
      progress(`CPU profile of the online-tier run: ${await cpuProfile.stop(CPU_PROFILE)}`);
    const rest = handleMs - timed.ms - decodeMs;
    const pct = (x: number) => `${((x / handleMs) * 100).toFixed(0)} %`;
    rows.push(
      [
        `(a) in-process, ${label}`,
        `${count} events in ${BATCH}-event batches spread over ${SPREAD_S} s: ${Math.round(count / (handleMs / 1000))} events/s (target ≥ 20,000/s), ${predictions} predictions, CPU ${((cpu.user + cpu.system) / 1000 / (handleMs + decodeMs)).toFixed(2)} cores`,
      ],
      [
        `(a) stages, ${label}`,
        `feature lookup ${pct(timed.ms)} (${(timed.ms / timed.calls).toFixed(1)} ms per lookup of ≤ ${BATCH} users, ${timed.calls} lookups), decode ${pct(decodeMs)}, model + records ${pct(rest)}`,
      ],
    );
    for (const r of rows.slice(-2)) progress(`${r[0]}: ${r[1]}`);
    if (label === 'online tier') {
      const alone = await predictOnly(tf, cache, store, users.slice(0, BATCH), clock(), registry);
      rows.push(
        [`(a) model alone, ${backend?.backend ?? '?'}`, alone.native],
        ['(a) model alone, wasm', alone.wasm],
      );
      for (const r of rows.slice(-2)) progress(`${r[0]}: ${r[1]}`);
    }
    await cache.stop();
  }

  if (INPROC && BASELINE) {
    const r = await sideBySide(tf, registry, model, horizon, logger, onlineFeatures, clock, ids);
    rows.push(...r);
    for (const x of r) progress(`${x[0]}: ${x[1]}`);
  }

  // (b) end to end through Kafka
  if (E2E) {
    const broker = await benchBroker(logger);
    const kafka = createKafka({ brokers: broker.brokers, clientId: 'bench-scoring', logger });
    try {
      const now: E2eVariant = {
        label: 'now',
        producers: 'kafkajs',
        offsetsDuringHandler: true,
        fetchMaxWaitMs: Number(process.env.BENCH_FETCH_MAX_WAIT_MS ?? config.scorer.fetchMaxWaitMs),
        maxBytesPerPartition: Number(
          process.env.BENCH_MAX_BYTES ?? config.scorer.maxBytesPerPartition,
        ),
      };
      const before: E2eVariant = {
        label: 'before',
        producers: 'kafkajs',
        offsetsDuringHandler: false,
        fetchMaxWaitMs: 250,
        maxBytesPerPartition: 256 * 1024,
      };
      // BENCH_PRODUCERS: the transport's producers, each a row of its own, side by side in one run
      const clients = (process.env.BENCH_PRODUCERS ?? 'kafkajs,librdkafka').split(',').map((c) => {
        if (c !== 'kafkajs' && c !== 'librdkafka')
          throw new Error(`BENCH_PRODUCERS: ${c} is neither kafkajs nor librdkafka`);
        return c;
      });
      // BENCH_CONSUMERS: whose consumer fetches the events, each crossed with BENCH_PRODUCERS
      const consumers = (process.env.BENCH_CONSUMERS ?? 'kafkajs').split(',').map((c) => {
        if (c !== 'kafkajs' && c !== 'librdkafka')
          throw new Error(`BENCH_CONSUMERS: ${c} is neither kafkajs nor librdkafka`);
        return c;
      });
      const nows = consumers.flatMap((consumer) =>
        clients.map((c): E2eVariant => ({
          ...now,
          label:
            consumers.length > 1 || consumer !== 'kafkajs'
              ? `now, ${c} producers, ${consumer} consumer`
              : `now, ${c} producers`,
          producers: c,
          consumer,
        })),
      );
      const variants = !B ? [] : COMPARE ? [before, ...nows] : nows;
      if (ECHO && B)
        for (const consumer of consumers) {
          // the echo rows publish with the first of BENCH_PRODUCERS (kafkajs before this row named it)
          const producers = clients[0] ?? 'kafkajs';
          variants.push({
            ...now,
            label: `transport alone (echo handler), ${producers} producers, ${consumer} consumer`,
            producers,
            consumer,
            echo: true,
          });
        }
      // BENCH_MAX_BYTES_ALT: the current settings with another fetch size per partition, side by side
      const alt = Number(process.env.BENCH_MAX_BYTES_ALT ?? 0);
      if (alt > 0 && B)
        variants.push({ ...now, label: `now, ${alt} B`, maxBytesPerPartition: alt });
      // BENCH_ROUNDS: the variants again in the same order, so the first is not the only one to
      // meet a cold broker (its JIT warms up over the first runs)
      const rounds = Number(process.env.BENCH_ROUNDS ?? 1);
      const runs = Array.from({ length: rounds }, (_, r) =>
        variants.map((v) => (rounds > 1 ? { ...v, label: `${v.label}, round ${r + 1}` } : v)),
      ).flat();
      for (const v of runs) {
        progress(`(b) ${v.label}: ${JSON.stringify(v)}`);
        const e2e = await endToEnd(
          kafka,
          tf,
          registry,
          onlineFeatures,
          clock,
          model,
          horizon,
          logger,
          ids,
          v,
        );
        rows.push(...e2e);
      }
      if (FEATURES_WAIT) {
        progress(`(c) the closed loop at ${RATE} events/s: aggregator, online tier and scorer`);
        const r = await closedLoop(kafka, ch, config, tf, registry, model, horizon, logger, users);
        rows.push(...r);
        for (const x of r) progress(`${x[0]}: ${x[1]}`);
      }
    } finally {
      await broker.stop();
    }
  }
  rows.push(['peak RSS', mib(rss.peak())]);
  rss.stop();
  printTable('scoring (npm run bench -- scoring)', rows);
  await ch.close();
}

/**
 * (c) The closed loop in one process, as the all-in-one runs it: the real AggregatorService (embedded
 * engine, the 13 rollups, dedup) feeding the online tier, and the scorer's ScoreEvents over the
 * transactional BatchTransport on the storefront clickstream, produced at BENCH_RATE. Per variant a
 * fresh scorer group: "fold" (the default: the batch's events not stored yet are folded into the
 * features) and "wait" (SCORER_MAX_PENDING_EVENTS=0: a batch waits until the aggregator committed
 * past it, the behaviour before). Event → committed prediction, read by a `read_committed` consumer.
 */
async function closedLoop(
  kafka: Kafka,
  ch: Awaited<ReturnType<typeof createClickHouse>>,
  config: ReturnType<typeof loadConfig>,
  tf: Tf,
  registry: ModelRegistry,
  model: string,
  horizon: { name: string; ms: number },
  logger: ReturnType<typeof createLogger>,
  users: string[],
): Promise<[string, string][]> {
  await resetStorefrontTopics(kafka);
  const agg = new AggregatorService(
    config,
    kafka,
    ch,
    logger,
    new PipelineMetrics(false),
    new HealthRegistry(),
  );
  const tier = new OnlineFeatureStore(ch.client, { pipeline: 'aggregator' });
  connectOnlineFeed(agg, tier);
  await agg.onApplicationBootstrap();
  await tier.warmUp();
  const store = new FeatureStore(ch.client, tier);
  const upstream = new KafkaGroupProgress(kafka, config.aggregator.groupId);
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const arrived = new Map<string, number>();
  const reader = kafka.consumer({
    groupId: `bench-loop-reader-${Date.now()}`,
    readUncommitted: false,
  });
  await reader.connect();
  await reader.subscribe({ topic: TOPICS.propensityPredictions, fromBeginning: false });
  await reader.run({
    eachMessage: ({ message }) => {
      const p = JSON.parse(message.value?.toString('utf8') ?? '{}') as { event_id?: string };
      if (p.event_id) arrived.set(p.event_id, Date.now());
      return Promise.resolve();
    },
  });
  const out: [string, string][] = [];
  const waitArrived = async (want: readonly string[], timeoutMs: number, what: string) => {
    const until = Date.now() + timeoutMs;
    let nextLog = Date.now() + 10_000;
    for (;;) {
      const n = want.filter((id) => arrived.has(id)).length;
      if (n === want.length) return;
      if (Date.now() > until)
        throw new Error(
          `(c) ${what}: only ${n} of ${want.length} predictions within ${timeoutMs} ms`,
        );
      if (Date.now() > nextLog) {
        nextLog += 10_000;
        progress(`(c) ${what}: ${n}/${want.length} predictions committed`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  try {
    for (const v of [
      { label: 'fold', maxPending: config.scorer.maxPendingEvents },
      { label: 'wait', maxPending: 0 },
    ]) {
      const cache = await championCache(tf, registry, model, horizon, logger);
      const use = new ScoreEvents(
        new PropensityScorer(tf, store, cache),
        upstream,
        {
          aggregatorGroupId: config.aggregator.groupId,
          featuresWaitMs: config.scorer.featuresWaitMs,
          debounceMs: 0,
          maxEventAgeMs: config.scorer.maxEventAgeMs,
          eventTime: {
            allowedLatenessMs: config.features.allowedLatenessMs,
            maxFutureMs: config.features.maxFutureMs,
          },
          maxPendingEvents: v.maxPending,
        },
        Date.now,
        tier,
      );
      const handler = { ms: 0, batches: 0, events: 0 };
      const io = new TracedIo(
        createTransportIo(kafka, brokersOf(kafka), config.kafka.transportClient).io,
      );
      @Controller()
      @UseFilters(PassThroughRpcErrors)
      class LoopScorerController {
        @EventPattern(TOPICS.clickstream)
        async clicks(@Payload() batch: InboundBatch): Promise<BatchOutput> {
          return tracedHandle(io, use, batch, handler);
        }
      }
      @Module({ controllers: [LoopScorerController] })
      class LoopModule {}
      const transport = new BatchTransport(
        {
          kafka,
          groupId: `bench-loop-${v.label}-${Date.now()}`,
          topics: [TOPICS.clickstream],
          mode: 'transactional',
          partitionsConcurrency: config.aggregator.partitionsConcurrency,
          maxBytesPerPartition: config.scorer.maxBytesPerPartition,
          fetchMaxWaitMs: config.scorer.fetchMaxWaitMs,
          retryMaxMs: 5_000,
          stallTimeoutMs: 60_000,
          drainTimeoutMs: 10_000,
          sessionTimeoutMs: 10_000,
          fromBeginning: false,
          consumerClient: config.kafka.transportConsumerClient,
          logger,
          metrics: new PipelineMetrics(false),
        },
        io,
      );
      const app = await NestFactory.createMicroservice(LoopModule, {
        strategy: transport,
        logger: false,
      });
      await app.listen();
      try {
        // warm-up: the group joined, a batch per partition scored (and stored) before the measured run
        for (let round = 0; ; round++) {
          const ids = [0, 1, 2].map(() => randomUUID());
          await producer.send({
            topic: TOPICS.clickstream,
            messages: ids.map((id, partition) => ({
              key: 'u-warm',
              partition,
              value: click(users[partition] ?? 'u-warm', Date.now(), id),
            })),
          });
          try {
            await waitArrived(ids, 20_000, `${v.label} warm-up`);
            break;
          } catch (e) {
            if (round >= 5) throw e;
          }
        }
        Object.assign(handler, { ms: 0, batches: 0, events: 0 });
        io.done.length = 0;
        const fetches: FetchTiming[] = [];
        transport.unwrap<BatchConsumer>().onFetch((f) => fetches.push(f));
        const counters0 = { ...use.counters };
        progress(`(c) ${v.label}: ${RATE} events/s for ${RATE_SECONDS} s`);
        const total = RATE * RATE_SECONDS;
        const sentAt = new Map<string, number>();
        const tickMs = 20;
        const perTick = Math.max(1, Math.round((RATE * tickMs) / 1000));
        const loopDelay = monitorEventLoopDelay({ resolution: 5 });
        loopDelay.enable();
        const t0 = Date.now();
        let maxPending = 0;
        for (let i = 0; i < total; i += perTick) {
          const wait = t0 + (i / RATE) * 1000 - Date.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          const n = Math.min(perTick, total - i);
          const ts = Date.now();
          const messages = Array.from({ length: n }, (_, k) => {
            const user = users[(i + k) % users.length] ?? 'u-0';
            const id = randomUUID();
            sentAt.set(id, ts);
            return { key: user, value: click(user, ts, id) };
          });
          await producer.send({ topic: TOPICS.clickstream, messages });
          maxPending = Math.max(maxPending, use.pendingEvents);
        }
        const sendSeconds = (Date.now() - t0) / 1000;
        await waitArrived([...sentAt.keys()], 180_000, `${v.label} run`);
        loopDelay.disable();
        const lat = [...sentAt]
          .map(([id, t]) => (arrived.get(id) ?? NaN) - t)
          .sort((a, b) => a - b);
        const c = use.counters;
        out.push([
          `(c) closed loop, ${v.label}`,
          `${total} clickstream events over ${sendSeconds.toFixed(1)} s into the aggregator and the scorer: event → committed prediction p50 ${percentile(lat, 50)} ms, p99 ${percentile(lat, 99)} ms, max ${lat.at(-1)} ms (target p99 ≤ 100 ms)`,
        ]);
        out.push([
          `(c) ${v.label}, batches`,
          `${handler.batches} scorer batches, handler ${(handler.ms / Math.max(1, handler.batches)).toFixed(0)} ms per batch; folded ${c.batchesFolded - counters0.batchesFolded}, waited for the aggregator ${c.batchesWaited - counters0.batchesWaited}, tail waits ${c.tailWaits - counters0.tailWaits}; pending events max ${maxPending}`,
        ]);
        out.push([
          `(c) ${v.label}, event loop`,
          `delay p50 ${(loopDelay.percentile(50) / 1e6).toFixed(0)} ms, p99 ${(loopDelay.percentile(99) / 1e6).toFixed(0)} ms, max ${(loopDelay.max / 1e6).toFixed(0)} ms (the scorer, the aggregator and the tier share one JS thread)`,
        ]);
        out.push([
          `(c) ${v.label}, stages ms mean/p50/p99`,
          stageBreakdown(io.done, fetches, sentAt, arrived),
        ]);
        for (const r of out.slice(-4)) progress(`${r[0]}: ${r[1]}`);
      } finally {
        await app.close();
        await cache.stop();
      }
    }
  } finally {
    await reader.disconnect();
    await producer.disconnect();
    await upstream.close();
    await agg.beforeApplicationShutdown();
    tier.stop();
  }
  return out;
}

/**
 * (a) before/after in one run: this build's ScoreEvents + PropensityScorer and an earlier build's
 * (BENCH_BASELINE) on the same batches of the online tier, alternating (which goes first flips every
 * batch), so both see the same machine load. The outputs must be the same records (scored_at aside).
 */
async function sideBySide(
  tf: Tf,
  registry: ModelRegistry,
  model: string,
  horizon: { name: string; ms: number },
  logger: ReturnType<typeof createLogger>,
  store: FeatureStore,
  clock: () => number,
  ids: (n: number, prefix: string) => { id: string; user: string }[],
): Promise<[string, string][]> {
  const base = loadBaseline(BASELINE);
  const opts = {
    aggregatorGroupId: 'none',
    featuresWaitMs: 1_000,
    debounceMs: 0,
    maxEventAgeMs: 3_600_000,
    maxPendingEvents: 0,
  };
  const cacheNow = await championCache(tf, registry, model, horizon, logger);
  const cacheBefore = await championCache(tf, registry, model, horizon, logger);
  const builds = [
    {
      label: 'this build',
      use: new ScoreEvents(new PropensityScorer(tf, store, cacheNow), noUpstreamWait, opts, clock),
      ms: 0,
      cpuUs: 0,
    },
    {
      label: `baseline ${BASELINE}`,
      use: new base.ScoreEvents(
        new base.PropensityScorer(tf, store, cacheBefore),
        noUpstreamWait,
        opts,
        clock,
      ),
      ms: 0,
      cpuUs: 0,
    },
  ];
  const mk = (from: number): InboundBatch => {
    const t = clock();
    return {
      topic: TOPICS.clickstream,
      partition: 0,
      messages: ids(BATCH, `s${from}`).map((e, i) => ({
        topic: TOPICS.clickstream,
        partition: 0,
        offset: String(from + i),
        key: null,
        value: click(e.user, t - ((from + i) % SPREAD_S) * 1_000, e.id),
        headers: {},
        timestampMs: t,
      })),
      heartbeat: () => Promise.resolve(),
    };
  };
  const strip = (v: string | Buffer | null) =>
    String(v).replace(/"scored_at":"[^"]*"/, '"scored_at":""');
  // warm-up, and the same records from both builds
  const w = mk(0);
  const [a, b] = await Promise.all(builds.map((x) => x.use.handle(w)));
  if (
    !a ||
    !b ||
    a.length !== b.length ||
    a.some((r, i) => strip(r.value) !== strip(b[i]?.value ?? null))
  )
    throw new Error('side by side: the two builds published different records for the same batch');
  let k = 0;
  for (let from = BATCH; from < BATCH + INPROC_EVENTS; from += BATCH, k++) {
    const batch = mk(from);
    for (const x of k % 2 === 0 ? builds : [...builds].reverse()) {
      const c0 = process.cpuUsage();
      const t = performance.now();
      await x.use.handle(batch);
      x.ms += performance.now() - t;
      const c = process.cpuUsage(c0);
      x.cpuUs += c.user + c.system;
    }
  }
  await cacheNow.stop();
  await cacheBefore.stop();
  const [now, before] = builds;
  if (!now || !before) throw new Error('side by side: two builds expected');
  const rate = (x: { ms: number }) => Math.round(INPROC_EVENTS / (x.ms / 1000));
  const perEvent = (x: { cpuUs: number }) => (x.cpuUs / INPROC_EVENTS).toFixed(1);
  return [
    [
      '(a) side by side, online tier',
      `${INPROC_EVENTS} events each in ${BATCH}-event batches, alternating: this build ${rate(now)} events/s (${perEvent(now)} µs CPU per event), ${before.label} ${rate(before)} events/s (${perEvent(before)} µs); ratio ${(before.ms / now.ms).toFixed(2)}× (wall), ${(before.cpuUs / now.cpuUs).toFixed(2)}× (CPU); same records`,
    ],
  ];
}

/** A CPU profile of part of the run (inspector session of this process), written as .cpuprofile. */
const cpuProfile = (() => {
  let session: import('node:inspector').Session | undefined;
  const post = <T>(method: string, params?: object) =>
    new Promise<T>((resolve, reject) => {
      if (!session) return reject(new Error('no inspector session'));
      session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res as T)));
    });
  return {
    async start(): Promise<void> {
      const { Session } = await import('node:inspector');
      session = new Session();
      session.connect();
      await post('Profiler.enable');
      await post('Profiler.start');
    },
    async stop(dir: string): Promise<string> {
      const { profile } = await post<{ profile: object }>('Profiler.stop');
      session?.disconnect();
      session = undefined;
      const file = join(dir, `scoring-inproc-${Date.now()}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      return file;
    },
  };
})();

async function championCache(
  tf: Tf,
  registry: ModelRegistry,
  model: string,
  horizon: { name: string; ms: number },
  logger: ReturnType<typeof createLogger>,
): Promise<ChampionCache> {
  const cache = new ChampionCache(
    tf,
    registry,
    new Map([[horizon.name, model]]),
    new Map([[horizon.name, horizon.ms]]),
    3_600_000,
    logger,
  );
  await cache.start();
  if (cache.all().length !== 1)
    throw new Error(`champion of ${model} not loaded: ${cache.lastError}`);
  return cache;
}

/** The model's share: scoring a prepared matrix (no lookup), per row. */
async function predictOnly(
  tf: Tf,
  cache: ChampionCache,
  features: FeatureStore,
  users: string[],
  atMs: number,
  registry: ModelRegistry,
): Promise<{ native: string; wasm: string }> {
  const c = cache.all()[0];
  if (!c) throw new Error('no champion loaded');
  const m = await features.lookupMatrix('user', users, atMs);
  const x = modelInput(m, c.normalisation.featureNames);
  predictPropensity(tf, c, x, m.ids.length);
  const reps = 50;
  const t = performance.now();
  for (let i = 0; i < reps; i++) predictPropensity(tf, c, x, m.ids.length);
  const ms = (performance.now() - t) / reps;
  const native = `${ms.toFixed(2)} ms per ${m.ids.length}-row matrix = ${Math.round((m.ids.length / ms) * 1000)} rows/s`;
  if (!WASM) return { native, wasm: 'not measured (BENCH_WASM=0)' };
  // the same champion and matrix on wasm, in a child process (one TF backend per process)
  const dir = tempDir('bench-scoring-wasm');
  const artifactPath = join(dir, 'model.bin');
  const matrixPath = join(dir, 'x.f32');
  writeFileSync(artifactPath, await registry.artifact(c.name, c.version));
  writeFileSync(matrixPath, Buffer.from(x.buffer, x.byteOffset, x.byteLength));
  const r = await new Promise<{ backend: string; ms: number; rows: number }>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        join(__dirname, 'scoring.child.js'),
        artifactPath,
        matrixPath,
        String(m.ids.length),
        'wasm',
        String(reps),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) reject(new Error(`wasm child exited ${code}: ${out}`));
      else resolve(JSON.parse(line.slice(7)) as { backend: string; ms: number; rows: number });
    });
  });
  return {
    native,
    wasm: `${r.backend}: ${r.ms.toFixed(2)} ms per ${r.rows}-row matrix = ${Math.round((r.rows / r.ms) * 1000)} rows/s`,
  };
}

async function endToEnd(
  kafka: Kafka,
  tf: Tf,
  registry: ModelRegistry,
  features: FeatureStore,
  clock: () => number,
  model: string,
  horizon: { name: string; ms: number },
  logger: ReturnType<typeof createLogger>,
  ids: (n: number, prefix: string) => { id: string; user: string }[],
  v: E2eVariant,
): Promise<[string, string][]> {
  const u = `${Date.now()}`;
  const tag = `(b ${v.label})`;
  const input = `bench-scoring-clicks-${u}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: input, numPartitions: 3 },
      { topic: TOPICS.propensityPredictions, numPartitions: 3 },
    ],
    waitForLeaders: true,
  });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const cache = await championCache(tf, registry, model, horizon, logger);
  const use = new ScoreEvents(
    new PropensityScorer(tf, features, cache),
    noUpstreamWait,
    {
      aggregatorGroupId: 'none',
      featuresWaitMs: 1_000,
      debounceMs: 0,
      maxEventAgeMs: 3_600_000,
      maxPendingEvents: 0,
    },
    clock,
  );
  const handler = { ms: 0, batches: 0, events: 0 };
  const io = new TracedIo(createTransportIo(kafka, brokersOf(kafka), v.producers).io);
  @Controller()
  @UseFilters(PassThroughRpcErrors)
  class BenchScorerController {
    @EventPattern(input)
    async clicks(@Payload() batch: InboundBatch): Promise<BatchOutput> {
      return tracedHandle(io, v.echo ? echoHandler : use, batch, handler);
    }
  }
  @Module({ controllers: [BenchScorerController] })
  class BenchModule {}

  // committed predictions: event id → arrival time
  const arrived = new Map<string, number>();
  const reader = kafka.consumer({ groupId: `bench-reader-${u}`, readUncommitted: false });
  await reader.connect();
  await reader.subscribe({ topic: TOPICS.propensityPredictions, fromBeginning: false });
  await reader.run({
    eachMessage: ({ message }) => {
      const p = JSON.parse(message.value?.toString('utf8') ?? '{}') as { event_id?: string };
      if (p.event_id) arrived.set(p.event_id, Date.now());
      return Promise.resolve();
    },
  });
  await new Promise((r) => setTimeout(r, 3_000)); // reader joined and positioned at the end
  let health: () => unknown = () => null;
  const waitArrived = async (n: number, timeoutMs: number) => {
    const until = Date.now() + timeoutMs;
    let nextLog = Date.now() + 10_000;
    while (arrived.size < n) {
      if (Date.now() > until)
        throw new Error(
          `only ${arrived.size} of ${n} predictions committed in ${timeoutMs} ms; scorer ${JSON.stringify(use.counters)}; transport ${JSON.stringify(health())}`,
        );
      if (Date.now() > nextLog) {
        nextLog += 10_000;
        progress(
          `${arrived.size}/${n} predictions committed; scorer ${JSON.stringify(use.counters)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const out: [string, string][] = [];
  try {
    // backlog: E2E_EVENTS in the topic before the transport starts
    const now = clock();
    const backlog = ids(E2E_EVENTS, `b${u}`);
    for (let i = 0; i < backlog.length; i += 2_000)
      await producer.send({
        topic: input,
        messages: backlog
          .slice(i, i + 2_000)
          .map((e) => ({ key: e.user, value: click(e.user, now, e.id) })),
      });
    const metrics = new PipelineMetrics(false);
    const transport = new BatchTransport(
      {
        kafka,
        groupId: `bench-scorer-${u}`,
        topics: [input],
        mode: 'transactional',
        partitionsConcurrency: 3,
        maxBytesPerPartition: v.maxBytesPerPartition,
        fetchMaxWaitMs: v.fetchMaxWaitMs,
        offsetsDuringHandler: v.offsetsDuringHandler,
        consumerClient: v.consumer ?? 'kafkajs',
        retryMaxMs: 5_000,
        stallTimeoutMs: 60_000,
        drainTimeoutMs: 10_000,
        sessionTimeoutMs: 10_000,
        fromBeginning: true,
        logger,
        metrics,
      },
      io,
    );
    health = () => transport.health();
    progress(`(b) backlog of ${E2E_EVENTS} events in ${input}; starting the transport`);
    const app = await NestFactory.createMicroservice(BenchModule, {
      strategy: transport,
      logger: false,
    });
    const tStart = Date.now();
    const cpu0 = process.cpuUsage();
    await app.listen();
    const fetches: FetchTiming[] = [];
    transport.unwrap<BatchConsumer>().onFetch((f) => fetches.push(f));
    try {
      await waitArrived(E2E_EVENTS, 300_000);
      const wall = Date.now() - tStart;
      const cpu = process.cpuUsage(cpu0);
      const h = transport.health();
      out.push([
        `${tag} end to end, backlog`,
        `${E2E_EVENTS} events → committed predictions in ${(wall / 1000).toFixed(1)} s = ${Math.round(E2E_EVENTS / (wall / 1000))} events/s (incl. group join), ${h.transactions.committed} transactions, CPU ${((cpu.user + cpu.system) / 1000 / wall).toFixed(2)} cores`,
      ]);
      const perTxn = (wall * Math.min(3, h.transactions.committed)) / h.transactions.committed;
      out.push([
        `${tag} backlog, per partition batch`,
        `${Math.round(handler.events / handler.batches)} events; handler (features + model + records) ${(handler.ms / handler.batches).toFixed(0)} ms of ~${perTxn.toFixed(0)} ms per batch; the rest is the Kafka side (fetch, transactional send of the records, sendOffsets, commit)`,
      ]);
      out.push([`${tag} backlog, ms per batch`, batchBreakdown(io.done, fetches)]);
      for (const r of out.slice(-3)) progress(`${r[0]}: ${r[1]}`);
      Object.assign(handler, { ms: 0, batches: 0, events: 0 });
      progress(`(b) latency run: ${RATE} events/s for ${RATE_SECONDS} s`);
      // latency at a fixed rate
      arrived.clear();
      io.done.length = 0;
      fetches.length = 0;
      const sentAt = new Map<string, number>();
      const total = RATE * RATE_SECONDS;
      const live = ids(total, `r${u}`);
      const tickMs = 20;
      const perTick = Math.max(1, Math.round((RATE * tickMs) / 1000));
      const t1 = Date.now();
      for (let i = 0; i < total; i += perTick) {
        const due = t1 + (i / RATE) * 1000;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const chunk = live.slice(i, i + perTick);
        const ts = Date.now();
        for (const e of chunk) sentAt.set(e.id, ts);
        await producer.send({
          topic: input,
          messages: chunk.map((e) => ({ key: e.user, value: click(e.user, clock(), e.id) })),
        });
      }
      const sendSeconds = (Date.now() - t1) / 1000;
      await waitArrived(total, 120_000);
      const lat = [...sentAt].map(([id, t]) => (arrived.get(id) ?? NaN) - t).sort((a, b) => a - b);
      out.push([
        `${tag} latency, handler`,
        `${handler.batches} batches of ${Math.round(handler.events / Math.max(1, handler.batches))} events on average, handler ${(handler.ms / Math.max(1, handler.batches)).toFixed(0)} ms per batch`,
      ]);
      out.push([
        `${tag} latency at ${RATE} events/s`,
        `${total} events over ${sendSeconds.toFixed(1)} s: event → committed prediction p50 ${percentile(lat, 50)} ms, p99 ${percentile(lat, 99)} ms, max ${lat.at(-1)} ms (target p99 ≤ 100 ms)`,
      ]);
      out.push([
        `${tag} latency stages, ms mean/p50/p99`,
        stageBreakdown(io.done, fetches, sentAt, arrived),
      ]);
      const cycles = fetches.map((f) => f.durationMs).sort((a, b) => a - b);
      out.push([
        `${tag} latency run fetches`,
        `${fetches.length} fetch requests, answer time p50 ${percentile(cycles, 50)} ms, p99 ${percentile(cycles, 99)} ms`,
      ]);
      for (const r of out.slice(-4)) progress(`${r[0]}: ${r[1]}`);
    } finally {
      await app.close();
    }
  } finally {
    await reader.disconnect();
    await producer.disconnect();
    await cache.stop();
    await admin.disconnect();
  }
  return out;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
