import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Consumer, Kafka, Message } from 'kafkajs';
import { createClickHouse, queryRows, type ClickHouseHandle } from '@storepulse/clickhouse';
import { loadConfig } from '@storepulse/config';
import {
  TOPICS,
  demandForecastSchema,
  propensityPredictionSchema,
  replenishmentSchema,
  type DemandForecastMessage,
  type PropensityPrediction,
  type ReplenishmentMessage,
} from '@storepulse/contracts';
import { Storefront } from '@storepulse/simulator';
import { produce, resetStorefrontTopics, testKafka, waitFor } from './support/kafka';
import { tempDir, testBrokers, testPortBlock } from './support/env';
import { ChildOutput, platformHttp, spawnApp } from './support/platform-child';

/**
 * Apps as separate processes on one machine without a ClickHouse server: the ClickHouse gateway
 * (`npm run start:clickhouse`, the embedded engine behind ClickHouse's HTTP interface), then the
 * aggregator, trainer, scorer and simulator, each its own node process with CLICKHOUSE_URL pointing
 * at the gateway and KAFKA_BROKERS at the test broker. The aggregator stores a simulated history, the
 * trainer promotes a propensity and a demand champion, the simulator's live traffic is scored with the
 * champion, a rollback through the trainer's API switches the running scorer's version; predictions,
 * forecasts and replenishment are read by plain kafkajs read_committed consumers.
 *
 * The history is the simulator's storefront (same seed, users and SKUs as the simulator app), written
 * by the test before the apps start and day-aligned like propensity.e2e's: it ends 2 h before today
 * (UTC) 00:00, so the data and the 6 h cut-off grid are the same in every run, and so is the gate's
 * decision. (The simulator's own first-run history ends at the wall clock: a run-dependent data set
 * and grid, on which the first MLP lost the gate to the heuristic, e.g. log loss 0.2024 vs 0.1997.)
 * CLICK_DAYS of clickstream after ORDER_ONLY_DAYS of orders only (the demand model's longer series).
 * The simulator app starts only once the propensity champion exists (SIMULATOR_HISTORY_DAYS=0: live
 * traffic only), so its live events do not move the first run's watermark and grid.
 */
const DAY = 86_400_000;
const HOUR = 3_600_000;
const CLICK_DAYS = 12;
const ORDER_ONLY_DAYS = 30;
const PORT0 = testPortBlock(5);
const GATEWAY_PORT = PORT0;
const PORTS = {
  aggregator: PORT0 + 1,
  simulator: PORT0 + 2,
  trainer: PORT0 + 3,
  scorer: PORT0 + 4,
};
const PASSWORD = 'separate-apps';
const HORIZON = '24h';

interface ModelVersionDto {
  name: string;
  version: number;
  status: string;
}

