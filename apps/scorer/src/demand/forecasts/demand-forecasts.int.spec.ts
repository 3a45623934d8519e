import 'reflect-metadata';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigModule } from '@storepulse/config';
import {
  ClickHouseModule,
  createClickHouse,
  queryRows,
  runMigrations,
  type ClickHouseHandle,
} from '@storepulse/clickhouse';
import {
  demandForecastSchema,
  TOPIC_SPECS,
  TOPICS,
  type DemandForecastMessage,
} from '@storepulse/contracts';
import { ensureTopics, KafkaModule } from '@storepulse/kafka';
import { DEMAND_MODEL_NAME, ModelRegistry } from '@storepulse/ml';
import { ConfigResourceTypes, type Kafka } from 'kafkajs';
import { HealthRegistry, ObservabilityModule, PipelineMetrics } from '@storepulse/observability';
import { testBrokers, testConfig, testLogger } from '../../../../../test/support/env';
import {
  readExpected,
  testKafka,
  waitFor,
  type ReadRecord,
} from '../../../../../test/support/kafka';
import { DemandForecastService } from './demand-forecast.service';
import { DemandForecastsModule } from './demand-forecasts.module';
import { InMemoryDemandSeries, loadTestForecaster, testArtifact } from './testing';
import { DEMAND_FORECAST_CLOCK, DEMAND_FORECASTER_LOADER, DEMAND_SERIES_SOURCE } from './tokens';
import { dayInZone } from './zone-day';

/**
 * Integration: the publisher in a Nest app over the real Kafka broker and the embedded ClickHouse
 * engine, with a demand version registered in the real registry (a tiny seasonal-naive artifact the
 * in-test loader understands) and an in-memory series source (the trainer's ClickHouseDemandSeries
 * is bound by the app). Reads the topic back with a plain kafkajs consumer (read_committed).
 */
const TOPIC = TOPICS.demandForecasts;
const NOW = Date.UTC(2026, 11, 1, 10, 15);
const TODAY = dayInZone(NOW, 'UTC');
const SKUS = 450;
const COLD = new Set(['sku-013', 'sku-250']);

function history() {
  return Array.from({ length: SKUS }, (_, k) => {
    const sku = `sku-${String(k).padStart(3, '0')}`;
    const cold = COLD.has(sku);
    const days = cold ? 10 : 56;
    return {
      sku,
      category: k % 3 === 0 ? 'garden' : 'toys',
      firstDay: TODAY - days,
      units: Array.from({ length: days }, (_, i) => ((TODAY - days + i + k) % 7) + (k % 5)),
    };
  });
}

const parse = (r: ReadRecord) => JSON.parse((r.value as Buffer).toString('utf8')) as unknown;

/** Per partition, the end offset (which counts data records and transaction markers). */
async function endOffsets(kafka: Kafka): Promise<number[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const o = await admin.fetchTopicOffsets(TOPIC);
    return o.sort((a, b) => a.partition - b.partition).map((p) => Number(p.high));
  } finally {
    await admin.disconnect();
  }
}

