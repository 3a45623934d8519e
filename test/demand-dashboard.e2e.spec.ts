// The Demand page (/demand) in headless Chromium: the monitor app (real broker, embedded
// ClickHouse) with demand_forecasts, replenishment_recommendations, order lines (→ the
// fr_sku_order_1h rollup) and the model registry seeded here, plus the real simulator module (live
// storefront on the broker, following on, its KPI snapshots to the same ClickHouse). Asserts what a
// shop owner reads: the fan chart's values, the champion highlighted next to the baselines, the
// reorder-now order, and the shop with vs without StorePulse as GET /api/simulator/inventory has it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ConfigModule, type AppConfig } from '@storepulse/config';
import {
  ClickHouseModule,
  createClickHouse,
  runMigrations,
  type ClickHouseHandle,
} from '@storepulse/clickhouse';
import {
  forecastId,
  recommendationId,
  replenishmentSchema,
  type ReplenishmentAction,
  type ReplenishmentMessage,
} from '@storepulse/contracts';
import { KafkaModule, createKafka } from '@storepulse/kafka';
import { HealthRegistry, ObservabilityModule, PipelineMetrics } from '@storepulse/observability';
import {
  DEMAND_METHODS,
  DEMAND_MODEL_NAME,
  ModelRegistry,
  type DemandBacktestRow,
  type DemandMethod,
  type DemandModelMetrics,
} from '@storepulse/ml';
import { MonitorModule, dateOfDay, dayNumber } from '@storepulse/monitor';
import {
  KpiSnapshotService,
  SimulatorModule,
  SimulatorService,
  type InventoryKpis,
  type InventoryView,
} from '@storepulse/simulator';
import { outputDir, tempDir, testConfig, testLogger } from './support/env';
import { resetStorefrontTopics, testKafka, waitFor } from './support/kafka';

const CHROMIUM = '/usr/bin/chromium';
const DAY = 86_400_000;
const TZ = 'Europe/Berlin';

// ---- the seeded world ----------------------------------------------------------------------

const today = dayNumber(new Date().toISOString().slice(0, 10));
const ORIGIN = dateOfDay(today);
const day = (offset: number) => dateOfDay(today + offset);
const HORIZON = 28;

/** The SKU whose chart is checked: P50 = 10 + i mod 7, P10 = P50 − 4, P90 = P50 + 6 + i/4. */
const MAIN = 'TEA-001';
const mainP50 = Array.from({ length: HORIZON }, (_, i) => 10 + (i % 7));
const mainP10 = mainP50.map((x) => x - 4);
const mainP90 = mainP50.map((x, i) => x + 6 + i / 4);
/** The other SKUs: a flat P50 each (their volume = 28 × it). */
const OTHERS: [string, string, number][] = [
  ['TEA-002', 'tea', 6],
  ['MUG-010', 'mugs', 3],
  ['MUG-011', 'mugs', 2],
  ['COLD-900', 'lamps', 0.5],
];

/**
 * Order lines of MAIN by day offset before the origin (noon UTC): (d mod 5) + 1 units, none on
 * days divisible by 9. Plus lines that must not count or must move: a cancellation, one line 57
 * days back, one on the origin day, and one at 23:30 UTC (= the next day in Berlin).
 */
const expectedActuals = new Map<number, number>();
interface Line {
  type: 'order_placed' | 'order_cancelled';
  tsMs: number;
  qty: number;
}
const lines: Line[] = [];
for (let d = 1; d <= 56; d++) {
  if (d % 9 === 0) continue;
  const qty = (d % 5) + 1;
  lines.push({ type: 'order_placed', tsMs: (today - d) * DAY + 12 * 3_600_000, qty });
  expectedActuals.set(today - d, qty);
}
lines.push({ type: 'order_cancelled', tsMs: (today - 3) * DAY + 14 * 3_600_000, qty: 50 });
lines.push({ type: 'order_placed', tsMs: (today - 57) * DAY + 12 * 3_600_000, qty: 40 });
lines.push({ type: 'order_placed', tsMs: today * DAY + 9 * 3_600_000, qty: 30 });
lines.push({ type: 'order_placed', tsMs: (today - 2) * DAY + 23.5 * 3_600_000, qty: 7 });
expectedActuals.set(today - 1, (expectedActuals.get(today - 1) ?? 0) + 7);

