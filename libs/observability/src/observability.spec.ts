import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HealthRegistry } from './health';
import { createLogger, PinoNestLogger } from './logger';
import { PipelineMetrics } from './metrics';
import { ObservabilityModule } from './observability.module';

describe('health (terminus) and metrics endpoints', () => {
  let app: INestApplication;
  let base = '';
  let stalled = false;

  before(async () => {
    const health = new HealthRegistry();
    health.register({
      name: 'clickhouse',
      check: () => Promise.resolve({ ok: true, details: { mode: 'embedded' } }),
    });
    health.register({
      name: 'aggregator-consumer',
      check: () =>
        Promise.resolve({ ok: !stalled, details: { running: true, stalled, status: 'x' } }),
    });
    const metrics = new PipelineMetrics(false);
    metrics.consumed.inc({ topic: 't' }, 3);
    const logger = createLogger('silent');
    app = await NestFactory.create(ObservabilityModule.forRoot(logger, metrics, health), {
      logger: new PinoNestLogger(logger),
    });
    await app.listen(0);
    base = `http://127.0.0.1:${((app.getHttpServer() as Server).address() as { port: number }).port}`;
  });
  after(async () => {
    await app.close();
  });

  it('is ready (200) while every check is up, with the details of each check', async () => {
    const r = await fetch(`${base}/health/ready`);
    assert.equal(r.status, 200);
    const body = (await r.json()) as {
      status: string;
      details: Record<string, Record<string, unknown>>;
    };
    assert.equal(body.status, 'ok');
    assert.deepEqual(body.details['clickhouse'], { status: 'up', mode: 'embedded' });
    assert.equal(
      body.details['aggregator-consumer']?.['state'],
      'x',
      "a check's own status is reported as state",
    );
  });

  it('is not ready (503) when the consumer loop is stalled, naming the check', async () => {
    stalled = true;
    const r = await fetch(`${base}/health/ready`);
    assert.equal(r.status, 503);
    const body = (await r.json()) as {
      status: string;
      error: Record<string, Record<string, unknown>>;
    };
    assert.equal(body.status, 'error');
    assert.equal(body.error['aggregator-consumer']?.['status'], 'down');
    assert.equal(body.error['aggregator-consumer']?.['stalled'], true);
    assert.equal((await fetch(`${base}/health/live`)).status, 200, 'liveness is unaffected');
    stalled = false;
  });

  it('serves Prometheus metrics', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    assert.match(text, /storepulse_events_consumed_total\{topic="t"\} 3/);
  });
});
