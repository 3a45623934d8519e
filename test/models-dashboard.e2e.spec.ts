// The Models page (/models) in headless Chromium: the monitor's dashboard controller next to a fake
// controller serving the trainer's and scorer's JSON APIs with fixed data (two propensity models,
// three versions of one with a rollback, a running training run, a live histogram with drift) and
// the monitor's stored live AUC (model_live_metrics) once the scorer is gone.
// This tests what the page shows, not the models: the real APIs are tested with the trainer/scorer.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import {
  Controller,
  Get,
  Module,
  NotFoundException,
  Query,
  type INestApplication,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { DashboardController } from '@storepulse/monitor';
import { outputDir, tempDir } from './support/env';

const CHROMIUM = '/usr/bin/chromium';

// ---- fixture: the JSON shapes of the trainer's and scorer's APIs -------------------------------

interface Bin {
  lo: number;
  hi: number;
  count: number;
  weight: number;
  meanPredicted: number | null;
  observedRate: number | null;
}

/** A reliability table of 10 equal bins from [count, meanPredicted, observedRate] (count 0 = empty). */
function reliability(rows: [number, number, number][]): Bin[] {
  return rows.map(([count, mp, obs], i) => ({
    lo: i / 10,
    hi: (i + 1) / 10,
    count,
    weight: count,
    meanPredicted: count === 0 ? null : mp,
    observedRate: count === 0 ? null : obs,
  }));
}

const REL_7D = reliability([
  [3120, 0.031, 0.028],
  [1480, 0.142, 0.151],
  [610, 0.247, 0.232],
  [290, 0.349, 0.371],
  [140, 0.452, 0.43],
  [70, 0.548, 0.586],
  [30, 0.655, 0.6],
  [12, 0.741, 0.833],
  [0, 0, 0],
  [0, 0, 0],
]);
const REL_28D = reliability([
  [2410, 0.052, 0.047],
  [1702, 0.148, 0.162],
  [820, 0.246, 0.219],
  [310, 0.344, 0.367],
  [95, 0.441, 0.4],
  [0, 0, 0],
  [21, 0.63, 0.571],
  [0, 0, 0],
  [0, 0, 0],
  [0, 0, 0],
]);

function m(rocAuc: number, logLoss: number, ece: number, rel: Bin[], n = 5762, positives = 689) {
  return {
    n,
    positives,
    rocAuc,
    prAuc: Math.round((rocAuc - 0.38) * 1000) / 1000,
    logLoss,
    brier: Math.round(logLoss * 0.29 * 10000) / 10000,
    ece,
    precision: 0.41,
    recall: 0.37,
    f1: 0.389,
    topDecileLift: 3.42,
    threshold: 0.31,
    reliability: rel,
  };
}

const day = (d: string) => Date.parse(`2026-${d}T00:00:00.000Z`);

function version(
  name: string,
  v: number,
  status: string,
  createdAt: string,
  updatedAt: string,
  test: Record<string, ReturnType<typeof m>>,
  parentVersion: number | null,
) {
  return {
    name,
    version: v,
    kind: 'propensity',
    horizon: name.endsWith('28d') ? '28d' : '7d',
    createdAt,
    updatedAt,
    status,
    parentVersion,
    trainingFrom: day('09-01'),
    trainingTo: Date.parse(createdAt),
    featureNames: ['sessions_7d', 'cart_adds_7d', 'orders_28d', 'days_since_last_order'],
    catalogHash: 'c0ffee' + String(v),
    artifactSha256: 'ab'.repeat(32),
    artifactBytes: 48_212,
    metrics: {
      test,
      validation: test,
      rows: { train: 41_230, validation: 5_711, test: 5_762 },
      warmStart: parentVersion !== null,
      epochs: 12,
      trainMs: 8_420,
      samplesPerSec: 58_800,
      threshold: 0.31,
      cutoffs: {
        train: day('11-10'),
        validation: ['2026-11-12T00:00:00.000Z'],
        test: ['2026-11-14T00:00:00.000Z'],
      },
    },
  };
}