describe('separate apps over the ClickHouse gateway: simulator → aggregator → trainer → scorer', () => {
  let kafka: Kafka;
  // one output per app: a failure shows the latest lines of each
  const outputs = new Map<string, ChildOutput>();
  const start = (app: string, label: string, env: Record<string, string>): ChildProcess => {
    const out = new ChildOutput();
    outputs.set(label, out);
    const c = spawnApp(app, env, out);
    children.push(c);
    return c;
  };
  const children: ChildProcess[] = [];
  const readers: Consumer[] = [];
  const dataDir = tempDir('separate-apps');
  const suffix = `${process.pid}-${Date.now()}`;
  const gatewayUrl = `http://127.0.0.1:${GATEWAY_PORT}`;
  const predictions: PropensityPrediction[] = [];
  const forecasts: DemandForecastMessage[] = [];
  const recommendations: ReplenishmentMessage[] = [];
  const trainer = platformHttp(`http://127.0.0.1:${PORTS.trainer}`);
  let ch: ClickHouseHandle | undefined;
  const t0 = Date.now();
  const withOutput = async (e: unknown): Promise<never> => {
    const runs = await trainer
      .get<unknown[]>('/api/models/runs')
      .then((r) => JSON.stringify(r).slice(0, 4_000))
      .catch((err: unknown) => String(err));
    const logs = [...outputs]
      .map(([label, out]) => `--- ${label} ---\n${out.text.slice(-6_000)}`)
      .join('\n');
    throw new Error(`${String(e)}\n--- trainer runs ---\n${runs}\n${logs}`);
  };
  const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(0)} s`;

  const STORE = { seed: 5, users: 1500, skus: 60 };
  const common: Record<string, string> = {
    KAFKA_BROKERS: testBrokers().join(','),
    CLICKHOUSE_URL: gatewayUrl,
    CLICKHOUSE_PASSWORD: PASSWORD,
    FEATURES_ALLOWED_LATENESS_MS: String(60 * DAY),
    // the trainer waits for this group's lag before scheduled runs
    AGGREGATOR_GROUP_ID: `agg-${suffix}`,
    // the storefront of the history below (fewer SKUs than propensity.e2e: demand trains per SKU)
    SIMULATOR_SEED: String(STORE.seed),
    SIMULATOR_USERS: String(STORE.users),
    SIMULATOR_SKUS: String(STORE.skus),
  };

  async function read<T>(topic: string, parse: (v: unknown) => T, into: T[]): Promise<void> {
    const c = kafka.consumer({ groupId: `reader-${topic}-${suffix}`, readUncommitted: false });
    readers.push(c);
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    await c.run({
      eachMessage: ({ message }) => {
        into.push(parse(JSON.parse(message.value?.toString('utf8') ?? 'null')));
        return Promise.resolve();
      },
    });
  }

  async function champion(name: string): Promise<number | undefined> {
    const list = await trainer.get<ModelVersionDto[]>('/api/models').catch(() => []);
    return list.find((v) => v.name === name && v.status === 'champion')?.version;
  }

  /** The day-aligned history (see the file comment), produced before any app starts. */
  async function writeHistory(): Promise<number> {
    const day0 = Math.floor(Date.now() / DAY) * DAY;
    const clicksFrom = day0 - CLICK_DAYS * DAY;
    const hist = new Storefront({
      ...STORE,
      invalidRate: 0,
      startMs: clicksFrom - ORDER_ONLY_DAYS * DAY,
      clickstreamFromMs: clicksFrom,
      seasonality: true,
    });
    let sent = 0;
    let byTopic = new Map<string, Message[]>();
    const flush = async () => {
      for (const [topic, messages] of byTopic) await produce(kafka, topic, messages);
      byTopic = new Map();
    };
    // ends 2 h before today 00:00 UTC: older than SCORER_MAX_EVENT_AGE_MS (1 h), so not scored live
    for (const chunk of hist.history(day0 - 2 * HOUR, 14_000, 20_000)) {
      for (const m of chunk) {
        const l = byTopic.get(m.topic) ?? [];
        // no Kafka timestamp: old event times would fall out of the topics' retention
        l.push({ key: m.key, value: m.value });
        byTopic.set(m.topic, l);
      }
      sent += chunk.length;
      if (sent % 100_000 < chunk.length) await flush();
    }
    await flush();
    return sent;
  }

  before(async () => {
    kafka = testKafka();
    await resetStorefrontTopics(kafka);
    const sent = await writeHistory();
    console.log(`separate apps: history of ${sent} messages produced after ${elapsed()}`);
    await read(
      TOPICS.propensityPredictions,
      (v) => propensityPredictionSchema.parse(v),
      predictions,
    );
    await read(TOPICS.demandForecasts, (v) => demandForecastSchema.parse(v), forecasts);
    await read(TOPICS.replenishment, (v) => replenishmentSchema.parse(v), recommendations);
  });

  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((r) => {
            if (c.exitCode !== null || c.signalCode !== null) return r();
            const t = setTimeout(() => {
              c.kill('SIGKILL');
              r();
            }, 15_000);
            c.once('exit', () => {
              clearTimeout(t);
              r();
            });
          }),
      ),
    );
    await ch?.close();
    for (const r of readers) await r.disconnect();
  });

  it('starts the gateway, then each app as its own process against it', async () => {
    start('clickhouse-gateway', 'gateway', {
      CLICKHOUSE_DATA_DIR: join(dataDir, 'chdb'),
      CLICKHOUSE_GATEWAY_PORT: String(GATEWAY_PORT),
      CLICKHOUSE_PASSWORD: PASSWORD,
    });
    await waitFor(
      async () => {
        try {
          return (await fetch(`${gatewayUrl}/ping`)).status === 200;
        } catch {
          return false;
        }
      },
      60_000,
      'gateway /ping',
      200,
    ).catch(withOutput);
    // The others at once: their migrations race on one ledger (the migration lock serialises them).
    // The simulator starts later (the propensity test), once the first champion is trained.
    start('aggregator', 'aggregator', {
      ...common,
      HTTP_PORT: String(PORTS.aggregator),
      AGGREGATOR_SESSION_TIMEOUT_MS: '10000',
    });
    start('trainer', 'trainer', {
      ...common,
      HTTP_PORT: String(PORTS.trainer),
      PROPENSITY_HORIZONS: HORIZON,
      TRAINER_INTERVAL_MS: '0',
      // The first run on the same 6 h grid as later runs (the 18 h first-run grid is for npm start),
      // over a 10-day window inside the CLICK_DAYS of clickstream (not back into the order-only
      // days): 33 training cut-offs of up to 1,500 users, about propensity.e2e's 24 h set. v1 meets
      // the default gate against its baselines; v2 is compared with the champion under the
      // tolerances propensity.e2e uses (a 2-epoch warm start on another grid can lose more than
      // 0.005 AUC, and the registry never promotes a rejected version, by hand or not).
      TRAINER_WINDOW_DAYS: '10',
      GATE_MAX_AUC_DROP: '0.1',
      GATE_MAX_LOGLOSS_INCREASE: '0.5',
      TRAINER_USERS_PER_CUTOFF: String(STORE.users),
      // the second run (the rollback test's v2) on a 12 h grid: half the training-set queries
      TRAINER_CUTOFF_EVERY_HOURS: '12',
      TRAINER_FIRST_RUN_CUTOFF_EVERY_HOURS: '6',
      TRAINER_MAX_EPOCHS: '12',
      TRAINER_WARM_MAX_EPOCHS: '2',
      // one network per run: the ensemble (default 3) is the trainer int test's; here it would
      // only triple the training time
      TRAINER_ENSEMBLE: '1',
      TRAINER_DRIFT_CHECK_MS: '0',
      DEMAND_TRAIN_INTERVAL_MS: '86400000',
      DEMAND_HORIZON_DAYS: '7',
      DEMAND_HISTORY_DAYS: '60',
      DEMAND_MIN_HISTORY_DAYS: '14',
      DEMAND_GLOBAL_MAX_EPOCHS: '3',
    });
    start('scorer', 'scorer', {
      ...common,
      HTTP_PORT: String(PORTS.scorer),
      PROPENSITY_HORIZONS: HORIZON,
      SCORER_GROUP_ID: `scorer-${suffix}`,
      REPLENISHMENT_GROUP_ID: `replenishment-${suffix}`,
      SCORER_MODEL_POLL_MS: '500',
      DEMAND_HORIZON_DAYS: '7',
      DEMAND_FORECAST_INTERVAL_MS: '60000',
    });
    for (const [name, port] of Object.entries(PORTS))
      if (name !== 'simulator')
        await platformHttp(`http://127.0.0.1:${port}`)
          .up(120_000)
          .catch((e: unknown) => withOutput(`${name}: ${String(e)}`));
    console.log(`separate apps: all up after ${elapsed()}`);
    for (const c of children) assert.equal(c.exitCode, null, 'every app still running');
  });

  it('stores the raw events in ClickHouse through the gateway', async () => {
    ch = await createClickHouse(
      loadConfig({ CLICKHOUSE_URL: gatewayUrl, CLICKHOUSE_PASSWORD: PASSWORD }).clickhouse,
    );
    assert.equal(ch.mode, 'server');
    const counts = async () =>
      (
        await queryRows<{ c: number; o: number; i: number }>(
          ch!.client,
          `SELECT (SELECT count() FROM clickstream_events) AS c, (SELECT count() FROM order_lines) AS o,
                  (SELECT count() FROM inventory_snapshots) AS i`,
        )
      )[0];
    await waitFor(
      async () => {
        const n = await counts();
        return Number(n.c) > 20_000 && Number(n.o) > 100 && Number(n.i) > 0;
      },
      180_000,
      'raw rows stored',
      1_000,
    ).catch(withOutput);
    const n = await counts();
    console.log(
      `separate apps: stored clicks=${n.c} order_lines=${n.o} inventory=${n.i} after ${elapsed()}`,
    );
    const ledger = await queryRows<{ n: number }>(
      ch.client,
      'SELECT count() AS n FROM schema_migrations FINAL',
    );
    const versions = await queryRows<{ n: number }>(
      ch.client,
      'SELECT count() AS n FROM schema_migrations',
    );
    assert.equal(Number(ledger[0].n), Number(versions[0].n), 'each migration recorded once');
  });

  /** Waits until some prediction scored at or after `fromMs` has `version`; returns when (ms). */
  async function firstScoredWith(version: number, fromMs: number, what: string): Promise<number> {
    await waitFor(
      () =>
        Promise.resolve(
          predictions.some((p) => p.model.version === version && Date.parse(p.scored_at) >= fromMs),
        ),
      60_000,
      what,
      200,
    ).catch(withOutput);
    return Math.min(
      ...predictions
        .filter((p) => p.model.version === version && Date.parse(p.scored_at) >= fromMs)
        .map((p) => Date.parse(p.scored_at)),
    );
  }

  it('promotes a propensity champion; the scorer publishes its predictions for live events', async () => {
    const name = `propensity_${HORIZON}`;
    await waitFor(
      async () => (await champion(name)) !== undefined || (await decided(name)),
      // a failed first run (e.g. a gateway connection error under load) is retried after 15 s
      420_000,
      `a trained ${name}`,
      2_000,
    ).catch(withOutput);
    const version = await champion(name);
    if (version === undefined) {
      const events = await trainer
        .get<{ event: string; reason: string }[]>(`/api/models/events?name=${name}`)
        .catch((e: unknown) => String(e));
      await withOutput(`${name} v1 was trained but not promoted: ${JSON.stringify(events)}`);
      return;
    }
    assert.equal(version, 1);
    const v1 = await trainer.get<{ metrics: { test?: Record<string, { rocAuc: number }> } }>(
      `/api/models/${name}/1`,
    );
    const t = v1.metrics.test;
    console.log(
      `separate apps: ${name} v1 champion after ${elapsed()}; test AUC mlp ${t?.['mlp']?.rocAuc.toFixed(3)}, heuristic ${t?.['heuristic']?.rocAuc.toFixed(3)}`,
    );
    // live traffic only: the history is already there
    const liveFrom = Date.now();
    start('simulator', 'simulator', {
      ...common,
      HTTP_PORT: String(PORTS.simulator),
      SIMULATOR_EVENTS_PER_SEC: '30',
      SIMULATOR_HISTORY_DAYS: '0',
    });
    await platformHttp(`http://127.0.0.1:${PORTS.simulator}`)
      .up(120_000)
      .catch((e: unknown) => withOutput(`simulator: ${String(e)}`));
    await waitFor(
      () => Promise.resolve(predictions.filter((p) => p.model.version === version).length >= 20),
      90_000,
      `20 predictions of ${name} v${version}`,
      500,
    ).catch(withOutput);
    for (const p of predictions) {
      assert.equal(p.horizon, HORIZON);
      assert.equal(p.model.name, name);
      assert.equal(p.model.version, version);
      // live events of the simulator app, not the history
      assert.ok(Date.parse(p.event_ts) >= liveFrom - 60_000, `live event ${p.event_id}`);
    }
    assert.ok(
      predictions.filter((p) => p.known).length / predictions.length > 0.8,
      'live users have history',
    );
    console.log(
      `separate apps: ${predictions.length} predictions of ${name} v${version} after ${elapsed()}`,
    );
  });

  it('a rollback through the trainer API changes the version in the next predictions', async () => {
    const name = `propensity_${HORIZON}`;
    assert.equal(await champion(name), 1, 'v1 is the champion (previous test)');
    type Run = {
      status: string;
      error: string | null;
      result: { version: number; promoted: boolean; warmStart: boolean; reason: string } | null;
    };
    const train = async (): Promise<Run> => {
      const r = await trainer.post('/api/models/propensity/train', { horizon: HORIZON });
      assert.equal(r.status, 202, await r.clone().text());
      const { id } = (await r.json()) as { id: string };
      await waitFor(
        async () => (await trainer.get<Run>(`/api/models/runs/${id}`)).status !== 'running',
        240_000,
        'second training run',
        1_000,
      ).catch(withOutput);
      return trainer.get<Run>(`/api/models/runs/${id}`);
    };
    let run = await train();
    // one more attempt after a dropped gateway connection only (as the trainer retries a failed
    // first run); any other failure, or a second one, fails the test
    if (run.status === 'failed' && /socket hang up|EPIPE|ECONNRESET/.test(run.error ?? '')) {
      console.log(`separate apps: second run failed (${run.error}); once more`);
      run = await train();
    }
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
    assert.ok(run.result, 'the run has a result');
    assert.equal(run.result.version, 2);
    assert.equal(run.result.warmStart, true);
    // the rollback under test needs v2 as the champion: the gate (tolerances above) promotes it
    assert.equal(run.result.promoted, true, `v2 rejected by the gate: ${run.result.reason}`);
    console.log(`separate apps: v2 promoted by the gate (${run.result.reason}) after ${elapsed()}`);
    assert.equal(await champion(name), 2);
    const promotedAt = Date.now();
    const v2At = await firstScoredWith(2, promotedAt, `predictions of ${name} v2`);
    const rb = await trainer.post(`/api/models/${name}/rollback`, { reason: 'e2e rollback' });
    assert.equal(rb.status, 200, await rb.clone().text());
    assert.equal(((await rb.json()) as { champion: { version: number } }).champion.version, 1);
    const rolledBackAt = Date.now();
    const v1At = await firstScoredWith(1, rolledBackAt, `predictions of ${name} v1 after rollback`);
    const switchMs = v1At - rolledBackAt;
    console.log(
      `separate apps: v2 served ${v2At - promotedAt} ms after its promotion, v1 ${switchMs} ms after the rollback (${elapsed()})`,
    );
    // the scorer polls the registry every 500 ms (SCORER_MODEL_POLL_MS): switched within 5 s
    assert.ok(switchMs <= 5_000, `v1 served ${switchMs} ms after the rollback`);
    // and stays: every prediction scored 1 s after the first v1 one is v1
    await waitFor(
      () =>
        Promise.resolve(
          predictions.filter((p) => Date.parse(p.scored_at) > v1At + 1_000).length >= 10,
        ),
      30_000,
      'predictions after the rollback',
      200,
    ).catch(withOutput);
    const after = predictions.filter((p) => Date.parse(p.scored_at) > v1At + 1_000);
    assert.deepEqual(
      [...new Set(after.map((p) => p.model.version))],
      [1],
      'the next predictions use v1',
    );
    const events = await trainer.get<{ event: string; version: number }[]>(
      `/api/models/events?name=${name}`,
    );
    assert.equal(events[0].event, 'rolled_back');
  });

  it('trains a demand champion; the scorer publishes forecasts and replenishment', async () => {
    await waitFor(
      async () => (await champion('demand')) !== undefined,
      240_000,
      'a demand champion',
      2_000,
    ).catch(withOutput);
    const version = await champion('demand');
    await waitFor(
      () => Promise.resolve(forecasts.some((f) => f.model.version === version)),
      120_000,
      'demand forecasts',
      500,
    ).catch(withOutput);
    for (const f of forecasts) {
      assert.equal(f.model.name, 'demand');
      assert.equal(f.horizon.length, 7);
    }
    await waitFor(
      () => Promise.resolve(recommendations.length > 0),
      120_000,
      'replenishment recommendations',
      500,
    ).catch(withOutput);
    const skus = new Set(forecasts.map((f) => f.sku));
    for (const r of recommendations) assert.ok(skus.has(r.sku), `a forecast for ${r.sku}`);
    console.log(
      `separate apps: demand v${version}, ${skus.size} SKUs forecast, ${recommendations.length} recommendations after ${elapsed()}`,
    );
  });

  /** A version of `name` the gate has decided on (registered versions are candidates until then). */
  async function decided(name: string): Promise<boolean> {
    const list = await trainer.get<ModelVersionDto[]>('/api/models').catch(() => []);
    return list.some((v) => v.name === name && v.status !== 'candidate');
  }
});
