import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { hashKey, type AppConfig } from '@storepulse/config';
import { PinoNestLogger, PipelineMetrics } from '@storepulse/observability';
import { connectInfra, listenHttp, walkHttpRoutes, type Infra } from '@storepulse/runtime';
import { PlatformModule } from '../../apps/platform/src/platform.module';
import { testConfig, testLogger } from '../support/env';
import { ROUTE_POLICY } from './route-policy';

const READ_KEY = 'sp_read_e2e_key';
const ADMIN_KEY = 'sp_admin_e2e_key';
const entry = (name: string, key: string) => `${name}:${hashKey(key).toString('hex')}`;

/**
 * The all-in-one process with API keys configured, over real HTTP (real broker, real engine):
 * 401 without a key, 403 for a read key on an admin route, 2xx with the right key, probes open,
 * and every route of the table answered by the guard as its class says.
 */
describe('access e2e: API keys over HTTP on the all-in-one process', () => {
  let config: AppConfig;
  let infra: Infra & { clickhouse: NonNullable<Infra['clickhouse']> };
  let app: INestApplication | undefined;
  let base = '';
  const logger = testLogger();
  const get = (path: string, key?: string, init: RequestInit = {}) =>
    fetch(`${base}${path}`, {
      ...init,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(init.headers ?? {}) },
      signal: AbortSignal.timeout(30_000),
    });

  before(async () => {
    config = testConfig({
      HTTP_HOST: '127.0.0.1',
      API_READ_KEYS: entry('grafana', READ_KEY),
      API_ADMIN_KEYS: entry('ops', ADMIN_KEY),
      AGGREGATOR_GROUP_ID: `access-${Date.now()}`,
      SCORER_GROUP_ID: `access-scorer-${Date.now()}`,
      REPLENISHMENT_GROUP_ID: `access-repl-${Date.now()}`,
      SIMULATOR_EVENTS_PER_SEC: '0',
      SIMULATOR_HISTORY_DAYS: '0',
      SIMULATOR_ORDER_HISTORY_DAYS: '0',
      SIMULATOR_KPI_SNAPSHOT_MS: '0',
      TRAINER_INTERVAL_MS: '0',
      TRAINER_DRIFT_CHECK_MS: '0',
      DEMAND_TRAIN_INTERVAL_MS: '0',
      DEMAND_FORECAST_INTERVAL_MS: '0',
      COLLECTOR_ALLOW_ANONYMOUS: 'true',
    });
    const i = await connectInfra(config, logger, {
      allowLocalBroker: false,
      clickhouse: 'server-or-embedded',
      env: {},
    });
    assert.ok(i.clickhouse);
    infra = { ...i, clickhouse: i.clickhouse };
    app = await NestFactory.create(
      PlatformModule.forRoot({ config, logger, metrics: new PipelineMetrics(false), infra }),
      { logger: new PinoNestLogger(logger) },
    );
    await listenHttp(app, config, logger);
    const addr = (app.getHttpServer() as Server).address() as AddressInfo;
    assert.equal(addr.address, '127.0.0.1', 'HTTP_HOST is the bound interface');
    base = `http://127.0.0.1:${addr.port}`;
  });

  after(async () => {
    await app?.close();
    await infra?.close();
  });

  it('no key → 401 with WWW-Authenticate; unknown key → 401', async () => {
    const r = await get('/api/status');
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="storepulse"');
    const body = (await r.json()) as { message: string };
    assert.match(body.message, /missing API key: this route needs a read or admin key/);
    assert.equal((await get('/api/raw/orders/o-1', 'sp_not_a_key')).status, 401);
  });

  it('read key reads (/api/status, raw orders, features); admin key reads too', async () => {
    const s = await get('/api/status', READ_KEY);
    assert.equal(s.status, 200);
    assert.ok(((await s.json()) as { kafka: unknown }).kafka);
    assert.equal((await get('/api/raw/orders/nope', READ_KEY)).status, 404);
    assert.equal((await get('/api/features/catalog', READ_KEY)).status, 200);
    assert.equal((await get('/api/status', ADMIN_KEY)).status, 200);
    const x = await get('/api/status', undefined, { headers: { 'x-api-key': READ_KEY } });
    assert.equal(x.status, 200);
    const c = await get('/api/status', undefined, {
      headers: { cookie: `storepulse_key=${READ_KEY}` },
    });
    assert.equal(c.status, 200, 'the dashboard cookie works for GET');
  });

  it('read key on an admin route → 403; admin key → 2xx; a cookie never authorises a POST', async () => {
    const post = (key?: string, headers: Record<string, string> = {}) =>
      get('/api/forecasts/demand-runs', key, { method: 'POST', headers });
    assert.equal((await post()).status, 401);
    const r = await post(READ_KEY);
    assert.equal(r.status, 403);
    assert.match(((await r.json()) as { message: string }).message, /read key of grafana/);
    assert.equal((await post(undefined, { cookie: `storepulse_key=${ADMIN_KEY}` })).status, 401);
    const ok = await post(ADMIN_KEY);
    assert.equal(ok.status, 200, await ok.clone().text());
    assert.ok(((await ok.json()) as { status?: string }).status !== undefined);
  });

  it('/metrics and /health stay open; the denials are counted', async () => {
    const m = await get('/metrics');
    assert.equal(m.status, 200);
    assert.match(
      await m.text(),
      /storepulse_http_access_denied_total\{status="403",class="admin"\} [1-9]/,
    );
    assert.equal((await get('/health/live')).status, 200);
    for (const p of ['/health', '/health/ready']) {
      const h = await get(p);
      assert.ok(h.status === 200 || h.status === 503, `${p}: ${h.status}`);
    }
    assert.equal((await get('/')).status, 200, 'the dashboard page itself is static and open');
  });

  it('every route of the platform answers without a key as its class says', async () => {
    const routes = walkHttpRoutes(
      PlatformModule.forRoot({ config, logger, metrics: new PipelineMetrics(false), infra }),
    ).routes;
    assert.ok(routes.length >= 40);
    for (const r of routes) {
      const path = r.path.replace(/:[A-Za-z]+/g, 'x');
      const res = await get(path, undefined, {
        method: r.method,
        ...(r.method === 'POST'
          ? { body: '{}', headers: { 'content-type': 'application/json' } }
          : {}),
      });
      const text = await res.text();
      const byGuard = res.status === 401 && /API key/.test(text);
      assert.equal(ROUTE_POLICY[`${r.method} ${r.path}`], r.access);
      if (r.access === 'public')
        assert.ok(!byGuard, `${r.method} ${r.path} is public: ${res.status} ${text}`);
      else
        assert.ok(
          byGuard,
          `${r.method} ${r.path} must need a key: ${res.status} ${text.slice(0, 200)}`,
        );
    }
  });
});
