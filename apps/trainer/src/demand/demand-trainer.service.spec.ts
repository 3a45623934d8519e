// Unit tests of the demand training schedule and API with fakes (no I/O): the missing-history log,
// the ingest-lag wait, the first run (after the propensity first runs), 409 while a run is in flight, 404 when demand is disabled.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { ConflictException, NotFoundException } from '@nestjs/common';
import pino from 'pino';
import { loadConfig, type AppConfig } from '@storepulse/config';
import type { DemandSeriesSource } from '@storepulse/features';
import { DEMAND_MODEL_NAME, type ModelRegistry, type ModelVersion } from '@storepulse/ml';
import { ModelsController } from '../models.controller';
import { INGEST_LAG_TOLERANCE } from '../ingest-lag';
import { RunTracker } from '../runs/run-tracker';
import type { TrainerService } from '../trainer.service';
import { DEMAND_FIRST_RUN_RETRY_MS, DemandTrainerService } from './demand-trainer.service';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 9, 10, 12);
const TODAY = Math.floor(NOW / DAY);

function capture() {
  const lines: { msg: string; [k: string]: unknown }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n'))
        if (l.trim() !== '') lines.push(JSON.parse(l) as { msg: string });
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

function config(): AppConfig {
  return loadConfig({
    NODE_ENV: 'test',
    KAFKA_BROKERS: 'localhost:1',
    DEMAND_HORIZON_DAYS: '28',
    DEMAND_BACKTEST_ORIGINS: '3',
  });
}

function source(firstDay: number | null, readError = 'store offline'): DemandSeriesSource {
  return {
    read: () => Promise.reject(new Error(readError)),
    bounds: () => Promise.resolve(firstDay === null ? null : { firstDay, lastDay: TODAY - 1 }),
  };
}

const noChampion = {
  champion: (): Promise<ModelVersion | null> => Promise.resolve(null),
} as unknown as ModelRegistry;

function service(
  src: DemandSeriesSource,
  lag = 0,
  runs = new RunTracker(),
  firstRunAfter?: () => Promise<string | null>,
) {
  const { logger, lines } = capture();
  const svc = new DemandTrainerService(
    config(),
    src,
    noChampion,
    runs,
    () => Promise.resolve(lag),
    logger,
    { now: () => NOW, ...(firstRunAfter ? { firstRunAfter } : {}) },
  );
  return { svc, lines, runs };
}

describe('DemandTrainerService schedule', () => {
  it('without enough sales history: logs how many days are missing, retries in 15 s, starts no run', async () => {
    const { svc, lines, runs } = service(source(TODAY - 40));
    assert.deepEqual(await svc.missingHistoryDays(), { have: 40, need: 100, missing: 60 });
    assert.equal(await svc.tick(), DEMAND_FIRST_RUN_RETRY_MS);
    const line = lines.find((l) => /not enough sales history/.test(l.msg));
    assert.ok(line, JSON.stringify(lines));
    assert.match(line.msg, /60 days missing/);
    assert.equal(line.missingDays, 60);
    assert.equal(line.component, 'demand-trainer');
    assert.equal(runs.list().length, 0);
  });

  it('an empty store misses the whole minimum history', async () => {
    const { svc } = service(source(null));
    assert.deepEqual(await svc.missingHistoryDays(), { have: 0, need: 100, missing: 100 });
  });

  it('with enough history it waits while the aggregator lags, then starts a first run', async () => {
    const lagging = service(source(TODAY - 150), INGEST_LAG_TOLERANCE + 1);
    assert.equal(await lagging.svc.tick(), DEMAND_FIRST_RUN_RETRY_MS);
    assert.equal(lagging.runs.list().length, 0);
    assert.ok(lagging.lines.some((l) => /waiting for ingest/.test(l.msg)));

    const ready = service(source(TODAY - 150, 'series read failed'));
    assert.equal(await ready.svc.tick(), DEMAND_FIRST_RUN_RETRY_MS, 'a failed first run retries');
    const [run] = ready.runs.list();
    assert.equal(run.trigger, 'first-run');
    assert.equal(run.model, DEMAND_MODEL_NAME);
    assert.equal(run.status, 'failed');
    assert.equal(run.error, 'series read failed');
    // the retry waits 15 s after the failed run's start
    assert.equal(await ready.svc.tick(), DEMAND_FIRST_RUN_RETRY_MS);
    assert.equal(ready.runs.list().length, 1);
  });

  it('a first run waits while the propensity first runs are pending, then starts', async () => {
    let pending: string | null = 'propensity_7d is training';
    const t = service(source(TODAY - 150, 'series read failed'), 0, new RunTracker(), () =>
      Promise.resolve(pending),
    );
    assert.equal(await t.svc.tick(), DEMAND_FIRST_RUN_RETRY_MS);
    assert.equal(t.runs.list().length, 0, 'no demand run while propensity trains');
    const line = t.lines.find((l) => /waits for the first propensity runs/.test(l.msg));
    assert.ok(line, JSON.stringify(t.lines));
    assert.equal(line.waitingFor, 'propensity_7d is training');
    pending = null;
    assert.equal(await t.svc.tick(), DEMAND_FIRST_RUN_RETRY_MS);
    assert.equal(t.runs.list()[0]?.trigger, 'first-run');
  });
});

describe('POST /api/models/demand/train', () => {
  const trainer = {} as TrainerService;
  const registry = {} as ModelRegistry;

  it('returns the run id (the run shows in the shared tracker) and 409 while it is in progress', () => {
    const runs = new RunTracker();
    let release: () => void = () => undefined;
    const hold = new Promise<void>((r) => (release = r));
    // a demand run in flight (the tracker is the one GET /api/models/runs/:id reads)
    runs.start({ kind: 'demand', model: DEMAND_MODEL_NAME, trigger: 'schedule' }, () => hold);
    const { svc } = service(source(TODAY - 150), 0, runs);
    const ctl = new ModelsController(trainer, registry, svc);
    assert.throws(
      () => ctl.trainDemand(),
      (e: unknown) => e instanceof ConflictException && e.getStatus() === 409,
    );
    release();
  });

  it('starts a run and answers {run_id}', async () => {
    const runs = new RunTracker();
    const { svc } = service(source(TODAY - 150), 0, runs);
    const ctl = new ModelsController(trainer, registry, svc);
    const res = ctl.trainDemand();
    assert.equal(typeof res.run_id, 'string');
    assert.equal(runs.get(res.run_id)?.kind, 'demand');
    assert.equal(runs.get(res.run_id)?.trigger, 'api');
    await svc.beforeApplicationShutdown();
  });

  it('404 when demand forecasting is disabled', () => {
    const ctl = new ModelsController(trainer, registry, null);
    assert.throws(() => ctl.trainDemand(), NotFoundException);
  });
});
