import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ConfigResourceTypes, type Consumer, type Kafka, type Message } from 'kafkajs';
import {
  TOPICS,
  demandForecastSchema,
  replenishmentSchema,
  type DemandForecastMessage,
  type ReplenishmentMessage,
} from '@storepulse/contracts';
import { Storefront } from '@storepulse/simulator';
import { produce, resetStorefrontTopics, testKafka, waitFor } from './support/kafka';
import { tempDir, testBrokers } from './support/env';
import { ChildOutput, platformHttp, spawnPlatform } from './support/platform-child';

/**
 * Demand end to end, on the real broker, the embedded engine and real TF.js training: simulated
 * order history (112 days) → aggregator → rollups → the trainer's demand run (rolling-origin
 * backtest of every method, champion by mean wQL, registry) → the hourly publisher's forecasts on
 * the compacted forecasts.demand.v1 → the replenishment consumer's recommendations on the compacted
 * inventory.replenishment.v1, both read by plain kafkajs read_committed consumers; a stock change
 * republishes the SKU's recommendation.
 */
const DAY = 86_400_000;
const HISTORY_DAYS = 112;
const SKUS = 60;
const HTTP_PORT = 30_000 + ((process.pid + 1_777) % 5_000);

interface ModelVersionDto {
  name: string;
  version: number;
  status: string;
  metrics: {
    champion?: string;
    backtest?: Record<string, { wape: number; meanWql: number; coverage80: number; mase: number }>;
  };
}