/** Reorder SKUs in the order the table must list them (stock-out day offsets; null = none). */
const REORDER_EXPECTED: [string, number | null][] = [
  ['MUG-010', 2],
  ['TEA-002', 2],
  ['TEA-001', 5],
  ['COLD-900', null],
];

function backtestRow(meanWql: number, wape: number, coverage80: number, bias: number) {
  return {
    wape,
    mase: Math.round(wape * 3.5 * 1000) / 1000,
    wql10: Math.round(meanWql * 0.7 * 10000) / 10000,
    wql50: Math.round(meanWql * 1.4 * 10000) / 10000,
    wql90: Math.round(meanWql * 0.9 * 10000) / 10000,
    meanWql,
    coverage80,
    bias,
    fits: 900,
    fitMsPerSeries: 1.5,
  } satisfies DemandBacktestRow;
}

/** v2's backtest (the champion's): the ensemble wins on mean wQL. */
const BACKTEST_V2: Record<DemandMethod, DemandBacktestRow> = {
  seasonal_naive: backtestRow(0.142, 0.291, 0.71, 0.034),
  auto_ets: backtestRow(0.101, 0.224, 0.78, -0.021),
  croston: backtestRow(0.158, 0.33, 0.69, 0.06),
  tsb: backtestRow(0.149, 0.312, 0.72, 0.041),
  global: backtestRow(0.095, 0.213, 0.81, -0.012),
  ensemble: backtestRow(0.0875, 0.198, 0.8, -0.008),
};

function metrics(
  champion: DemandMethod,
  backtest: Partial<Record<DemandMethod, DemandBacktestRow>>,
): DemandModelMetrics {
  return {
    champion,
    backtest,
    origins: 3,
    horizonDays: HORIZON,
    skus: 5,
    perOrigin: [],
    timeZone: TZ,
  };
}

// ---- seeding -------------------------------------------------------------------------------

const chTs = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

