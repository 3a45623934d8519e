import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Consumer, Kafka, Message } from 'kafkajs';
import {
  TOPICS,
  predictionId,
  propensityPredictionSchema,
  type PropensityPrediction,
} from '@storepulse/contracts';
import { Storefront, type SimulatedMessage } from '@storepulse/simulator';
import { produce, resetStorefrontTopics, testKafka, waitFor } from './support/kafka';
import { tempDir, testBrokers } from './support/env';
import { ChildOutput, platformHttp, spawnPlatform } from './support/platform-child';

/**
 * Propensity end to end, on the real broker, the embedded engine and real TF.js training: the
 * all-in-one process (aggregator + trainer + scorer) as a child over simulated history trains and
 * promotes a champion per horizon; live simulated events produce one prediction per event and
 * horizon on predictions.propensity.v1, read by a plain kafkajs read_committed consumer; a rollback
 * changes the version of the next predictions; SIGKILLs under load lose and duplicate nothing.
 */
const DAY = 86_400_000;
// 3 horizons of history per model (train labels, validation, test) + 1 day: 3d needs 10.5 days
const HISTORY_DAYS = 12;
const HORIZONS = ['24h', '3d'];
const HTTP_PORT = 30_000 + (process.pid % 5_000);

interface ModelVersionDto {
  name: string;
  version: number;
  status: string;
  metrics: { test?: Record<string, { rocAuc: number }> };
}

