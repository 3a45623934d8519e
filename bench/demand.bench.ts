import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  AutoEts,
  getTf,
  getTfBackendInfo,
  syntheticDemand,
  type BacktestOptions,
  type DemandSeries,
  type GlobalModelOptions,
  type GlobalQuantileModel,
  type Tf,
} from '@storepulse/ml';
import { simulatedDemand } from './demand-series';
import { qualityMarkdown, runQuality, type QualityResult } from './demand-quality';
import { fitPredictEts, type EtsJob } from './demand-speed-ets';
import { mib, printTable, progress } from './support';

/**
 * npm run bench -- demand
 *   BENCH_SKUS (300), BENCH_DAYS (120: training days at the earliest origin), BENCH_ORIGINS (3),
 *   BENCH_EVENTS_PER_DAY (100000), BENCH_USERS (20000), BENCH_DATA (both | sim | synthetic),
 *   BENCH_SPEED_SKUS (10000), BENCH_ETS_WORKERS (2), BENCH_GLOBAL_EPOCHS (the model's default, 60),
 *   BENCH_COVARIATES (calendar | sales: the relative price definition, see demand-series.ts)
 * Quality: rolling-origin backtest (BENCH_ORIGINS origins × 28 days, step 28) of seasonal naive,
 * AutoETS, Croston, TSB, the global TF.js quantile model (calibrated, and its raw quantiles) and the
 * median ensemble, on simulated storefront demand and on the synthetic generator, with the issue's
 * targets. Speed: forecasting BENCH_SPEED_SKUS SKUs × 28 days with the global model and with AutoETS
 * (fit + predict, one thread and worker threads), fitting times, peak RSS.
 */
const H = 28;
const SKUS = Number(process.env.BENCH_SKUS ?? 300);
const DAYS = Number(process.env.BENCH_DAYS ?? 120);
const ORIGINS = Number(process.env.BENCH_ORIGINS ?? 3);
const PER_DAY = Number(process.env.BENCH_EVENTS_PER_DAY ?? 100_000);
const USERS = Number(process.env.BENCH_USERS ?? 20_000);
const DATA = process.env.BENCH_DATA ?? 'both';
const SPEED_SKUS = Number(process.env.BENCH_SPEED_SKUS ?? 10_000);
const ETS_WORKERS = Number(process.env.BENCH_ETS_WORKERS ?? 2);
const EPOCHS = process.env.BENCH_GLOBAL_EPOCHS;
const COVARIATES = process.env.BENCH_COVARIATES === 'sales' ? 'sales' : 'calendar';
const SPEED_HISTORY = 120;

/** SPEED_SKUS series of SPEED_HISTORY days (+ H days of covariates) cut from the bench series. */
function speedSeries(src: DemandSeries[]): DemandSeries[] {
  const spare = src[0].y.length - SPEED_HISTORY - H;
  if (spare < 0) throw new Error(`speed series need ${SPEED_HISTORY + H} days`);
  return Array.from({ length: SPEED_SKUS }, (_, k) => {
    const s = src[k % src.length];
    const off = Math.floor(k / src.length) % (spare + 1);
    return {
      id: `${s.id}-${k}`,
      category: s.category,
      startDay: s.startDay + off,
      y: s.y.slice(off, off + SPEED_HISTORY),
      price: s.price?.slice(off, off + SPEED_HISTORY + H),
      promo: s.promo?.slice(off, off + SPEED_HISTORY + H),
    };
  });
}

function etsJob(series: DemandSeries[]): EtsJob {
  const y = new Float64Array(series.length * SPEED_HISTORY);
  series.forEach((s, i) => y.set(s.y, i * SPEED_HISTORY));
  return { y, n: series.length, length: SPEED_HISTORY, horizon: H };
}

function runWorker(job: EtsJob): Promise<{ out: Float64Array; ms: number }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(join(__dirname, 'demand-ets-worker.js'), { workerData: job });
    w.once('message', (m: { out: Float64Array; ms: number }) => resolve(m));
    w.once('error', reject);
    w.once('exit', (code) => {
      if (code !== 0) reject(new Error(`AutoETS worker exited with code ${code}`));
    });
  });
}