async function seed(ch: ClickHouseHandle, registry: ModelRegistry, clock: { t: number }) {
  await ch.client.insert({
    table: 'order_lines',
    format: 'JSONEachRow',
    values: lines.map((l, i) => ({
      event_id: `00000000-0000-4000-9000-${String(i).padStart(12, '0')}`,
      type: l.type,
      order_id: `o-${i}`,
      user_id: `u-${i % 5}`,
      ts: chTs(l.tsMs),
      currency: 'EUR',
      line_no: 0,
      sku: MAIN,
      category: 'tea',
      qty: l.qty,
      unit_price: 4.5,
      _topic: 'storefront.orders.v1',
      _partition: 0,
      _offset: i,
    })),
  });

  const generated = Date.now() - 10 * 60_000;
  const model = { name: DEMAND_MODEL_NAME, version: 2 };
  const fc = (
    sku: string,
    category: string,
    origin: string,
    genMs: number,
    p10: number[],
    p50: number[],
    p90: number[],
    method: string,
    coldStart = false,
  ) => ({
    forecast_id: forecastId(sku, origin, new Date(genMs).toISOString(), model),
    sku,
    category,
    origin,
    generated_at: chTs(genMs),
    model_name: model.name,
    model_version: model.version,
    method,
    cold_start: coldStart,
    time_zone: TZ,
    dates: Array.from({ length: p50.length }, (_, i) => dateOfDay(dayNumber(origin) + i)),
    p10,
    p50,
    p90,
  });
  const flat = (x: number) => new Array<number>(HORIZON).fill(x);
  await ch.client.insert({
    table: 'demand_forecasts',
    format: 'JSONEachRow',
    values: [
      fc(MAIN, 'tea', ORIGIN, generated, mainP10, mainP50, mainP90, 'ensemble'),
      // An older forecast of MAIN (yesterday's origin): superseded, never shown.
      fc(MAIN, 'tea', day(-1), generated - 3_600_000, flat(90), flat(99), flat(120), 'ensemble'),
      ...OTHERS.map(([sku, cat, p50]) =>
        fc(
          sku,
          cat,
          ORIGIN,
          generated,
          flat(p50 / 2),
          flat(p50),
          flat(p50 * 2),
          sku === 'COLD-900' ? 'global' : 'ensemble',
          sku === 'COLD-900',
        ),
      ),
    ],
  });

  const recommendation = (
    sku: string,
    category: string,
    action: ReplenishmentAction,
    stockoutOffset: number | null,
    onHand: number,
    genMs: number,
  ) => {
    const fid = forecastId(sku, ORIGIN, new Date(generated).toISOString(), model);
    const stock = {
      on_hand: onHand,
      on_order: action === 'reorder' ? 4 : 0,
      lead_time_days: 7,
      ts: new Date(genMs).toISOString(),
    };
    const msg: ReplenishmentMessage = replenishmentSchema.parse({
      recommendation_id: recommendationId(sku, fid, stock),
      sku,
      category,
      generated_at: new Date(genMs).toISOString(),
      action,
      recommended_order_qty: action === 'reorder' ? 60 - onHand : 0,
      reorder_point: 20 + onHand / 2,
      safety_stock: 5.5,
      order_up_to_level: 64,
      lead_time_demand: { mean: 14.5, p50: 14, p_service: 20, std: 3.3 },
      projected_stockout_date: stockoutOffset === null ? null : day(stockoutOffset),
      service_level: 0.95,
      review_period_days: 7,
      stock,
      forecast: {
        forecast_id: fid,
        origin: ORIGIN,
        generated_at: new Date(generated).toISOString(),
      },
      model,
    });
    return {
      sku,
      category,
      generated_at: chTs(genMs),
      recommendation_id: msg.recommendation_id,
      action,
      recommended_order_qty: msg.recommended_order_qty,
      on_hand: msg.stock.on_hand,
      on_order: msg.stock.on_order,
      reorder_point: msg.reorder_point,
      projected_stockout: msg.projected_stockout_date,
      model_version: model.version,
      message: JSON.stringify(msg),
    };
  };
  const recNow = Date.now() - 5 * 60_000;
  await ch.client.insert({
    table: 'replenishment_recommendations',
    format: 'JSONEachRow',
    values: [
      recommendation('TEA-001', 'tea', 'reorder', 5, 12, recNow),
      recommendation('COLD-900', 'lamps', 'reorder', null, 1, recNow),
      recommendation('TEA-002', 'tea', 'reorder', 2, 3, recNow),
      recommendation('MUG-010', 'mugs', 'reorder', 2, 2, recNow),
      recommendation('LAMP-1', 'lamps', 'overstock', null, 400, recNow),
      // MUG-011 needed a reorder an hour ago; its latest recommendation says ok.
      recommendation('MUG-011', 'mugs', 'reorder', 1, 0, recNow - 3_600_000),
    ],
  });
  await ch.client.insert({
    table: 'replenishment_recommendations',
    format: 'JSONEachRow',
    values: [recommendation('MUG-011', 'mugs', 'ok', null, 50, recNow)],
  });

  const base = {
    name: DEMAND_MODEL_NAME,
    kind: 'demand' as const,
    horizon: '28d',
    trainingFrom: Date.now() - 120 * DAY,
    trainingTo: Date.now() - DAY,
    featureNames: ['dow', 'price', 'promo'],
    catalogHash: 'cat-demand',
  };
  const v1Backtest = {
    seasonal_naive: backtestRow(0.15, 0.3, 0.7, 0.03),
    auto_ets: backtestRow(0.11, 0.23, 0.77, -0.02),
  };
  const step = () => (clock.t += 60_000);
  step();
  await registry.register(
    { ...base, parentVersion: null, metrics: { ...metrics('auto_ets', v1Backtest) } },
    Buffer.from('v1'),
  );
  step();
  await registry.promote(DEMAND_MODEL_NAME, 1, 'first champion', 'gate');
  step();
  await registry.register(
    { ...base, parentVersion: 1, metrics: { ...metrics('ensemble', BACKTEST_V2) } },
    Buffer.from('v2'),
  );
  step();
  await registry.promote(
    DEMAND_MODEL_NAME,
    2,
    'mean wQL 0.0875 <= champion 0.1100 + 0.005',
    'gate',
  );
  step();
  await registry.register(
    {
      ...base,
      parentVersion: 2,
      metrics: {
        ...metrics('global', { ...BACKTEST_V2, global: backtestRow(0.12, 0.25, 0.8, 0) }),
      },
    },
    Buffer.from('v3'),
  );
  step();
  await registry.reject(DEMAND_MODEL_NAME, 3, 'mean wQL 0.1200 > champion 0.0875 + 0.005', 'gate');
}