describe('propensity: simulator → trainer → champion → scorer → predictions (exactly once)', () => {
  let kafka: Kafka;
  let child: ChildProcess | undefined;
  const output = new ChildOutput();
  const dataDir = tempDir('propensity-e2e');
  const suffix = `${process.pid}-${Date.now()}`;
  const predictions: PropensityPrediction[] = [];
  let reader: Consumer | undefined;
  const live: SimulatedMessage[] = [];
  let sf: Storefront;

  const base = `http://127.0.0.1:${HTTP_PORT}`;
  const http = platformHttp(base);
  const { get, post } = http;

  function start(): ChildProcess {
    return spawnPlatform(
      {
        HTTP_PORT: String(HTTP_PORT),
        KAFKA_BROKERS: testBrokers().join(','),
        CLICKHOUSE_DATA_DIR: join(dataDir, 'chdb'),
        AGGREGATOR_GROUP_ID: `agg-${suffix}`,
        AGGREGATOR_SESSION_TIMEOUT_MS: '10000',
        SCORER_GROUP_ID: `scorer-${suffix}`,
        SIMULATOR_EVENTS_PER_SEC: '0',
        FEATURES_ALLOWED_LATENESS_MS: String(30 * DAY),
        PROPENSITY_HORIZONS: HORIZONS.join(','),
        TRAINER_INTERVAL_MS: '0',
        TRAINER_USERS_PER_CUTOFF: '1500',
        TRAINER_CUTOFF_EVERY_HOURS: '6',
        // the same cut-off grid on the first run as later (the 18 h first-run grid is for npm start)
        TRAINER_FIRST_RUN_CUTOFF_EVERY_HOURS: '6',
        // the rollback test needs v2 to become champion: a lenient gate for the candidate (the
        // gate's rules have their own tests); the first model still has to beat the heuristic
        GATE_MAX_AUC_DROP: '0.1',
        GATE_MAX_LOGLOSS_INCREASE: '0.5',
        TRAINER_MAX_EPOCHS: '12',
        TRAINER_WARM_MAX_EPOCHS: '4',
        // one network per run: the ensemble (default 3) is the trainer int test's; here it would
        // only triple the training time
        TRAINER_ENSEMBLE: '1',
        SCORER_MODEL_POLL_MS: '500',
      },
      output,
    );
  }

  const up = () => http.up();

  async function champions(): Promise<Map<string, number>> {
    const list = await get<ModelVersionDto[]>('/api/models').catch(() => [] as ModelVersionDto[]);
    return new Map(list.filter((v) => v.status === 'champion').map((v) => [v.name, v.version]));
  }

  function liveBatch(n: number): SimulatedMessage[] {
    const out: SimulatedMessage[] = [];
    while (out.length < n) {
      for (const m of sf.next(n - out.length, Date.now()))
        if (m.topic !== TOPICS.inventory) out.push(m);
      if (out.length < n) sf.skipTo(sf.now + 1); // keep simulated time close to now
      if (sf.now > Date.now()) break;
    }
    return out;
  }

  async function send(msgs: SimulatedMessage[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const m of msgs) {
      const l = byTopic.get(m.topic) ?? [];
      l.push({ key: m.key, value: m.value });
      byTopic.set(m.topic, l);
    }
    for (const [topic, messages] of byTopic) await produce(kafka, topic, messages);
    live.push(...msgs);
  }

  const liveIds = () =>
    live
      .filter((m) => m.valid)
      .map((m) => (JSON.parse(m.value.toString('utf8')) as { event_id: string }).event_id);

  async function allScored(ids: string[], timeoutMs: number): Promise<void> {
    await waitFor(
      () => {
        const have = new Set(predictions.map((p) => `${p.event_id}|${p.horizon}`));
        return Promise.resolve(ids.every((id) => HORIZONS.every((h) => have.has(`${id}|${h}`))));
      },
      timeoutMs,
      `predictions for ${ids.length} events × ${HORIZONS.length} horizons`,
      250,
    );
  }

  before(async () => {
    kafka = testKafka();
    await resetStorefrontTopics(kafka);
    // History: HISTORY_DAYS up to now, produced before the platform starts.
    // The same history in every run (the days, not the time of the run, fix the data and the
    // cut-off grid): a run-dependent history gave the 24h MLP an AUC 0.002 below the heuristic in
    // one CI run, and the gate (rightly) never promoted it.
    const now = Math.floor(Date.now() / DAY) * DAY;
    const hist = new Storefront({
      seed: 5,
      users: 1500,
      skus: 150,
      invalidRate: 0,
      startMs: now - HISTORY_DAYS * DAY,
    });
    const byTopic = new Map<string, Message[]>();
    // ends 2 h before today (UTC): older than SCORER_MAX_EVENT_AGE_MS, so only the live events below are scored
    for (const chunk of hist.history(now - 2 * 3_600_000, 14_000))
      for (const m of chunk) {
        const l = byTopic.get(m.topic) ?? [];
        l.push({ key: m.key, value: m.value });
        byTopic.set(m.topic, l);
      }
    for (const [topic, messages] of byTopic) await produce(kafka, topic, messages);
    sf = new Storefront({
      seed: 5,
      users: 1500,
      skus: 150,
      invalidRate: 0.01,
      startMs: Date.now(),
      eventsPerSec: 400,
      seasonality: false,
    });
    reader = kafka.consumer({ groupId: `reader-${suffix}`, readUncommitted: false });
    await reader.connect();
    await reader.subscribe({ topic: TOPICS.propensityPredictions, fromBeginning: true });
    await reader.run({
      eachMessage: ({ message }) => {
        const p = propensityPredictionSchema.parse(
          JSON.parse(message.value?.toString('utf8') ?? 'null'),
        );
        assert.equal(message.key?.toString('utf8'), p.user_id);
        predictions.push(p);
        return Promise.resolve();
      },
    });
  });

  after(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await reader?.disconnect();
  });

  it('trains and promotes a first champion per horizon, reported next to its baselines', async () => {
    child = start();
    await up();
    await waitFor(
      async () => (await champions()).size === HORIZONS.length,
      300_000,
      'a champion for every horizon',
      2_000,
    ).catch((e: unknown) => {
      throw new Error(`${String(e)}\n--- child output ---\n${output.text}`);
    });
    for (const h of HORIZONS) {
      const v = await get<ModelVersionDto>(`/api/models/propensity_${h}/1`);
      assert.equal(v.status, 'champion');
      const t = v.metrics.test!;
      for (const m of ['mlp', 'logistic', 'heuristic']) assert.ok(t[m].rocAuc > 0.5, `${h} ${m}`);
      console.log(
        `propensity_${h} v1 test AUC: mlp ${t['mlp'].rocAuc.toFixed(3)}, logistic ${t['logistic'].rocAuc.toFixed(3)}, heuristic ${t['heuristic'].rocAuc.toFixed(3)}`,
      );
    }
    // the scorer picks a new champion up on its next registry poll (SCORER_MODEL_POLL_MS) and then
    // loads it: until then it answers 503 "no champion yet"; it must serve within 15 s
    const ask = () => post('/api/predictions/propensity', { user_ids: ['u-000001', 'nobody'] });
    let r = await ask();
    await waitFor(
      async () => r.status !== 503 || (r = await ask()).status !== 503,
      15_000,
      'the scorer serving the new champions',
      250,
    );
    assert.equal(r.status, 200);
    const body = (await r.json()) as {
      users: { user_id: string; known: boolean; scores: unknown[] }[];
    };
    assert.equal(body.users.length, 2);
    assert.equal(body.users[1].known, false);
    assert.equal(body.users[0].scores.length, HORIZONS.length);
    assert.equal(
      (await post('/api/predictions/propensity', { user_ids: ['a'], horizon: '5d' })).status,
      400,
    );
  });

  it('scores every live event once per horizon with the champion, reflecting the event', async () => {
    const champ = await champions();
    const t0 = Date.now();
    for (let i = 0; i < 6; i++) {
      await send(liveBatch(400));
      await new Promise((r) => setTimeout(r, 500));
    }
    // users never seen before: their only event is the one scored, so `known` says it is in the features
    const fresh = Array.from({ length: 30 }, (_, i) => {
      const user = `u-fresh-${t0}-${i}`;
      const event = {
        event_id: randomUUID(),
        type: 'page_view',
        user_id: user,
        session_id: `s-fresh-${i}`,
        ts: new Date().toISOString(),
      };
      return {
        topic: TOPICS.clickstream,
        key: user,
        value: Buffer.from(JSON.stringify(event)),
        timestampMs: Date.now(),
        valid: true,
      } satisfies SimulatedMessage;
    });
    await send(fresh);
    const ids = liveIds();
    await allScored(ids, 60_000);
    const mine = predictions.filter((p) => Date.parse(p.scored_at) >= t0 - 1000);
    const byKey = new Map<string, number>();
    for (const p of mine)
      byKey.set(`${p.event_id}|${p.horizon}`, (byKey.get(`${p.event_id}|${p.horizon}`) ?? 0) + 1);
    assert.ok(
      [...byKey.values()].every((c) => c === 1),
      'one prediction per event and horizon',
    );
    assert.equal(byKey.size, ids.length * HORIZONS.length);
    for (const p of mine) {
      assert.equal(p.model.version, champ.get(`propensity_${p.horizon}`));
      assert.equal(p.prediction_id, predictionId(p.event_id, p.model, p.horizon));
      // features as of the end of the event's minute: the triggering event is in them
      assert.ok(Date.parse(p.features_as_of) > Date.parse(p.event_ts));
      assert.ok(Date.parse(p.features_as_of) - Date.parse(p.event_ts) <= 60_000);
    }
    const freshUsers = new Set(fresh.map((m) => m.key));
    const firstEvents = mine.filter((p) => freshUsers.has(p.user_id));
    assert.equal(firstEvents.length, fresh.length * HORIZONS.length);
    assert.ok(
      firstEvents.every((p) => p.known),
      'a first-ever event is in the features of its own score',
    );
    const known = mine.filter((p) => p.known).length / mine.length;
    assert.ok(known > 0.8, `share of live events from users with history: ${known}`);
  });

  it('a rollback changes the version in the next predictions (within 5 s, no restart)', async () => {
    const model = 'propensity_24h';
    const r = await post('/api/models/propensity/train', { horizon: '24h' });
    assert.equal(r.status, 202);
    const { id } = (await r.json()) as { id: string };
    assert.equal((await post('/api/models/propensity/train', { horizon: '24h' })).status, 409);
    await waitFor(
      async () => (await get<{ status: string }>(`/api/models/runs/${id}`)).status !== 'running',
      240_000,
      'second training run',
      1_000,
    );
    const run = await get<{
      status: string;
      result: { version: number; promoted: boolean; warmStart: boolean };
    }>(`/api/models/runs/${id}`);
    assert.equal(run.status, 'succeeded');
    assert.equal(run.result.warmStart, true);
    assert.equal(run.result.version, 2);
    // the rollback needs v2 as the champion; a rejected version can never be promoted
    assert.equal(run.result.promoted, true, 'v2 promoted by the gate (lenient tolerances above)');
    assert.equal((await champions()).get(model), 2);
    await new Promise((res) => setTimeout(res, 3_000));
    const rb = await post(`/api/models/${model}/rollback`, { reason: 'e2e rollback' });
    assert.equal(rb.status, 200);
    assert.equal(((await rb.json()) as { champion: { version: number } }).champion.version, 1);
    await new Promise((res) => setTimeout(res, 5_000));
    const before = live.length;
    await send(liveBatch(300));
    const ids = liveIds().slice(-live.slice(before).filter((m) => m.valid).length);
    await allScored(ids, 60_000);
    const set = new Set(ids);
    const next = predictions.filter((p) => set.has(p.event_id) && p.horizon === '24h');
    assert.ok(next.length > 0);
    assert.ok(
      next.every((p) => p.model.version === 1),
      'predictions after the rollback use v1',
    );
    const events = await get<{ event: string; version: number }[]>(
      `/api/models/events?name=${model}`,
    );
    assert.equal(events[0].event, 'rolled_back');
  });

  it('SIGKILL under load: every event has exactly one committed prediction per horizon', async () => {
    const kills = 3;
    let sending = true;
    const producer = (async () => {
      while (sending) {
        await send(liveBatch(150));
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const downMs: number[] = [];
    for (let k = 0; k < kills; k++) {
      await new Promise((r) => setTimeout(r, 2_500 + k * 700));
      const killedAt = Date.now();
      child?.kill('SIGKILL');
      await new Promise<void>((r) =>
        child?.exitCode !== null ? r() : child.once('exit', () => r()),
      );
      child = start();
      await up();
      downMs.push(Date.now() - killedAt);
    }
    await new Promise((r) => setTimeout(r, 2_000));
    sending = false;
    await producer;
    const stoppedAt = Date.now();
    const ids = liveIds();
    await allScored(ids, 240_000).catch((e: unknown) => {
      throw new Error(`${String(e)}\n--- child output ---\n${output.text}`);
    });
    const recoveryS = (Date.now() - stoppedAt) / 1000;
    const count = new Map<string, number>();
    for (const p of predictions)
      count.set(`${p.event_id}|${p.horizon}`, (count.get(`${p.event_id}|${p.horizon}`) ?? 0) + 1);
    const dup = [...count.entries()].filter(([, c]) => c !== 1);
    // fault suite, case 5 (scorer half): its measurements, printed like the faults cases'
    console.log(
      `[faults] scorer SIGKILL: ${kills} kills under load, down ${downMs.map((d) => (d / 1000).toFixed(1)).join(' / ')} s (kill to /health 200); ` +
        `every prediction committed ${recoveryS.toFixed(1)} s after the producer stopped; ${ids.length} live events × ${HORIZONS.length} horizons, ` +
        `${predictions.length} committed predictions; lost ${ids.length * HORIZONS.length - count.size}, doubled ${dup.length}`,
    );
    assert.deepEqual(dup, [], 'no event scored twice for a horizon');
    assert.equal(count.size, ids.length * HORIZONS.length, 'no event lost');
  });
});
