// Unit tests of the per-SKU fit pool (real worker threads running the real models): the pooled
// forecasts equal the in-process ones bit for bit, a model error or a dying worker rejects the call
// with the SKU named (and the pool goes on), and close() ends a call in progress.
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { syntheticDemand } from './global/synthetic';
import {
  InProcessPerSkuFitter,
  PerSkuFitError,
  type PerSkuFitJob,
  type PerSkuMethod,
} from './per-sku-fit';
import { PerSkuPoolClosedError, PerSkuWorkerPool } from './per-sku-pool';
import type { Forecast } from './types';

const SETTINGS = { seasonLength: 7, horizon: 28 };
const KEYS = ['mean', 'p10', 'p50', 'p90'] as const;
const CRASHING = join(__dirname, 'testing', 'crashing-per-sku.worker.js');

/** 200 SKUs of 120 days: ensemble-like jobs, AutoETS alone, stored ETS structures, Croston. */
function jobs(): PerSkuFitJob[] {
  const series = syntheticDemand({ series: 200, days: 120, seed: 21, minLevel: 0.5 });
  const mixes: PerSkuMethod[][] = [
    ['auto_ets', 'seasonal_naive', 'tsb'],
    ['auto_ets'],
    ['croston', 'seasonal_naive'],
  ];
  const stored = ['N,A', 'Ad,M', 'A,N', 'N,N'];
  return series.map((s, i) => ({
    sku: s.id,
    y: s.y,
    methods: mixes[i % mixes.length],
    ...(i % 4 === 1 ? { ets: stored[(i >> 2) % stored.length] } : {}),
  }));
}

function assertSame(a: Forecast[][], b: Forecast[][], js: PerSkuFitJob[]): void {
  assert.equal(a.length, b.length);
  a.forEach((fcs, i) => {
    assert.equal(fcs.length, js[i].methods.length, js[i].sku);
    fcs.forEach((fc, k) => {
      for (const key of KEYS)
        assert.deepEqual(
          [...fc[key]],
          [...b[i][k][key]],
          `${js[i].sku} ${js[i].methods[k]} ${key}`,
        );
    });
  });
}

describe('PerSkuWorkerPool', () => {
  const pools: PerSkuWorkerPool[] = [];
  const pool = (o: ConstructorParameters<typeof PerSkuWorkerPool>[0]) => {
    const p = new PerSkuWorkerPool(o);
    pools.push(p);
    return p;
  };
  after(async () => {
    for (const p of pools) await p.close();
  });

  it('gives exactly the in-process forecasts, in job order, with progress to the end', async () => {
    const js = jobs();
    const local = await new InProcessPerSkuFitter().fit(js, SETTINGS);
    const p = pool({ size: 2, batchSkus: 16 });
    const seen: number[] = [];
    const pooled = await p.fit(js, SETTINGS, (done, total) => {
      assert.equal(total, js.length);
      seen.push(done);
    });
    assertSame(pooled, local, js);
    assert.equal(seen.at(-1), js.length);
    assert.deepEqual(
      seen,
      [...seen].sort((x, y) => x - y),
      'progress only grows',
    );
    assert.equal(seen.length, Math.ceil(js.length / 16), 'one report per batch');
    assert.equal(p.stats.started, 2);
    // the workers stay for the next call; a second call is the same again
    assertSame(await p.fit(js.slice(0, 30), SETTINGS), local.slice(0, 30), js);
    assert.equal(p.stats.started, 2);
    assert.deepEqual(await p.fit([], SETTINGS), []);
  });

  it('a model error in a worker rejects the call with the SKU and method named; the pool goes on', async () => {
    const js = jobs().slice(0, 40);
    const y = Float64Array.from(js[25].y);
    y[5] = NaN;
    js[25] = { sku: 'sku-with-a-gap', y, methods: ['auto_ets'] };
    const p = pool({ size: 2, batchSkus: 8 });
    await assert.rejects(p.fit(js, SETTINGS), (e: unknown) => {
      assert.ok(e instanceof PerSkuFitError, String(e));
      assert.equal(e.sku, 'sku-with-a-gap');
      assert.equal(e.method, 'auto_ets');
      assert.match(e.message, /SKU 'sku-with-a-gap' \(auto_ets\): AutoETS\.fit: y\[5\] is NaN/);
      assert.ok(e.cause instanceof Error && e.cause.name === 'ForecastInputError');
      return true;
    });
    // the same error in-process names the SKU the same way
    await assert.rejects(
      new InProcessPerSkuFitter().fit(js, SETTINGS),
      /SKU 'sku-with-a-gap' \(auto_ets\): AutoETS\.fit: y\[5\] is NaN/,
    );
    const ok = jobs().slice(0, 10);
    assertSame(await p.fit(ok, SETTINGS), await new InProcessPerSkuFitter().fit(ok, SETTINGS), ok);
    assert.equal(p.stats.crashed, 0);
  });

  it('a worker that dies (exit, uncaught throw) rejects the call with its SKUs named and is replaced', async () => {
    const good = jobs().slice(0, 12);
    const p = pool({ size: 2, batchSkus: 4, workerPath: CRASHING });
    const exitJobs = [...good.slice(0, 6), { ...good[6], sku: 'crash-exit-1' }, ...good.slice(7)];
    await assert.rejects(p.fit(exitJobs, SETTINGS), (e: unknown) => {
      assert.ok(e instanceof PerSkuFitError, String(e));
      assert.match(
        e.message,
        /worker thread \d+ exited with code 7 while fitting SKUs .*'crash-exit-1'/,
      );
      return true;
    });
    const throwJobs = [{ ...good[0], sku: 'crash-throw-2' }, ...good.slice(1)];
    await assert.rejects(p.fit(throwJobs, SETTINGS), (e: unknown) => {
      assert.ok(e instanceof PerSkuFitError, String(e));
      assert.equal(e.sku, 'crash-throw-2');
      assert.match(
        e.message,
        /failed: test crash on crash-throw-2 while fitting SKUs 'crash-throw-2'/,
      );
      assert.ok(e.cause instanceof RangeError);
      return true;
    });
    assert.equal(p.stats.crashed, 2);
    assertSame(
      await p.fit(good, SETTINGS),
      await new InProcessPerSkuFitter().fit(good, SETTINGS),
      good,
    );
  });

  it('close() terminates the workers: a call in progress and later calls reject', async () => {
    const p = pool({ size: 2, batchSkus: 2 });
    const running = assert.rejects(p.fit(jobs().slice(0, 80), SETTINGS), (e: unknown) => {
      assert.ok(e instanceof PerSkuPoolClosedError);
      assert.match(e.message, /closed: \d+ of 80 SKUs were fitted/);
      return true;
    });
    await new Promise((r) => setTimeout(r, 50));
    await p.close();
    await running;
    await assert.rejects(p.fit(jobs().slice(0, 1), SETTINGS), PerSkuPoolClosedError);
    assert.throws(() => new PerSkuWorkerPool({ size: 0 }), /size must be an integer ≥ 1, got 0/);
  });
});