async function etsWorkers(series: DemandSeries[], workers: number): Promise<number> {
  const per = Math.ceil(series.length / workers);
  const t0 = performance.now();
  const parts = await Promise.all(
    Array.from({ length: workers }, (_, i) =>
      runWorker(etsJob(series.slice(i * per, (i + 1) * per))),
    ),
  );
  const ms = performance.now() - t0;
  const n = parts.reduce((a, p) => a + p.out.length / (H * 3), 0);
  if (n !== series.length) throw new Error(`AutoETS workers returned ${n} of ${series.length}`);
  return ms;
}

async function speed(
  tf: Tf,
  model: GlobalQuantileModel,
  src: DemandSeries[],
): Promise<[string, string][]> {
  const series = speedSeries(src);
  const rows: [string, string][] = [];
  model.forecast(tf, series.slice(0, 100), H); // warm-up (kernels, allocations)
  progress(`speed: global model forecasting ${series.length} SKUs × ${H} days`);
  let t0 = performance.now();
  const gCpu0 = process.cpuUsage();
  const fc = model.forecast(tf, series, H);
  const globalMs = performance.now() - t0;
  const gCpu = process.cpuUsage(gCpu0);
  if (fc.length !== series.length) throw new Error('global forecast count');
  rows.push([
    `global: forecast ${series.length} SKUs × ${H} d`,
    `${(globalMs / 1000).toFixed(2)} s wall, ${((gCpu.user + gCpu.system) / 1e6).toFixed(1)} s CPU (target ≤ 60 s) ${globalMs <= 60_000 ? 'PASS' : 'FAIL'}`,
  ]);
  progress(`speed: AutoETS fit + predict of ${series.length} SKUs on one thread`);
  t0 = performance.now();
  let cpu0 = process.cpuUsage();
  fitPredictEts(etsJob(series), () => new AutoEts({ seasonLength: 7 }));
  const etsMs = performance.now() - t0;
  const cpuS = (c: NodeJS.CpuUsage): number => (c.user + c.system) / 1e6;
  const etsCpu = cpuS(process.cpuUsage(cpu0));
  rows.push([
    `AutoETS: fit + predict ${series.length} SKUs, 1 thread`,
    `${(etsMs / 1000).toFixed(1)} s wall (${(etsMs / series.length).toFixed(2)} ms/SKU), ${etsCpu.toFixed(1)} s CPU ${etsMs <= 60_000 ? 'PASS' : 'FAIL'}`,
  ]);
  if (ETS_WORKERS > 1) {
    progress(`speed: AutoETS on ${ETS_WORKERS} worker threads`);
    cpu0 = process.cpuUsage();
    const ms = await etsWorkers(series, ETS_WORKERS);
    const cpu = cpuS(process.cpuUsage(cpu0));
    rows.push([
      `AutoETS: fit + predict ${series.length} SKUs, ${ETS_WORKERS} worker threads`,
      `${(ms / 1000).toFixed(1)} s wall, ${cpu.toFixed(1)} s CPU (${(cpu / (ms / 1000)).toFixed(2)} cores used) ${ms <= 60_000 ? 'PASS' : 'FAIL'}`,
    ]);
  }
  return rows;
}

