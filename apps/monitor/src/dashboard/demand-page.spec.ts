// Unit tests of the Demand page: its HTML (options, navigation, a script that parses) and the
// service over a fake DemandReads (which range of actuals it asks for, 404 and 503 cases).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Script } from 'node:vm';
import { loadConfig } from '@storepulse/config';
import { PipelineMetrics, createLogger } from '@storepulse/observability';
import type { DemandReads } from '../demand-reads';
import { DEMAND_POLL_MS, demandPageHtml } from './demand-page';
import type { DailyUnits, DemandForecastRow } from './demand-page-model';
import {
  DemandDashboardService,
  DemandReadsUnavailableError,
  UnknownSkuError,
} from './demand-page.service';
import { modelsPageHtml } from './models-page';
import { DASHBOARD_HTML } from './page';

function inlineScript(html: string): string {
  const m = /<script>\n([\s\S]*?)\n<\/script>/.exec(html);
  assert.ok(m?.[1], 'the page has an inline script');
  return m[1];
}

void describe('demandPageHtml', () => {
  void it('polls every DEMAND_POLL_MS by default, or every pollMs, and rejects bad values', () => {
    assert.equal(DEMAND_POLL_MS, 15_000);
    assert.match(inlineScript(demandPageHtml()), /var POLL_MS = 15000;/);
    assert.match(inlineScript(demandPageHtml({ pollMs: 500 })), /var POLL_MS = 500;/);
    assert.throws(
      () => demandPageHtml({ pollMs: 100 }),
      (e: unknown) =>
        e instanceof RangeError &&
        e.message === 'pollMs: 100 must be an integer >= 250 (milliseconds)',
    );
  });

  void it('has a script that compiles, Chart.js from the app, and is linked from the other pages', () => {
    const html = demandPageHtml();
    assert.doesNotThrow(() => new Script(inlineScript(html)));
    assert.match(html, /<script src="\/dashboard\/chart\.umd\.min\.js"><\/script>/);
    assert.match(html, /<a href="\/" id="nav-ops">/);
    assert.match(html, /<a href="\/models" id="nav-models">/);
    assert.match(DASHBOARD_HTML, /<a href="\/demand" id="nav-demand">/);
    assert.match(modelsPageHtml(), /<a href="\/demand" id="nav-demand">/);
    assert.doesNotThrow(() => new Script(inlineScript(modelsPageHtml())));
  });
});

const FORECAST: DemandForecastRow = {
  forecastId: '00000000-0000-4000-8000-000000000002',
  sku: 'S1',
  category: 'c',
  origin: '2026-03-10',
  generatedAt: '2026-03-10T05:00:00.000Z',
  modelName: 'demand',
  modelVersion: 1,
  method: 'auto_ets',
  coldStart: false,
  timeZone: 'Europe/Berlin',
  dates: ['2026-03-10'],
  p10: [1],
  p50: [2],
  p90: [3],
};

function fakeReads(calls: unknown[][]): DemandReads {
  return {
    latestForecast: (sku) => Promise.resolve(sku === 'S1' ? FORECAST : null),
    dailyUnits: (...args): Promise<DailyUnits[]> => {
      calls.push(args);
      return Promise.resolve([{ date: '2026-03-09', units: 5 }]);
    },
    skuVolumes: () => Promise.resolve([]),
    recommendations: () => Promise.resolve([]),
    recommendation: () => Promise.resolve(null),
    modelVersions: () => Promise.resolve([]),
    modelEvents: () => Promise.resolve([]),
    loopRun: () => Promise.resolve(null),
  };
}

void describe('DemandDashboardService', () => {
  const config = loadConfig({
    NODE_ENV: 'test',
    KAFKA_BROKERS: 'localhost:1',
    SHOP_TIME_ZONE: 'UTC',
  });
  const logger = createLogger('silent');
  void it("reads the actual days before the origin in the forecast's zone", async () => {
    const calls: unknown[][] = [];
    const svc = new DemandDashboardService(config, logger, new PipelineMetrics(), fakeReads(calls));
    const c = await svc.sku('S1', 3);
    assert.deepEqual(calls, [['S1', '2026-03-07', '2026-03-10', 'Europe/Berlin']]);
    assert.deepEqual(c.actuals, [0, 0, 5, null]);
    await assert.rejects(
      svc.sku('nope'),
      (e: unknown) =>
        e instanceof UnknownSkuError && e.message === 'no demand forecast for sku "nope"',
    );
  });

  void it('answers the reorder table relative to its clock, and refuses without ClickHouse', async () => {
    const now = () => Date.parse('2026-03-04T23:59:00Z');
    const svc = new DemandDashboardService(
      config,
      logger,
      new PipelineMetrics(),
      fakeReads([]),
      now,
    );
    assert.equal((await svc.reorder(10)).today, '2026-03-04');
    const none = new DemandDashboardService(config, logger, new PipelineMetrics(), null);
    await assert.rejects(none.model(null), DemandReadsUnavailableError);
  });
});
