// The live demand forecaster's per-SKU fits, in-process vs on the worker pool, side by side in one
// run (issue 12 speed target: 10,000 SKUs × 28 days ≤ 60 s on 2 cores).
//   npm run bench -- demand-forecast-pool
//   env: BENCH_SKUS (10000), BENCH_DAYS (120), BENCH_WORKERS (the available cores),
//        BENCH_CHAMPIONS (auto_ets,ensemble)
// The forecaster is the scorer's own (loadDemandForecasterWith on a demand artifact), called in
// chunks of 1,000 SKUs as ForecastPublisher does; the artifact carries no stored ETS structures, so
// every SKU runs the full AutoETS selection (the slowest case; a trained champion refits only its
// stored structure). Both modes must give identical forecasts (checked). Series: syntheticDemand
// (seed 3, levels 2–200). Times are wall clock; CPU is the whole process (all threads).
import { availableParallelism, loadavg } from 'node:os';
import {
  DEMAND_ARTIFACT_FORMAT,
  GlobalQuantileModel,
  InProcessPerSkuFitter,
  PerSkuWorkerPool,
  encodeDemandArtifact,
  getTf,
  getTfBackendInfo,
  loadDemandForecasterWith,
  syntheticDemand,
  type DemandForecaster,
  type DemandMethod,
  type PerSkuFitter,
  type SkuDemandForecast,
} from '@storepulse/ml';
import { mib, printTable, progress } from './support';

const SKUS = Number(process.env.BENCH_SKUS ?? 10_000);
const DAYS = Number(process.env.BENCH_DAYS ?? 120);
const WORKERS = Number(process.env.BENCH_WORKERS ?? availableParallelism());
const CHAMPIONS = (process.env.BENCH_CHAMPIONS ?? 'auto_ets,ensemble').split(',') as DemandMethod[];
const H = 28;
const CHUNK = 1_000;
const START_DAY = 20_000;

const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' / ');

async function run(
  f: DemandForecaster,
  series: ReturnType<typeof syntheticDemand>,
  fitter: PerSkuFitter,
): Promise<{ out: SkuDemandForecast[]; ms: number; cpuS: number; loadBefore: string }> {
  const loadBefore = load();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const out: SkuDemandForecast[] = [];
  let lastLog = t0;
  for (let i = 0; i < series.length; i += CHUNK) {
    out.push(
      ...(await f.forecast(series.slice(i, i + CHUNK), {
        originDay: START_DAY + DAYS,
        horizon: H,
        minHistoryDays: 28,
        fitter,
      })),
    );
    if (performance.now() - lastLog > 10_000) {
      lastLog = performance.now();
      progress(`  ${out.length} / ${series.length} SKUs, ${((lastLog - t0) / 1000).toFixed(0)} s`);
    }
  }
  const cpu = process.cpuUsage(cpu0);
  return { out, ms: performance.now() - t0, cpuS: (cpu.user + cpu.system) / 1e6, loadBefore };
}

async function main(): Promise<void> {
  const { tf } = await getTf();
  const backend = getTfBackendInfo();
  progress(`series: ${SKUS} SKUs × ${DAYS} days (syntheticDemand, seed 3)`);
  const series = syntheticDemand({ series: SKUS, days: DAYS, futureDays: H, seed: 3 });
  progress('a small global model for the artifact (cold starts; a member of the ensemble)');
  const global = await GlobalQuantileModel.fit(tf, series.slice(0, 200), {
    horizon: H,
    hidden: [16],
    epochs: 2,
    windowsPerSeries: 4,
    seed: 1,
  });
  const saved = await global.save(tf);
  global.dispose();
  const rows: [string, string][] = [
    ['tf backend', `${backend?.backend ?? '?'} (${backend?.tfBackend ?? '?'})`],
    ['series', `${SKUS} SKUs × ${DAYS} days, horizon ${H}, chunks of ${CHUNK} (as the publisher)`],
    ['pool', `PerSkuWorkerPool size ${WORKERS} (DEMAND_FORECAST_WORKERS default), batches of 25`],
  ];
  const pool = new PerSkuWorkerPool({ size: WORKERS });
  try {
    for (const champion of CHAMPIONS) {
      const f = await loadDemandForecasterWith(
        tf,
        { name: 'demand', version: 1 },
        encodeDemandArtifact(
          {
            format: DEMAND_ARTIFACT_FORMAT,
            champion,
            horizon: H,
            seasonLength: 7,
            minTrain: 14,
            timeZone: 'UTC',
            ensembleMembers: ['auto_ets', 'global', 'seasonal_naive'],
            ets: {},
          },
          saved,
        ),
      );
      progress(`${champion}: in-process (1 thread)`);
      const a = await run(f, series, new InProcessPerSkuFitter());
      progress(`${champion}: ${WORKERS} worker threads`);
      const b = await run(f, series, pool);
      const same = JSON.stringify(a.out) === JSON.stringify(b.out);
      if (!same)
        throw new Error(`${champion}: the pooled forecasts differ from the in-process ones`);
      const fmt = (r: typeof a) =>
        `${(r.ms / 1000).toFixed(1)} s wall, ${r.cpuS.toFixed(1)} s CPU (${(r.cpuS / (r.ms / 1000)).toFixed(2)} cores), load ${r.loadBefore} ${r.ms <= 60_000 ? 'PASS' : 'FAIL'}`;
      rows.push(
        [`${champion}: ${SKUS} SKUs × ${H} d, in-process`, fmt(a)],
        [`${champion}: ${SKUS} SKUs × ${H} d, ${WORKERS} workers`, fmt(b)],
        [
          `${champion}: speed-up, identical forecasts`,
          `×${(a.ms / b.ms).toFixed(2)}, ${same ? 'yes' : 'no'}`,
        ],
      );
    }
  } finally {
    await pool.close();
  }
  rows.push(
    ['load average at the end (1 / 5 / 15 min)', load()],
    ['peak RSS (maxRSS)', mib(process.resourceUsage().maxRSS * 1024)],
  );
  printTable('demand forecaster: per-SKU fits in-process vs worker pool', rows);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