/** Newest first, as GET /api/models answers. */
const MODELS = [
  version(
    'propensity_28d',
    1,
    'champion',
    '2026-11-27T03:20:00.000Z',
    '2026-11-27T03:20:01.000Z',
    {
      // Crafted: the MLP loses to the logistic baseline (not to the heuristic).
      mlp: m(0.741, 0.4102, 0.0188, REL_28D),
      logistic: m(0.752, 0.4011, 0.0152, REL_28D),
      heuristic: m(0.703, 0.448, 0.039, REL_28D),
    },
    null,
  ),
  version(
    'propensity_7d',
    3,
    'retired',
    '2026-11-29T03:10:39.000Z',
    '2026-11-30T14:05:12.000Z',
    {
      mlp: m(0.823, 0.279, 0.0109, REL_7D),
      logistic: m(0.801, 0.2925, 0.0139, REL_7D),
      heuristic: m(0.735, 0.3302, 0.0405, REL_7D),
      champion: m(0.812, 0.2874, 0.0121, REL_7D),
    },
    1,
  ),
  version(
    'propensity_7d',
    2,
    'rejected',
    '2026-11-25T03:09:01.000Z',
    '2026-11-25T03:09:02.000Z',
    {
      mlp: m(0.806, 0.2911, 0.0131, REL_7D),
      logistic: m(0.797, 0.2938, 0.0141, REL_7D),
      heuristic: m(0.733, 0.331, 0.0409, REL_7D),
      champion: m(0.811, 0.2879, 0.0122, REL_7D),
    },
    1,
  ),
  version(
    'propensity_7d',
    1,
    'champion',
    '2026-11-20T03:07:14.000Z',
    '2026-11-30T14:05:12.000Z',
    {
      mlp: m(0.812, 0.2874, 0.0121, REL_7D),
      logistic: m(0.794, 0.2951, 0.0143, REL_7D),
      heuristic: m(0.731, 0.3318, 0.0412, REL_7D),
    },
    null,
  ),
];

const ev = (
  name: string,
  v: number,
  event: string,
  at: string,
  reason: string,
  actor: string,
  fromVersion: number | null = null,
) => ({ name, version: v, event, reason, actor, at, fromVersion });

/** Newest first, as GET /api/models/events answers. */
const EVENTS = [
  ev(
    'propensity_7d',
    1,
    'rolled_back',
    '2026-11-30T14:05:12.000Z',
    'live AUC of v3 fell to 0.71 after the catalog change',
    'api',
    3,
  ),
  ev(
    'propensity_7d',
    3,
    'promoted',
    '2026-11-29T03:10:40.000Z',
    'AUC 0.823 >= champion 0.812 + 0.002',
    'gate',
    1,
  ),
  ev('propensity_7d', 3, 'registered', '2026-11-29T03:10:39.000Z', 'trained (schedule)', 'trainer'),
  ev('propensity_28d', 1, 'promoted', '2026-11-27T03:20:01.000Z', 'first champion', 'gate'),
  ev('propensity_28d', 1, 'registered', '2026-11-27T03:20:00.000Z', 'trained', 'trainer'),
  ev(
    'propensity_7d',
    2,
    'rejected',
    '2026-11-25T03:09:02.000Z',
    'AUC 0.806 < champion 0.811 + 0.002',
    'gate',
  ),
  ev('propensity_7d', 2, 'registered', '2026-11-25T03:09:01.000Z', 'trained (schedule)', 'trainer'),
  ev('propensity_7d', 1, 'promoted', '2026-11-20T03:07:15.000Z', 'first champion', 'gate'),
  ev('propensity_7d', 1, 'registered', '2026-11-20T03:07:14.000Z', 'trained', 'trainer'),
];

const RUNS = [
  {
    id: 'run-0009',
    kind: 'propensity',
    model: 'propensity_28d',
    trigger: 'schedule',
    status: 'running',
    startedAt: '2026-12-01T09:40:00.000Z',
    finishedAt: null,
    progress: { phase: 'training', fraction: 0.42, detail: { epoch: 5, epochs: 12 } },
    result: null,
    error: null,
  },
  {
    id: 'run-0008',
    kind: 'propensity',
    model: 'propensity_7d',
    trigger: 'api',
    status: 'failed',
    startedAt: '2026-11-30T15:00:00.000Z',
    finishedAt: '2026-11-30T15:00:04.000Z',
    progress: { phase: 'loading', fraction: 0.05 },
    result: null,
    error: 'training set for 7d is empty: no clickstream before 2026-11-23',
  },
  {
    id: 'run-0007',
    kind: 'propensity',
    model: 'propensity_7d',
    trigger: 'schedule',
    status: 'succeeded',
    startedAt: '2026-11-29T03:10:00.000Z',
    finishedAt: '2026-11-29T03:10:40.000Z',
    progress: { phase: 'done', fraction: 1 },
    result: null,
    error: null,
  },
];