describe('demand: order history → trainer → champion → forecasts → replenishment (compacted topics)', () => {
  let kafka: Kafka;
  let child: ChildProcess | undefined;
  const output = new ChildOutput();
  const dataDir = tempDir('demand-e2e');
  const suffix = `${process.pid}-${Date.now()}`;
  const forecasts: DemandForecastMessage[] = [];
  const recommendations: ReplenishmentMessage[] = [];
  const readers: Consumer[] = [];
  const skusWithSales = new Set<string>();
  const skusWithStock = new Set<string>();

  const base = `http://127.0.0.1:${HTTP_PORT}`;
  const http = platformHttp(base);
  const { call, get, post } = http;
  const withOutput = (e: unknown): never => {
    throw new Error(`${String(e)}\n--- child output ---\n${output.text}`);
  };

  const start = (): ChildProcess =>
    spawnPlatform(
      {
        HTTP_PORT: String(HTTP_PORT),
        KAFKA_BROKERS: testBrokers().join(','),
        CLICKHOUSE_DATA_DIR: join(dataDir, 'chdb'),
        AGGREGATOR_GROUP_ID: `agg-${suffix}`,
        AGGREGATOR_SESSION_TIMEOUT_MS: '10000',
        REPLENISHMENT_GROUP_ID: `replenishment-${suffix}`,
        SIMULATOR_EVENTS_PER_SEC: '0',
        FEATURES_ALLOWED_LATENESS_MS: String((HISTORY_DAYS + 5) * DAY),
        // the propensity half is covered by propensity.e2e: only demand here
        TRAINER_ENABLED: 'false',
        SCORER_ENABLED: 'false',
        DEMAND_TRAIN_INTERVAL_MS: '86400000',
        DEMAND_GLOBAL_MAX_EPOCHS: '6',
        DEMAND_HISTORY_DAYS: '120',
        SCORER_MODEL_POLL_MS: '500',
      },
      output,
    );

  async function read<T>(topic: string, parse: (v: unknown) => T, into: T[]): Promise<void> {
    const c = kafka.consumer({ groupId: `reader-${topic}-${suffix}`, readUncommitted: false });
    readers.push(c);
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    await c.run({
      eachMessage: ({ message }) => {
        const v = parse(JSON.parse(message.value?.toString('utf8') ?? 'null'));
        assert.equal(message.key?.toString('utf8'), (v as { sku: string }).sku, `${topic} key`);
        into.push(v);
        return Promise.resolve();
      },
    });
  }

  const latest = <T extends { sku: string }>(list: T[], sku: string): T | undefined =>
    [...list].reverse().find((m) => m.sku === sku);

  before(async () => {
    kafka = testKafka();
    await resetStorefrontTopics(kafka);
    const now = Date.now();
    const hist = new Storefront({
      seed: 11,
      users: 1500,
      skus: SKUS,
      invalidRate: 0,
      startMs: now - HISTORY_DAYS * DAY,
    });
    // orders and stock positions only: demand needs no clickstream (a shop importing its history)
    const byTopic = new Map<string, Message[]>();
    for (const chunk of hist.history(now - 2 * 3_600_000, 6_000))
      for (const m of chunk) {
        if (m.topic === TOPICS.clickstream) continue;
        const l = byTopic.get(m.topic) ?? [];
        l.push({ key: m.key, value: m.value });
        byTopic.set(m.topic, l);
        const v = JSON.parse(m.value.toString('utf8')) as {
          sku?: string;
          items?: { sku: string }[];
        };
        if (m.topic === TOPICS.orders) for (const it of v.items ?? []) skusWithSales.add(it.sku);
        else if (v.sku) skusWithStock.add(v.sku);
      }
    for (const [topic, messages] of byTopic) await produce(kafka, topic, messages);
    await read(TOPICS.demandForecasts, (v) => demandForecastSchema.parse(v), forecasts);
    await read(TOPICS.replenishment, (v) => replenishmentSchema.parse(v), recommendations);
  });

  after(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    for (const r of readers) await r.disconnect();
  });

  it('trains a demand champion from the backtest of every method, next to its baselines', async () => {
    child = start();
    await http.up().catch(withOutput);
    await waitFor(
      async () => {
        const list = await get<ModelVersionDto[]>('/api/models').catch(() => []);
        return list.some((v) => v.name === 'demand' && v.status === 'champion');
      },
      420_000,
      'a demand champion',
      2_000,
    ).catch(withOutput);
    const v = await get<ModelVersionDto>('/api/models/demand/1');
    assert.equal(v.status, 'champion');
    const bt = v.metrics.backtest ?? {};
    for (const m of ['seasonal_naive', 'auto_ets', 'croston', 'tsb', 'global', 'ensemble'])
      assert.ok(bt[m] && Number.isFinite(bt[m].meanWql), `backtest row for ${m}`);
    const champion = v.metrics.champion ?? '';
    const best = Math.min(...Object.values(bt).map((r) => r.meanWql));
    assert.equal(bt[champion]?.meanWql, best, 'the champion has the best mean wQL');
    console.log(
      `demand v1 backtest (champion ${champion}): ` +
        Object.entries(bt)
          .map(([m, r]) => `${m} wQL ${r.meanWql.toFixed(3)} WAPE ${r.wape.toFixed(3)}`)
          .join('; '),
    );
  });

  it('publishes one 28-day forecast per SKU to the compacted forecasts.demand.v1', async () => {
    await waitFor(
      () => Promise.resolve(new Set(forecasts.map((f) => f.sku)).size >= skusWithSales.size),
      120_000,
      `forecasts for ${skusWithSales.size} SKUs`,
      500,
    ).catch(withOutput);
    const skus = new Set(forecasts.map((f) => f.sku));
    for (const s of skusWithSales) assert.ok(skus.has(s), `forecast for ${s}`);
    for (const f of forecasts) {
      assert.equal(f.horizon.length, 28);
      assert.equal(f.model.name, 'demand');
      assert.equal(f.model.version, 1);
      assert.equal(f.unit, 'units/day');
      for (const d of f.horizon) assert.ok(d.p10 <= d.p50 && d.p50 <= d.p90);
      const dates = f.horizon.map((d) => Date.parse(d.date));
      for (let i = 1; i < dates.length; i++) assert.equal(dates[i] - dates[i - 1], DAY);
      assert.equal(f.horizon[0].date, f.origin);
    }
    // one transaction per run: every SKU of the first run has the same generated hour
    const admin = kafka.admin();
    await admin.connect();
    try {
      const cfg = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [
          { type: ConfigResourceTypes.TOPIC, name: TOPICS.demandForecasts },
          { type: ConfigResourceTypes.TOPIC, name: TOPICS.replenishment },
        ],
      });
      for (const r of cfg.resources) {
        const policy = r.configEntries.find((e) => e.configName === 'cleanup.policy');
        assert.equal(policy?.configValue, 'compact', `${r.resourceName} is compacted`);
      }
    } finally {
      await admin.disconnect();
    }
    const sku = [...skusWithSales][0];
    const api = await get<{ sku: string; horizon: unknown[]; model: { version: number } }>(
      `/api/forecasts/demand/${sku}`,
    );
    assert.equal(api.sku, sku);
    assert.equal(api.horizon.length, 28);
    assert.equal((await call('/api/forecasts/demand/no-such-sku')).status, 404);
  });

  it('publishes a replenishment recommendation per SKU with a forecast and a stock position', async () => {
    const want = [...skusWithStock].filter((s) => skusWithSales.has(s));
    await waitFor(
      () => {
        const have = new Set(recommendations.map((r) => r.sku));
        return Promise.resolve(want.every((s) => have.has(s)));
      },
      120_000,
      `recommendations for ${want.length} SKUs`,
      500,
    ).catch(withOutput);
    for (const r of recommendations) {
      assert.ok(r.reorder_point >= 0 && r.order_up_to_level >= r.reorder_point - 1e-9);
      assert.equal(r.model.version, 1);
      assert.ok(forecasts.some((f) => f.forecast_id === r.forecast.forecast_id));
    }
    const sku = want[0];
    const api = await get<{ sku: string; action: string }>(`/api/inventory/replenishment/${sku}`);
    assert.equal(api.sku, sku);
    assert.equal((await call('/api/inventory/replenishment/no-such-sku')).status, 404);
    assert.equal((await call('/api/inventory/replenishment?action=panic')).status, 400);
  });

  it('republishes a SKU’s recommendation when its stock position changes', async () => {
    // the SKU with the most demand: an empty shelf must be a reorder
    const volume = (f: DemandForecastMessage) => f.horizon.reduce((s, d) => s + d.p50, 0);
    const top = [...skusWithStock]
      .map((s) => latest(forecasts, s))
      .filter((f): f is DemandForecastMessage => f !== undefined)
      .sort((a, b) => volume(b) - volume(a))[0];
    assert.ok(top, 'a SKU with a forecast and a stock position');
    const ts = new Date().toISOString();
    const before = recommendations.length;
    await produce(kafka, TOPICS.inventory, [
      {
        key: top.sku,
        value: JSON.stringify({ sku: top.sku, on_hand: 0, on_order: 0, lead_time_days: 3, ts }),
      },
    ]);
    await waitFor(
      () =>
        Promise.resolve(
          recommendations.slice(before).some((r) => r.sku === top.sku && r.stock.on_hand === 0),
        ),
      60_000,
      `a new recommendation for ${top.sku}`,
      250,
    ).catch(withOutput);
    const r = recommendations.slice(before).find((x) => x.sku === top.sku && x.stock.on_hand === 0);
    assert.ok(r);
    assert.equal(r.stock.on_order, 0);
    assert.equal(r.stock.lead_time_days, 3);
    assert.equal(r.action, 'reorder');
    assert.ok(r.recommended_order_qty > 0);
    assert.equal(r.forecast.forecast_id, top.forecast_id);
    await waitFor(
      async () =>
        (
          await get<{ recommendations: { sku: string }[] }>(
            '/api/inventory/replenishment?action=reorder&limit=10000',
          )
        ).recommendations.some((x) => x.sku === top.sku),
      30_000,
      'the reorder list shows the SKU (read model written after the commit)',
      500,
    );
  });

  it('trains again on demand (202 with a run id, 409 while it runs), warm-started', async () => {
    const r = await post('/api/models/demand/train', {});
    assert.equal(r.status, 202);
    const { run_id: id } = (await r.json()) as { run_id: string };
    assert.ok(id, 'a run id');
    assert.equal((await post('/api/models/demand/train', {})).status, 409);
    await waitFor(
      async () => (await get<{ status: string }>(`/api/models/runs/${id}`)).status !== 'running',
      420_000,
      'the second demand run',
      2_000,
    ).catch(withOutput);
    const run = await get<{ status: string }>(`/api/models/runs/${id}`);
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
    const v2 = await get<ModelVersionDto & { parentVersion: number | null }>(
      '/api/models/demand/2',
    );
    assert.ok(['champion', 'rejected'].includes(v2.status), v2.status);
  });
});