describe('demand forecast publisher (real Kafka broker, embedded ClickHouse)', () => {
  let ch: ClickHouseHandle;
  let kafka: Kafka;
  let app: INestApplication;
  let base: string;
  let registry: ModelRegistry;
  let svc: DemandForecastService;
  let metrics: PipelineMetrics;
  let first: DemandForecastMessage[];

  before(async () => {
    const config = testConfig({
      SCORER_MODEL_POLL_MS: '200',
      DEMAND_FORECAST_INTERVAL_MS: '0',
      DEMAND_HISTORY_DAYS: '56',
      DEMAND_MIN_HISTORY_DAYS: '28',
      DEMAND_HORIZON_DAYS: '28',
      KAFKA_CLIENT_ID: `demand-forecasts-int-${Date.now()}`,
    });
    ch = await createClickHouse(config.clickhouse);
    await runMigrations(ch.client);
    registry = new ModelRegistry(ch.client);
    kafka = testKafka();
    const admin = kafka.admin();
    await admin.connect();
    try {
      if ((await admin.listTopics()).includes(TOPIC)) {
        await admin.deleteTopics({ topics: [TOPIC], timeout: 30_000 });
        await waitFor(
          async () => !(await admin.listTopics()).includes(TOPIC),
          30_000,
          `${TOPIC} deleted`,
        );
      }
      // as the platform does at start-up: the topic from its spec (3 partitions, compacted)
      await ensureTopics(
        admin,
        TOPIC_SPECS.filter((s) => s.name === TOPIC),
        3,
        1,
      );
    } finally {
      await admin.disconnect();
    }
    metrics = new PipelineMetrics(false);
    const brokers = testBrokers();
    @Module({
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot(testLogger(), metrics, new HealthRegistry()),
        KafkaModule.forRoot(kafka, { brokers, localBroker: false }),
        ClickHouseModule.forRoot(ch),
        DemandForecastsModule.register({
          providers: [
            { provide: DEMAND_SERIES_SOURCE, useValue: new InMemoryDemandSeries(history()) },
            { provide: DEMAND_FORECASTER_LOADER, useValue: loadTestForecaster },
            { provide: DEMAND_FORECAST_CLOCK, useValue: () => NOW },
          ],
        }),
      ],
    })
    class TestModule {}
    app = await NestFactory.create(TestModule, { logger: false });
    await app.listen(0);
    base = (await app.getUrl()).replace('[::1]', 'localhost');
    svc = app.get(DemandForecastService);
  });

  after(async () => {
    await app?.close();
    await ch?.close();
  });

  it('without a champion a run is skipped with a metric, not an error; the API has nothing yet (404)', async () => {
    const r = await svc.runOnce();
    assert.equal(r.status, 'skipped');
    assert.match(r.reason ?? '', /no demand champion/);
    assert.equal(svc.status().lastError, null);
    const text = await metrics.registry.metrics();
    assert.match(text, /storepulse_demand_forecast_runs_total\{outcome="skipped_no_champion"\} 1/);
    const res = await fetch(`${base}/api/forecasts/demand/sku-001`);
    assert.equal(res.status, 404);
    assert.match(
      ((await res.json()) as { message: string }).message,
      /sku 'sku-001': no demand forecast/,
    );
    const health = await fetch(`${base}/health`);
    assert.equal(health.status, 200, await health.text());
  });

  it('a new champion triggers a run: one message per SKU with 28 days, in one transaction, read_committed', async () => {
    const v = await registry.register(
      {
        name: DEMAND_MODEL_NAME,
        kind: 'demand',
        horizon: '28d',
        parentVersion: null,
        trainingFrom: NOW - 56 * 86_400_000,
        trainingTo: NOW,
        featureNames: ['units'],
        catalogHash: 'test',
        metrics: { champion: 'seasonal_naive' },
      },
      testArtifact(),
    );
    await registry.promote(DEMAND_MODEL_NAME, v.version, 'int test', 'test');
    await waitFor(
      () => Promise.resolve(svc.status().runs.published >= 1),
      30_000,
      'the run triggered by the new champion',
    );
    const run = svc.status().lastRun;
    assert.equal(run?.trigger, 'champion');
    assert.equal(run?.skus, SKUS);
    assert.equal(run?.coldStarts, COLD.size);
    assert.ok(
      (run?.sends ?? 0) >= 2,
      `chunked into sends of ≤ 512 KiB (${run?.sends} sends, ${run?.bytes} bytes)`,
    );

    const records = await readExpected(kafka, TOPIC, SKUS);
    assert.equal(records.length, SKUS, 'exactly one committed message per SKU');
    first = records.map((r) => demandForecastSchema.parse(parse(r)));
    assert.deepEqual(
      records.map((r) => r.key).sort(),
      first.map((m) => m.sku).sort(),
      'keyed by sku',
    );
    assert.equal(new Set(first.map((m) => m.sku)).size, SKUS);
    for (const m of first) {
      assert.equal(m.horizon.length, 28);
      assert.equal(m.origin, '2026-12-01');
      assert.equal(m.horizon[27].date, '2026-12-28');
      assert.deepEqual(
        { name: m.model.name, version: m.model.version },
        { name: 'demand', version: 1 },
      );
      assert.equal(m.cold_start, COLD.has(m.sku), m.sku);
      assert.equal(m.model.method, COLD.has(m.sku) ? 'global' : 'seasonal_naive');
    }
    // one transaction: per partition the data records then ONE commit marker
    const counts = [0, 1, 2].map((p) => records.filter((r) => r.partition === p).length);
    assert.deepEqual(
      await endOffsets(kafka),
      counts.map((c) => (c > 0 ? c + 1 : 0)),
    );
  });

  it('the API returns the latest forecast of a SKU and lists them by category with a limit', async () => {
    const want = first.find((m) => m.sku === 'sku-013') as DemandForecastMessage;
    const one = await fetch(`${base}/api/forecasts/demand/sku-013`);
    assert.equal(one.status, 200);
    assert.deepEqual(await one.json(), want);

    const garden = await fetch(`${base}/api/forecasts/demand?category=garden&limit=10000`);
    assert.equal(garden.status, 200);
    const g = (await garden.json()) as { count: number; forecasts: DemandForecastMessage[] };
    assert.equal(g.count, SKUS / 3);
    assert.ok(g.forecasts.every((f) => f.category === 'garden'));
    const firstByCategory = first
      .filter((m) => m.category === 'garden')
      .sort((a, b) => (a.sku < b.sku ? -1 : 1));
    assert.deepEqual(g.forecasts, firstByCategory);

    const page = (await (await fetch(`${base}/api/forecasts/demand?limit=5`)).json()) as {
      forecasts: DemandForecastMessage[];
    };
    assert.deepEqual(
      page.forecasts.map((f) => f.sku),
      ['sku-000', 'sku-001', 'sku-002', 'sku-003', 'sku-004'],
    );
    const dflt = (await (await fetch(`${base}/api/forecasts/demand`)).json()) as { count: number };
    assert.equal(dflt.count, 100, 'limit defaults to 100');

    for (const [q, msg] of [
      ['limit=0', /limit: must be from 1 to 10000 \(got 0\)/],
      ['limit=10001', /limit: must be from 1 to 10000/],
      ['limit=ten', /limit: must be a whole number/],
      ['limit=5&limit=6', /limit: must be given once/],
    ] as const) {
      const res = await fetch(`${base}/api/forecasts/demand?${q}`);
      assert.equal(res.status, 400, q);
      assert.match(((await res.json()) as { message: string }).message, msg);
    }
    const unknown = await fetch(`${base}/api/forecasts/demand/no-such-sku`);
    assert.equal(unknown.status, 404);
  });

  it('a second run in the same hour publishes the same forecast ids; the read model keeps one row per SKU', async () => {
    const r = await svc.runOnce();
    assert.equal(r.status, 'published');
    const records = await readExpected(kafka, TOPIC, 2 * SKUS);
    assert.equal(records.length, 2 * SKUS);
    const ids = new Map<string, Set<string>>();
    for (const rec of records) {
      const m = demandForecastSchema.parse(parse(rec));
      const s = ids.get(m.sku) ?? new Set<string>();
      s.add(m.forecast_id);
      ids.set(m.sku, s);
    }
    assert.equal(ids.size, SKUS);
    for (const m of first) assert.deepEqual([...(ids.get(m.sku) ?? [])], [m.forecast_id], m.sku);
    const [row] = await queryRows<{ n: string }>(
      ch.client,
      'SELECT count() AS n FROM demand_forecasts FINAL',
    );
    assert.equal(Number(row.n), SKUS);
  });

  it('a promotion and a rollback each trigger a run with the new champion', async () => {
    const before = svc.status().runs.published;
    const v2 = await registry.register(
      {
        name: DEMAND_MODEL_NAME,
        kind: 'demand',
        horizon: '28d',
        parentVersion: 1,
        trainingFrom: NOW - 56 * 86_400_000,
        trainingTo: NOW,
        featureNames: ['units'],
        catalogHash: 'test',
        metrics: { champion: 'seasonal_naive' },
      },
      testArtifact(14),
    );
    await registry.promote(DEMAND_MODEL_NAME, v2.version, 'int test', 'test');
    await waitFor(
      () => Promise.resolve(svc.status().lastRun?.model?.version === 2),
      30_000,
      'a run with v2',
    );
    assert.equal(svc.status().runs.published, before + 1);
    const v2Msg = (await (
      await fetch(`${base}/api/forecasts/demand/sku-007`)
    ).json()) as DemandForecastMessage;
    assert.equal(v2Msg.model.version, 2);

    await registry.rollback(DEMAND_MODEL_NAME, 'int test rollback', 'test');
    await waitFor(
      () => Promise.resolve(svc.status().lastRun?.model?.version === 1),
      30_000,
      'a run with v1 after the rollback',
    );
    assert.equal(svc.status().runs.published, before + 2);
    assert.equal(svc.status().lastRun?.trigger, 'champion');
    const text = await metrics.registry.metrics();
    assert.match(text, /storepulse_demand_forecast_champion_version 1/);
    assert.match(text, /storepulse_demand_forecast_skus\{kind="cold_start"\} 2/);
    assert.match(
      text,
      new RegExp(`storepulse_demand_forecast_skus\\{kind="forecast"\\} ${SKUS}\\b`),
    );
    assert.match(text, /storepulse_demand_forecast_duration_seconds_count 4/);
  });

  it('the topic is compacted (a new subscriber reads the latest forecast per SKU)', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const d = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [
          { type: ConfigResourceTypes.TOPIC, name: TOPIC, configNames: ['cleanup.policy'] },
        ],
      });
      const entry = d.resources[0].configEntries.find((e) => e.configName === 'cleanup.policy');
      assert.equal(entry?.configValue, 'compact');
    } finally {
      await admin.disconnect();
    }
  });

  it('reports the publisher in /health and the status endpoint', async () => {
    const health = (await (await fetch(`${base}/health`)).json()) as {
      details: Record<
        string,
        { status: string; champion: string; skus: number; lastError: string }
      >;
    };
    const d = health.details['demand-forecasts'];
    assert.equal(d.status, 'up');
    assert.equal(d.champion, 'demand@1');
    assert.equal(d.skus, SKUS);
    assert.equal(d.lastError, '');
    const status = (await (await fetch(`${base}/api/forecasts/demand-runs/latest`)).json()) as {
      runs: { published: number; skipped: number; failed: number };
    };
    assert.deepEqual(status.runs, { published: 4, skipped: 1, failed: 0 });
  });
});