// ---- the test ------------------------------------------------------------------------------

interface FanData {
  labels: string[];
  datasets: { label: string; data: (number | null)[]; fill: unknown }[];
  width: number;
}

describe('Demand page in headless Chromium (monitor app, real broker, embedded ClickHouse, registry)', () => {
  let ch: ClickHouseHandle;
  let config: AppConfig;
  let app: INestApplication;
  let base: string;
  let context: BrowserContext;
  let page: Page;
  let registry: ModelRegistry;
  const errors: string[] = [];

  before(async () => {
    // The platform's topics exist, as in a running deployment (the monitor publishes alerts).
    await resetStorefrontTopics(testKafka());
    config = testConfig({
      MONITOR_POLL_INTERVAL_MS: '2000',
      MONITOR_CLUSTER_NAME: 'e2e-demand',
      SHOP_TIME_ZONE: TZ,
      CLICKHOUSE_DATA_DIR: tempDir('chdb-demand-dash'),
      // The live simulated shop, following the recommendations, a KPI snapshot every 500 ms.
      SIMULATOR_EVENTS_PER_SEC: '40',
      SIMULATOR_USERS: '200',
      SIMULATOR_SKUS: '30',
      SIMULATOR_HISTORY_DAYS: '0',
      SIMULATOR_FOLLOW_REPLENISHMENT: 'true',
      SIMULATOR_KPI_SNAPSHOT_MS: '500',
    });
    ch = await createClickHouse(config.clickhouse);
    await runMigrations(ch.client);
    const clock = { t: Date.now() - 3 * DAY };
    registry = new ModelRegistry(ch.client, () => clock.t);
    await seed(ch, registry, clock);

    const logger = testLogger();
    const brokers = config.kafka.brokers ?? [];
    @Module({
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot(logger, new PipelineMetrics(false), new HealthRegistry()),
        KafkaModule.forRoot(createKafka({ brokers, clientId: 'demand-dash-e2e', logger }), {
          brokers,
          localBroker: false,
        }),
        ClickHouseModule.forRoot(ch),
        MonitorModule,
        SimulatorModule,
      ],
    })
    class DemandDashboardTestModule {}
    app = await NestFactory.create(DemandDashboardTestModule, { logger: false });
    await app.listen(0);
    const port = ((app.getHttpServer() as Server).address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;

    context = await chromium.launchPersistentContext(tempDir('chromium-demand'), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1440, height: 1500 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => errors.push(e.message));
  });

  after(async () => {
    await context?.close();
    await app?.close();
    await ch?.close();
  });

  const text = async (selector: string) =>
    ((await page.locator(selector).first().textContent()) ?? '').trim();
  const texts = async (selector: string) =>
    (await page.locator(selector).allTextContents()).map((t) => t.trim());
  const dataAttr = (selector: string, key: string) =>
    page
      .locator(selector)
      .evaluateAll(
        (els, k) =>
          els.map((e) => (e as unknown as { dataset: Record<string, string> }).dataset[k]),
        key,
      );
  const fanChart = () =>
    page.evaluate(() => {
      interface ChartJs {
        data: {
          labels: string[];
          datasets: { label: string; data: (number | null)[]; fill: unknown }[];
        };
        width: number;
      }
      const g = globalThis as unknown as {
        document: { getElementById(id: string): unknown };
        Chart: { getChart(canvas: unknown): ChartJs | undefined };
      };
      const c = g.Chart.getChart(g.document.getElementById('fan-chart'));
      if (!c) return null;
      return {
        labels: [...c.data.labels],
        datasets: c.data.datasets.map((d) => ({ label: d.label, data: [...d.data], fill: d.fill })),
        width: c.width,
      } satisfies FanData;
    });
  const waitChartOf = (sku: string) =>
    page.waitForSelector(`#fan-chart[data-sku="${sku}"]`, { state: 'attached', timeout: 20_000 });

  it('is linked from the ops page and lists the top SKUs by forecast volume', async () => {
    await page.goto(base + '/');
    await page.click('a#nav-demand');
    await page.waitForURL(base + '/demand');
    await page.waitForSelector('#sku-top li[data-sku]', { timeout: 20_000 });
    // MAIN's volume is Σ P50 = 4 weeks × (10+…+16) = 364; the others 28 × their flat P50.
    assert.deepEqual(await dataAttr('#sku-top li', 'sku'), [
      'TEA-001',
      'TEA-002',
      'MUG-010',
      'MUG-011',
      'COLD-900',
    ]);
    assert.deepEqual(await texts('#sku-top li[data-sku="TEA-001"] span'), ['TEA-001', '364 u']);
    assert.deepEqual(await texts('#sku-top li[data-sku="MUG-010"] span'), ['MUG-010', '84 u']);
  });

  it("draws the top SKU's fan chart: the seeded P10/P50/P90 and 56 days of actuals in the shop zone", async () => {
    await waitChartOf(MAIN);
    const c = await fanChart();
    assert.ok(c);
    assert.ok(c.width > 300, `the chart is laid out (width ${c.width})`);
    const labels = [
      ...Array.from({ length: 56 }, (_, i) => day(i - 56)),
      ...Array.from({ length: HORIZON }, (_, i) => day(i)),
    ];
    assert.deepEqual(c.labels, labels);
    const byLabel = Object.fromEntries(c.datasets.map((d) => [d.label, d]));
    const none56 = new Array<null>(56).fill(null);
    assert.deepEqual(byLabel.P10?.data, [...none56, ...mainP10]);
    assert.deepEqual(byLabel.P50?.data, [...none56, ...mainP50]);
    assert.deepEqual(byLabel.P90?.data, [...none56, ...mainP90]);
    // The band: P10 fills to the dataset before it (P90).
    assert.equal(byLabel.P10?.fill, '-1');
    assert.equal(c.datasets[0]?.label, 'P90');
    const actuals = Array.from({ length: 56 }, (_, i) => expectedActuals.get(today - 56 + i) ?? 0);
    assert.deepEqual(byLabel.actual?.data, [...actuals, ...new Array<null>(HORIZON).fill(null)]);
    // Day 9 back had no orders (a zero, not a gap); yesterday has the 23:30 UTC line (Berlin).
    assert.equal(byLabel.actual?.data[56 - 9], 0);
    assert.equal(byLabel.actual?.data[55], (1 % 5) + 1 + 7);
    const total = actuals.reduce((s, x) => s + x, 0);
    assert.equal(await text('#fan-actual-units'), total.toLocaleString('en-US'));
    assert.equal(await text('#fan-p50-units'), '364.0');
    assert.equal(await text('#fan-rec'), 'reorder 48 · on hand 12');
    assert.match(
      await text('#fan-meta'),
      new RegExp(`^tea · origin ${ORIGIN} \\(Europe/Berlin\\) · demand v2 · ensemble · generated `),
    );
  });

  it('switches SKU from the search and from the picker, and flags a cold start', async () => {
    await page.fill('#sku-search', 'mug');
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { document: { body: { dataset: Record<string, string> } } })
          .document.body.dataset.searched === 'mug',
      undefined,
      { timeout: 10_000 },
    );
    assert.deepEqual(await dataAttr('#sku-matches li', 'sku'), ['MUG-010', 'MUG-011']);
    assert.equal(await text('#sku-matches-label'), '2 matches for "mug"');
    await page.click('#sku-matches li[data-sku="MUG-011"]');
    await waitChartOf('MUG-011');
    const c = await fanChart();
    assert.deepEqual(
      c?.datasets.find((d) => d.label === 'P50')?.data.slice(56),
      new Array<number>(HORIZON).fill(2),
    );
    assert.equal(await text('#fan-rec'), 'ok · on hand 50');
    assert.equal(new URL(page.url()).hash, '#sku=MUG-011');
    await page.click('#sku-top li[data-sku="COLD-900"]');
    await waitChartOf('COLD-900');
    assert.match(await text('#fan-meta'), / · global · cold start \(global model\) · /);
  });

  it('shows the backtest per method with the champion highlighted first and the baselines next to it', async () => {
    await page.waitForSelector('#backtest tr[data-method]', { timeout: 20_000 });
    assert.equal(await text('#backtest-title'), 'Backtest per method · demand v2 (champion)');
    assert.equal(
      await text('#backtest-meta'),
      'champion ensemble (best mean wQL) · 3 origins × 28 days · 5 SKUs',
    );
    // The champion, then the others by mean wQL; each row reads the seeded numbers.
    const order = [...DEMAND_METHODS]
      .filter((m) => m !== 'ensemble')
      .sort((a, b) => BACKTEST_V2[a].meanWql - BACKTEST_V2[b].meanWql);
    assert.deepEqual(await dataAttr('#backtest tbody tr', 'method'), ['ensemble', ...order]);
    assert.deepEqual(await dataAttr('#backtest tbody tr', 'role'), [
      'champion',
      'model',
      'baseline',
      'baseline',
      'baseline',
      'baseline',
    ]);
    assert.deepEqual(await dataAttr('#backtest tbody tr.champion', 'method'), ['ensemble']);
    const cell = (m: string, f: string) =>
      text(`#backtest tr[data-method="${m}"] [data-field="${f}"]`);
    assert.equal(await cell('ensemble', 'meanWql'), '0.0875');
    assert.equal(await cell('ensemble', 'wape'), '0.1980');
    assert.equal(await cell('ensemble', 'coverage80'), '80.0%');
    assert.equal(await cell('ensemble', 'vsChampion'), '');
    assert.equal(await cell('auto_ets', 'meanWql'), '0.1010');
    assert.equal(await cell('auto_ets', 'mase'), BACKTEST_V2.auto_ets.mase.toFixed(3));
    // (0.101 − 0.0875) / 0.0875 = +15.4 %
    assert.equal(await cell('auto_ets', 'vsChampion'), '+15.4%');
    assert.equal(await cell('seasonal_naive', 'bias'), '+3.4%');
    const bg = await page
      .locator('#backtest tr.champion td')
      .first()
      .evaluate(
        (td) =>
          (
            globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }
          ).getComputedStyle(td).backgroundColor,
      );
    assert.equal(bg, 'rgba(47, 191, 113, 0.16)');
  });

  it('lists the demand model versions with status and the registry events', async () => {
    assert.deepEqual(await dataAttr('#versions tbody tr', 'version'), ['3', '2', '1']);
    assert.deepEqual(await dataAttr('#versions tbody tr', 'status'), [
      'rejected',
      'champion',
      'retired',
    ]);
    assert.deepEqual(await texts('#versions tbody tr [data-field="method"]'), [
      'global',
      'ensemble',
      'auto_ets',
    ]);
    const events = await registry.events({ name: DEMAND_MODEL_NAME });
    assert.deepEqual(
      await page.locator('#events tbody tr').evaluateAll((els) =>
        els.map((e) => {
          const d = (e as unknown as { dataset: Record<string, string> }).dataset;
          return `${d.version}:${d.event}`;
        }),
      ),
      events.map((e) => `${e.version}:${e.event}`),
    );
    const changes = events.filter((e) => e.event === 'promoted' || e.event === 'rejected');
    assert.deepEqual(
      changes.map((e) => `${e.version}:${e.event}`),
      ['3:rejected', '2:promoted', '1:promoted'],
    );
    assert.equal(changes[1]?.fromVersion, 1);
    assert.match(
      await text('#events tbody tr[data-event="rejected"]'),
      /mean wQL 0\.1200 > champion 0\.0875 \+ 0\.005/,
    );
  });

  it('lists exactly the reorder SKUs, earliest projected stock-out first', async () => {
    assert.deepEqual(
      await dataAttr('#reorder tbody tr', 'sku'),
      REORDER_EXPECTED.map(([s]) => s),
    );
    assert.deepEqual(
      await texts('#reorder tbody tr [data-field="stockout"]'),
      REORDER_EXPECTED.map(([, d]) => (d === null ? 'beyond horizon' : day(d))),
    );
    assert.deepEqual(
      await texts('#reorder tbody tr [data-field="days"]'),
      REORDER_EXPECTED.map(([, d]) => (d === null ? '–' : String(d))),
    );
    const row = (sku: string) =>
      texts(
        ['qty', 'onHand', 'onOrder', 'reorderPoint', 'safetyStock', 'leadTime']
          .map((f) => `#reorder tr[data-sku="${sku}"] [data-field="${f}"]`)
          .join(', '),
      );
    assert.deepEqual(await row('TEA-002'), ['57', '3', '4', '21.5', '5.5', '7 d']);
    assert.deepEqual(await row('TEA-001'), ['48', '12', '4', '26.0', '5.5', '7 d']);
    assert.match(await text('#reorder-meta'), /^4 SKUs to reorder · /);
  });

  it('shows the shop with vs without StorePulse side by side, as GET /api/simulator/inventory has it', async () => {
    await page.waitForSelector('#loop-body:not([hidden])', { timeout: 20_000 });
    // An order comes minutes (simulated) after its session starts: on a fast machine the tests
    // before this one can be over before the first sale. Wait for one, then freeze the live shop.
    await waitFor(
      async () => {
        const v = (await (await fetch(base + '/api/simulator/inventory')).json()) as InventoryView;
        return (v.following?.unitsDemanded ?? 0) > 0;
      },
      90_000,
      'the live shop sells something',
    );
    // Freeze the live shop, write a last snapshot: the API and the page then describe one moment.
    await app.get(SimulatorService).stop();
    await app.get(KpiSnapshotService).snapshot();
    const r = await fetch(base + '/api/simulator/inventory');
    assert.equal(r.status, 200);
    const view = (await r.json()) as InventoryView;
    assert.equal(view.followsRecommendations, true);
    assert.equal(view.fixedPolicySource, 'shadow');
    const following = view.following;
    const fixed = view.fixedPolicy;
    assert.ok(following && fixed, 'both policies have figures');
    assert.deepEqual(following, view.kpis, 'following = the live inventory');
    assert.ok(following.unitsDemanded > 0, 'the live shop sold something');
    await page.reload();
    await page.waitForSelector('#loop-body:not([hidden])', { timeout: 20_000 });
    const pct = (x: number | null) => (x === null ? '–' : (x * 100).toFixed(1) + '%');
    const int = (x: number) => Math.round(x).toLocaleString('en-US');
    const cells = (k: InventoryKpis) => [
      pct(k.fillRate),
      k.stockoutSkuDays.toFixed(1),
      int(k.meanOnHandUnits),
      int(k.unitsLost),
      int(k.unitsDemanded),
      int(k.purchaseOrdersPlaced),
    ];
    const kpis = [
      'fillRate',
      'stockoutSkuDays',
      'meanOnHandUnits',
      'unitsLost',
      'unitsDemanded',
      'purchaseOrdersPlaced',
    ];
    assert.deepEqual(await dataAttr('#loop-table tbody tr', 'kpi'), kpis);
    assert.deepEqual(await texts('#loop-table [data-field="following"]'), cells(following));
    assert.deepEqual(await texts('#loop-table [data-field="fixed"]'), cells(fixed));
    const signed = (x: number, f: (v: number) => string) => (x > 0 ? '+' : '') + f(x);
    const dFill =
      following.fillRate !== null && fixed.fillRate !== null
        ? signed(following.fillRate - fixed.fillRate, (v) => (v * 100).toFixed(1)) + ' pt'
        : '–';
    assert.deepEqual((await texts('#loop-table [data-field="difference"]')).slice(0, 4), [
      dFill,
      signed(following.stockoutSkuDays - fixed.stockoutSkuDays, (v) => v.toFixed(1)),
      signed(following.meanOnHandUnits - fixed.meanOnHandUnits, int),
      signed(following.unitsLost - fixed.unitsLost, int),
    ]);
    const meta = await text('#loop-meta');
    assert.match(
      meta,
      / · 30 SKUs · following the recommendations \(30 SKUs still on the fixed policy/,
    );
    assert.match(meta, /the fixed policy on the same demand \(shadow\)$/);
    const points = Number(await page.locator('#loop-chart').getAttribute('data-points'));
    assert.ok(points >= 1, `the fill-rate series has points (${points})`);
    // The reload kept the selected SKU (#sku=).
    await waitChartOf('COLD-900');
    await page.evaluate(() =>
      (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0),
    );
    await page.goto(base + '/demand#sku=' + MAIN);
    await waitChartOf(MAIN);
    await page.waitForSelector('#loop-body:not([hidden])', { timeout: 20_000 });
    const file = join(outputDir(), 'demand-dashboard.png');
    await page.screenshot({ path: file, fullPage: true });
    console.log(`demand dashboard screenshot: ${file}`);
    assert.deepEqual(errors, [], 'no page errors');
    assert.equal(await page.locator('body').getAttribute('data-render-error'), null);
  });

  it('answers 404 for an unknown SKU and 400 naming the bad parameter', async () => {
    const get = async (path: string) => {
      const r = await fetch(base + path);
      return { status: r.status, body: (await r.json()) as { message: string } };
    };
    const unknown = await get('/api/dashboard/demand/sku/NOPE-1');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.message, 'no demand forecast for sku "NOPE-1"');
    const limit = await get('/api/dashboard/demand/skus?limit=0');
    assert.deepEqual(
      [limit.status, limit.body.message],
      [400, 'limit: 0 must be between 1 and 200'],
    );
    const days = await get(`/api/dashboard/demand/sku/${MAIN}?actualDays=abc`);
    assert.deepEqual(
      [days.status, days.body.message],
      [400, 'actualDays: "abc" is not an integer'],
    );
    const version = await get('/api/dashboard/demand/model?version=7');
    assert.deepEqual(
      [version.status, version.body.message],
      [400, 'version: demand v7 is not in the registry'],
    );
    // And the page shows a SKU without a forecast as such.
    await page.goto(base + '/demand#sku=NOPE-1');
    await page.waitForFunction(
      () =>
        (
          globalThis as unknown as {
            document: { getElementById(i: string): { textContent: string; hidden: boolean } };
          }
        ).document.getElementById('fan-empty').hidden === false,
      undefined,
      { timeout: 20_000 },
    );
    assert.equal(await text('#fan-empty'), 'HTTP 404: no demand forecast for sku "NOPE-1"');
  });
  it('in a monitor without ClickHouse: 503 with the reason, and the page says so', async () => {
    const logger = testLogger();
    const brokers = config.kafka.brokers ?? [];
    @Module({
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot(logger, new PipelineMetrics(false), new HealthRegistry()),
        KafkaModule.forRoot(createKafka({ brokers, clientId: 'demand-dash-e2e-2', logger }), {
          brokers,
          localBroker: false,
        }),
        MonitorModule,
      ],
    })
    class StandaloneMonitorModule {}
    const bare = await NestFactory.create(StandaloneMonitorModule, { logger: false });
    try {
      await bare.listen(0);
      const port = ((bare.getHttpServer() as Server).address() as AddressInfo).port;
      const bareBase = `http://127.0.0.1:${port}`;
      const r = await fetch(bareBase + '/api/dashboard/demand/reorder');
      const body = (await r.json()) as { message: string };
      assert.equal(r.status, 503);
      assert.match(body.message, /^ClickHouse is not connected to this process/);
      await page.goto(bareBase + '/demand');
      await page.waitForSelector('#demand-notice:not([hidden])', { timeout: 20_000 });
      assert.match(
        await text('#demand-notice'),
        /^Demand data unavailable: HTTP 503: ClickHouse is not connected to this process/,
      );
      assert.match(
        await text('#loop-absent'),
        /^simulator KPIs unavailable: HTTP 503: ClickHouse is not connected to this process/,
      );
    } finally {
      await bare.close();
    }
  });
});