/** 20 bins of the live score distribution. */
const histogram = (counts: number[]) =>
  counts.map((count, i) => ({ lo: i / 20, hi: (i + 1) / 20, count }));
const HIST_7D = [
  6210, 4105, 2610, 1702, 1130, 801, 560, 402, 288, 196, 140, 98, 66, 45, 30, 21, 14, 8, 4, 2,
];
const HIST_28D = [
  3120, 3400, 2870, 2210, 1720, 1300, 980, 720, 560, 430, 330, 250, 180, 130, 90, 60, 35, 20, 10, 7,
];
const LIVE = {
  models: [
    {
      name: 'propensity_7d',
      version: 1,
      horizon: '7d',
      scored: 18_432,
      histogram: histogram(HIST_7D),
      drift: [
        { feature: 'sessions_7d', psi: 0.31 },
        { feature: 'cart_adds_7d', psi: 0.14 },
        { feature: 'orders_28d', psi: 0.04 },
      ],
      liveAuc: { auc: 0.781, n: 2210 },
    },
    {
      name: 'propensity_28d',
      version: 1,
      horizon: '28d',
      scored: 18_432,
      histogram: histogram(HIST_28D),
      drift: [],
      liveAuc: null,
    },
  ],
};

const DEMAND = {
  ...version(
    'demand_global',
    1,
    'champion',
    '2026-11-28T04:00:00.000Z',
    '2026-11-28T04:00:01.000Z',
    {},
    null,
  ),
  kind: 'demand',
  horizon: '28d',
  metrics: {
    backtest: {
      autoets: {
        wape: 0.214,
        mase: 0.82,
        wql10: 0.061,
        wql50: 0.107,
        wql90: 0.072,
        meanWql: 0.08,
        coverage80: 0.78,
        bias: -0.021,
      },
      seasonal_naive: {
        wape: 0.287,
        mase: 1,
        wql10: 0.09,
        wql50: 0.144,
        wql90: 0.101,
        meanWql: 0.112,
        coverage80: 0.71,
        bias: 0.034,
      },
    },
  },
};

/** The monitor's stored live AUC (GET /api/dashboard/models/live-auc): both champions (v1). */
const STORED_LIVE_AUC = {
  models: [
    {
      model: 'propensity_7d',
      version: 1,
      horizon: '7d',
      computedAt: '2026-11-30T15:02:11.000Z',
      watermark: '2026-11-30T15:00:00.000Z',
      labelFrom: '2026-11-23T14:00:00.000Z',
      labelTo: '2026-11-30T15:00:00.000Z',
      auc: 0.774,
      n: 1950,
      positives: 240,
      negatives: 1710,
    },
    {
      model: 'propensity_28d',
      version: 1,
      horizon: '28d',
      computedAt: '2026-11-30T15:03:40.000Z',
      watermark: '2026-11-30T15:00:00.000Z',
      labelFrom: '2026-11-01T14:00:00.000Z',
      labelTo: '2026-11-30T15:00:00.000Z',
      auc: 0.702,
      n: 1230,
      positives: 310,
      negatives: 920,
    },
  ],
};

/** What the fake APIs answer; the tests flip these to take the trainer or the scorer away. */
const apis = { trainer: true, scorer: true, demand: false, storedLiveAuc: false };

@Controller('api')
class FakeModelApis {
  @Get('models')
  models(): unknown[] {
    if (!apis.trainer) throw new NotFoundException('Cannot GET /api/models');
    return apis.demand ? [DEMAND, ...MODELS] : MODELS;
  }

  @Get('models/events')
  events(@Query('name') name?: string): unknown[] {
    if (!apis.trainer) throw new NotFoundException('Cannot GET /api/models/events');
    return name ? EVENTS.filter((e) => e.name === name) : EVENTS;
  }

  @Get('models/runs')
  runs(): unknown[] {
    if (!apis.trainer) throw new NotFoundException('Cannot GET /api/models/runs');
    return RUNS;
  }