async function main(): Promise<void> {
  const { tf } = await getTf();
  const backend = getTfBackendInfo();
  const total = DAYS + H + (ORIGINS - 1) * H;
  const bt: BacktestOptions = { origins: ORIGINS, horizon: H, step: H, seasonLength: 7 };
  const globalOpts: GlobalModelOptions = EPOCHS ? { epochs: Number(EPOCHS) } : {};
  const out: string[] = [];
  const extra: [string, string][] = [];
  let speedModel: GlobalQuantileModel | null = null;
  let speedSrc: DemandSeries[] = [];
  const report = (title: string, q: QualityResult, note: string): void => {
    const md = `### ${title}\n\n${note}\n\n${qualityMarkdown(q)}`;
    out.push(md);
    console.log(`\n${md}\n`);
  };

  if (DATA === 'both' || DATA === 'sim') {
    const end = Date.UTC(2026, 10, 1);
    progress(
      `simulating ${total} days of the storefront (${SKUS} SKUs, ${USERS} users, ~${PER_DAY} events/day)`,
    );
    const sim = simulatedDemand({
      seed: 31,
      skus: SKUS,
      users: USERS,
      days: total,
      eventsPerDay: PER_DAY,
      endMs: end,
      covariates: COVARIATES,
    });
    const zeroShare =
      sim.series.reduce((a, s) => a + s.y.filter((v) => v === 0).length, 0) / (SKUS * total);
    const promoShare =
      sim.series.reduce((a, s) => a + (s.promo?.filter((v) => v === 1).length ?? 0), 0) /
      (SKUS * total);
    const note =
      `Storefront simulator (seed 31, ${SKUS} SKUs, ${USERS} users, ${PER_DAY} events/day, ${total} days ending ${new Date(end).toISOString().slice(0, 10)}): ` +
      `${sim.events} events, ${sim.orders} orders, ${sim.units} units placed (${sim.cancelledUnits} later cancelled, not subtracted), ` +
      `${(sim.units / SKUS / total).toFixed(2)} units/SKU/day, ${(100 * zeroShare).toFixed(1)} % zero days, ${(100 * promoShare).toFixed(1)} % promo days; generated in ${(sim.ms / 1000).toFixed(0)} s. ` +
      `Price/promo covariates: ${COVARIATES === 'calendar' ? 'from the promotion calendar (known in advance)' : 'from the day’s sales (leaks the target on future days)'}. Origins train on ${DAYS}, ${DAYS + H}, … days.`;
    extra.push(['simulated events', `${sim.events} in ${(sim.ms / 1000).toFixed(0)} s`]);
    const q = await runQuality(tf, 'simulated', sim.series, bt, globalOpts);
    report('Simulated storefront demand', q, note);
    speedModel = q.latestGlobal;
    speedSrc = sim.series;
  }
  if (DATA === 'both' || DATA === 'synthetic') {
    const syn = syntheticDemand({ series: SKUS, days: total, seed: 5 });
    const q = await runQuality(tf, 'synthetic', syn, bt, globalOpts);
    report(
      'Synthetic demand (libs/ml/src/forecast/global/synthetic.ts)',
      q,
      `syntheticDemand({ series: ${SKUS}, days: ${total}, seed: 5 }): levels 2–200 log-uniform, 3 weekly profiles, promotions on 8 % of days (×1.8 at price 0.8).`,
    );
    if (speedModel === null) {
      speedModel = q.latestGlobal;
      speedSrc = syn;
    } else q.latestGlobal?.dispose();
  }
  if (speedModel !== null && SPEED_SKUS > 0) {
    extra.push(...(await speed(tf, speedModel, speedSrc)));
  }
  speedModel?.dispose();
  printTable('demand benchmark', [
    ['tf backend', `${backend?.backend ?? '?'} (${backend?.tfBackend ?? '?'})`],
    ['series', `${SKUS} SKUs × ${total} days, ${ORIGINS} origins × ${H} days`],
    ...extra,
    ['peak RSS (maxRSS)', mib(process.resourceUsage().maxRSS * 1024)],
  ]);
  // The loop (fill rate with and without following the recommendations) is its own bench, also
  // runnable alone (npm run bench -- demand-loop); BENCH_LOOP=0 skips it here.
  if (process.env.BENCH_LOOP !== '0') {
    console.log('\n== demand loop (dist/bench/demand-loop.bench.js) ==');
    const r = spawnSync(
      process.execPath,
      ['--enable-source-maps', '--expose-gc', join(__dirname, 'demand-loop.bench.js')],
      { stdio: 'inherit' },
    );
    if (r.status !== 0) throw new Error(`demand-loop bench failed (exit ${String(r.status)})`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