  @Get('predictions/live')
  live(): unknown {
    if (!apis.scorer) throw new NotFoundException('Cannot GET /api/predictions/live');
    return LIVE;
  }

  @Get('dashboard/models/live-auc')
  storedLiveAuc(): unknown {
    if (!apis.storedLiveAuc)
      throw new NotFoundException('Cannot GET /api/dashboard/models/live-auc');
    return STORED_LIVE_AUC;
  }
}

// ---- browser helpers -----------------------------------------------------------------------

interface ChartData {
  labels: unknown[];
  datasets: { label: string; data: unknown[]; pointStyle: unknown }[];
  width: number;
}

describe('Models page in headless Chromium (monitor dashboard + fake trainer/scorer APIs)', () => {
  let app: INestApplication;
  let base: string;
  let context: BrowserContext;
  let page: Page;
  const errors: string[] = [];

  before(async () => {
    @Module({ controllers: [DashboardController, FakeModelApis] })
    class ModelsDashboardTestModule {}
    app = await NestFactory.create(ModelsDashboardTestModule, { logger: false });
    await app.listen(0);
    const port = ((app.getHttpServer() as Server).address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
    context = await chromium.launchPersistentContext(tempDir('chromium-models'), {
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
      viewport: { width: 1440, height: 1300 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => errors.push(e.message));
  });

  after(async () => {
    await context?.close();
    await app?.close();
  });

  const text = async (selector: string) =>
    ((await page.locator(selector).first().textContent()) ?? '').trim();
  const texts = async (selector: string) =>
    (await page.locator(selector).allTextContents()).map((t) => t.trim());
  const polls = async () => Number((await page.locator('body').getAttribute('data-polls')) ?? '0');
  /** Resolves once the page has rendered `n` more polls than now. */
  const nextPolls = async (n: number) => {
    const target = (await polls()) + n;
    await page.waitForFunction(
      (t) =>
        Number(
          (globalThis as unknown as { document: { body: { dataset: Record<string, string> } } })
            .document.body.dataset.polls ?? '0',
        ) >= t,
      target,
      { timeout: 20_000 },
    );
  };
  const chart = (model: string, key: string) =>
    page.evaluate(
      ([mdl, k]) => {
        interface ChartJs {
          data: {
            labels?: unknown[];
            datasets: { label?: string; data: unknown[]; pointStyle?: unknown }[];
          };
          width: number;
        }
        const g = globalThis as unknown as {
          document: { querySelector(s: string): unknown };
          Chart: { getChart(canvas: unknown): ChartJs | undefined };
        };
        const canvas = g.document.querySelector(`[data-model="${mdl}"] canvas[data-chart="${k}"]`);
        const c = canvas ? g.Chart.getChart(canvas) : undefined;
        if (!c) return null;
        return {
          labels: c.data.labels ?? [],
          datasets: c.data.datasets.map((d) => ({
            label: d.label ?? '',
            data: d.data,
            pointStyle: d.pointStyle ?? null,
          })),
          width: c.width,
        } satisfies ChartData;
      },
      [model, key] as const,
    );

  it('is linked from the ops page header and shows each champion against its baselines', async () => {
    await page.goto(base + '/');
    await page.click('a#nav-models');
    await page.waitForURL(base + '/models');
    await page.waitForSelector('[data-model="propensity_7d"] tr[data-row="mlp"]', {
      timeout: 20_000,
    });
    assert.deepEqual(
      await page
        .locator('section.model')
        .evaluateAll((els) =>
          els.map((e) => (e as unknown as { dataset: { model: string } }).dataset.model),
        ),
      ['propensity_28d', 'propensity_7d'],
    );

    const p7 = '[data-model="propensity_7d"]';
    assert.equal(
      await text(`${p7} [data-field="champion"]`),
      'champion v1 since 2026-11-30 14:05 UTC',
    );
    assert.deepEqual(await texts(`${p7} [data-table="metrics"] tbody tr`), [
      'MLP v1 (champion)0.8120.4320.28740.08330.01213.425,762689',
      'logistic baseline0.7940.4140.29510.08560.01433.425,762689',
      'heuristic baseline0.7310.3510.33180.09620.04123.425,762689',
    ]);
    const mlp7 = `${p7} tr[data-row="mlp"]`;
    assert.equal(await text(`${mlp7} [data-field="rocAuc"]`), '0.812');
    assert.equal(await text(`${mlp7} [data-field="logLoss"]`), '0.2874');
    assert.equal(await text(`${mlp7} [data-field="ece"]`), '0.0121');
    assert.equal(await page.locator(`${p7} [data-field="loses"]`).isVisible(), false);
    assert.equal(await page.locator(`${p7} tr.loses`).count(), 0);
    assert.match(
      await text(`${p7} .sub .tag`),
      /rows train 41,230 · validation 5,711 · test 5,762 · 12 epochs \(from scratch\)/,
    );

    // The crafted case: the 28d MLP's test AUC (0.741) is below the logistic baseline's (0.752).
    const p28 = '[data-model="propensity_28d"]';
    assert.equal(await page.locator(`${p28} [data-field="loses"]`).isVisible(), true);
    assert.equal(await text(`${p28} [data-field="loses"]`), 'loses to baseline: logistic');
    assert.equal(await page.locator(`${p28} tr[data-row="mlp"]`).getAttribute('class'), 'loses');
    assert.equal(
      await page.locator(`${p28} tr[data-row="logistic"]`).getAttribute('class'),
      'beats',
    );
    assert.equal(await page.locator(`${p28} tr[data-row="heuristic"]`).getAttribute('class'), null);
    assert.match(await text(`${p28} tr[data-row="logistic"]`), /beats the MLP/);
    const red = await page
      .locator(`${p28} tr[data-row="mlp"] td`)
      .first()
      .evaluate(
        (td) =>
          (
            globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }
          ).getComputedStyle(td).backgroundColor,
      );
    assert.equal(red, 'rgba(229, 72, 77, 0.16)');
  });

  it('lists the promotion events per model, newest first, with the rollback', async () => {
    const rows = '[data-model="propensity_7d"] [data-table="events"] tbody tr';
    assert.equal(await page.locator(rows).count(), 7);
    assert.equal(
      await page.locator('[data-model="propensity_28d"] [data-table="events"] tbody tr').count(),
      2,
    );
    assert.deepEqual(
      await page.locator(rows).evaluateAll((els) =>
        els.map((e) => {
          const d = (e as unknown as { dataset: Record<string, string> }).dataset;
          return `${d.version}:${d.event}`;
        }),
      ),
      [
        '1:rolled_back',
        '3:promoted',
        '3:registered',
        '2:rejected',
        '2:registered',
        '1:promoted',
        '1:registered',
      ],
    );
    const first = (await page.locator(rows).first().locator('td').allTextContents()).map((t) =>
      t.trim(),
    );
    assert.deepEqual(first, [
      '2026-11-30 14:05 UTC',
      'v1',
      'rolled back from v3',
      'live AUC of v3 fell to 0.71 after the catalog change',
      'api',
    ]);
  });

  it('draws AUC across versions, the calibration of the champion and the live distribution', async () => {
    const versions = await chart('propensity_7d', 'versions');
    assert.ok(versions && versions.width > 0, 'versions chart rendered');
    assert.deepEqual(versions.labels, ['v1', 'v2', 'v3']);
    assert.deepEqual(
      versions.datasets.map((d) => [d.label, d.data]),
      [
        ['MLP', [0.812, 0.806, 0.823]],
        ['logistic', [0.794, 0.797, 0.801]],
        ['heuristic', [0.731, 0.733, 0.735]],
      ],
    );
    // v1 and v3 have been champions (promoted / rolled back to), v2 was rejected.
    assert.deepEqual(versions.datasets[0]?.pointStyle, ['rectRot', 'circle', 'rectRot']);

    const cal7 = await chart('propensity_7d', 'calibration');
    assert.ok(cal7 && cal7.width > 0, 'calibration chart rendered');
    const nonEmpty7 = REL_7D.filter((b) => b.count > 0);
    assert.equal(cal7.datasets[0]?.data.length, nonEmpty7.length);
    assert.equal(nonEmpty7.length, 8);
    assert.deepEqual(
      cal7.datasets[0]?.data,
      nonEmpty7.map((b) => ({ x: b.meanPredicted, y: b.observedRate, count: b.count })),
    );
    assert.equal(cal7.datasets[1]?.label, 'perfect calibration');
    assert.deepEqual(cal7.datasets[1]?.data, [
      { x: 0, y: 0 },
      { x: 0.9, y: 0.9 },
    ]);
    const cal28 = await chart('propensity_28d', 'calibration');
    assert.equal(cal28?.datasets[0]?.data.length, 6);
    assert.equal(
      await text('[data-model="propensity_7d"] [data-field="calibration-note"]'),
      '8 of 10 bins non-empty · ECE 0.0121',
    );

    const live = await chart('propensity_7d', 'live');
    assert.ok(live && live.width > 0, 'live chart rendered');
    assert.equal(live.labels.length, 20);
    assert.equal(live.labels[0], '0.00–0.05');
    assert.deepEqual(live.datasets[0]?.data, HIST_7D);
    assert.equal(
      await text('[data-model="propensity_7d"] [data-field="live-note"]'),
      'v1 · 18,432 scored · live AUC 0.781 (n=2,210)',
    );
    assert.equal(
      await text('[data-model="propensity_28d"] [data-field="live-note"]'),
      'v1 · 18,432 scored · live AUC not yet measurable',
    );
  });

  it('colours drift by PSI (0.1 / 0.25) and shows the running training run with its progress', async () => {
    const drift = '[data-model="propensity_7d"] [data-table="drift"] tbody tr';
    const rows = await page.locator(drift).evaluateAll((els) =>
      els.map((e) => {
        const g = globalThis as unknown as {
          getComputedStyle(e: unknown): { backgroundColor: string };
        };
        const r = e as unknown as {
          dataset: Record<string, string>;
          querySelector(s: string): { textContent: string } | null;
        };
        return {
          feature: r.dataset.feature,
          level: r.dataset.level,
          psi: r.querySelector('[data-field="psi"]')?.textContent,
          colour: g.getComputedStyle(r.querySelector('.badge')).backgroundColor,
        };
      }),
    );
    assert.deepEqual(rows, [
      { feature: 'sessions_7d', level: 'significant', psi: '0.310', colour: 'rgb(229, 72, 77)' },
      { feature: 'cart_adds_7d', level: 'moderate', psi: '0.140', colour: 'rgb(242, 177, 52)' },
      { feature: 'orders_28d', level: 'stable', psi: '0.040', colour: 'rgb(47, 191, 113)' },
    ]);
    assert.equal(
      await text('[data-model="propensity_28d"] [data-table="drift"] tbody'),
      'no drift measured yet',
    );

    const run = '#runs-active [data-run="run-0009"]';
    assert.equal(await page.locator('#runs-active [data-run]').count(), 1);
    assert.match(await text(run), /propensity_28d · propensity/);
    assert.match(await text(run), /training · epoch 5 · epochs 12/);
    assert.equal(await text(`${run} [data-field="fraction"]`), '42%');
    const bar = await page.locator(`${run} .bar`).boundingBox();
    const track = await page.locator(`${run} .progress`).boundingBox();
    assert.ok(bar && track);
    assert.ok(
      Math.abs(bar.width / (track.width - 2) - 0.42) < 0.01,
      `bar ${bar.width} of ${track.width}`,
    );
    assert.deepEqual(
      (await page.locator('#runs-recent tbody tr').allTextContents()).map((t) => t.trim()),
      [
        '2026-11-30 15:00 UTCpropensity_7dapifailed4 straining set for 7d is empty: no clickstream before 2026-11-23',
        '2026-11-29 03:10 UTCpropensity_7dschedulesucceeded40 s',
      ],
    );

    const dir = outputDir();
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'models-dashboard.png');
    await page.screenshot({ path: file, fullPage: true });
    console.log(`models dashboard screenshot: ${file}`);
    assert.deepEqual(errors, [], 'no page errors');
  });

  it('says "scorer not running" when /api/predictions/live answers 404, and shows a demand backtest', async () => {
    apis.scorer = false;
    apis.demand = true;
    await nextPolls(2);
    for (const name of ['propensity_7d', 'propensity_28d']) {
      const card = `[data-model="${name}"]`;
      assert.equal(
        await text(`${card} [data-field="live-empty"]`),
        'scorer not running (GET /api/predictions/live → 404)',
      );
      assert.equal(await page.locator(`${card} [data-field="live-empty"]`).isVisible(), true);
      assert.equal(await page.locator(`${card} canvas[data-chart="live"]`).isVisible(), false);
      assert.equal(await text(`${card} [data-table="drift"] tbody`), 'scorer not running');
    }
    // The trainer's data stays.
    assert.equal(
      await text('[data-model="propensity_7d"] [data-field="champion"]'),
      'champion v1 since 2026-11-30 14:05 UTC',
    );
    const demand = '[data-model="demand_global"]';
    assert.equal(await page.locator(`${demand} [data-table="backtest"]`).isVisible(), true);
    assert.deepEqual(await texts(`${demand} [data-table="backtest"] tbody tr`), [
      'autoets0.2140.8200.0610.1070.0720.0800.780-0.021',
      'seasonal_naive0.2871.0000.0900.1440.1010.1120.7100.034',
    ]);
    assert.equal(
      await text(`${demand} [data-table="metrics"] tbody`),
      'no classifier test metrics for this model',
    );
    assert.equal(
      await page.locator('[data-model="propensity_7d"] [data-table="backtest"]').isVisible(),
      false,
    );
    assert.equal(await text('#sources'), 'trainer up · scorer absent');
    assert.equal(await text('[data-model="propensity_7d"] [data-field="live-note"]'), '');
  });

  it('shows the stored live AUC of the champion (model_live_metrics) while the scorer is away', async () => {
    apis.storedLiveAuc = true;
    await nextPolls(2);
    const note = (model: string) => text(`[data-model="${model}"] [data-field="live-note"]`);
    assert.equal(
      await note('propensity_7d'),
      'v1 · live AUC 0.774 (n=1,950, stored 2026-11-30 15:02 UTC)',
    );
    assert.equal(
      await note('propensity_28d'),
      'v1 · live AUC 0.702 (n=1,230, stored 2026-11-30 15:03 UTC)',
    );
    assert.equal(
      await text('[data-model="propensity_7d"] [data-field="live-empty"]'),
      'scorer not running (GET /api/predictions/live → 404)',
    );
    // A running scorer: its in-memory live AUC wins (7d); without one yet (28d) the stored one shows.
    apis.scorer = true;
    await nextPolls(2);
    assert.equal(await note('propensity_7d'), 'v1 · 18,432 scored · live AUC 0.781 (n=2,210)');
    assert.equal(
      await note('propensity_28d'),
      'v1 · 18,432 scored · live AUC 0.702 (n=1,230, stored 2026-11-30 15:03 UTC)',
    );
    apis.scorer = false;
    apis.storedLiveAuc = false;
  });

  it('says "trainer not reachable in this process" without the trainer APIs, and links back', async () => {
    apis.trainer = false;
    await nextPolls(2);
    assert.equal(await page.locator('section.model').count(), 0);
    assert.equal(
      await text('#trainer-notice'),
      'trainer not reachable in this process (GET /api/models → 404): start the trainer or the all-in-one platform to see models.',
    );
    assert.equal(
      await text('#runs-active'),
      'trainer not reachable in this process (GET /api/models/runs → 404)',
    );
    assert.equal(await page.locator('#runs-recent').isVisible(), false);
    const file = join(outputDir(), 'models-dashboard-standalone.png');
    await page.screenshot({ path: file, fullPage: true });
    console.log(`standalone models page screenshot: ${file}`);
    // ... and comes back when the trainer does.
    apis.trainer = true;
    apis.scorer = true;
    apis.demand = false;
    // A scorer that has not switched to the rolled-back-to champion yet.
    const served = LIVE.models[0];
    assert.ok(served);
    served.version = 3;
    await nextPolls(2);
    assert.equal(await page.locator('#trainer-notice').isVisible(), false);
    assert.equal(await page.locator('section.model').count(), 2);
    assert.equal(
      await text('[data-model="propensity_7d"] [data-field="live-stale"]'),
      'the scorer serves v3, the registry champion is v1',
    );
    assert.equal(
      await page.locator('[data-model="propensity_28d"] [data-field="live-stale"]').isVisible(),
      false,
    );
    served.version = 1;
    assert.deepEqual(errors, [], 'no page errors');
    assert.equal(await page.locator('body').getAttribute('data-render-error'), null);

    await page.click('a#nav-ops');
    await page.waitForURL(base + '/');
    assert.equal(await page.locator('a#nav-models').getAttribute('href'), '/models');
  });
});
