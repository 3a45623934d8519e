// The per-SKU statistical fits of the live demand forecaster (seasonal naive, AutoETS or the ETS
// structure the trainer stored, Croston, TSB), as a pure function of one SKU's history, and the
// PerSkuFitter port that runs a batch of them: in this thread (InProcessPerSkuFitter) or on a
// worker_threads pool (PerSkuWorkerPool, per-sku-pool.ts). Both run the same fitPerSku, so their
// results are identical. No TensorFlow here: the workers load only this module's imports.
import { AutoEts } from './auto-ets';
import { Croston } from './croston';
import { Ets, EtsFitError } from './ets';
import type { EtsSeason, EtsTrend } from './ets-core';
import { SeasonalNaive } from './seasonal-naive';
import { Tsb } from './tsb';
import { ForecastInputError, type Forecast, type ForecastModel } from './types';

/** The demand methods fitted per SKU (the others, global and ensemble, are not per-SKU models). */
export const PER_SKU_METHODS = ['seasonal_naive', 'auto_ets', 'croston', 'tsb'] as const;
export type PerSkuMethod = (typeof PER_SKU_METHODS)[number];

export function isPerSkuMethod(m: string): m is PerSkuMethod {
  return (PER_SKU_METHODS as readonly string[]).includes(m);
}

const TRENDS: readonly EtsTrend[] = ['N', 'A', 'Ad'];
const SEASONS: readonly EtsSeason[] = ['N', 'A', 'M'];
/** The stored form of an ETS structure: "trend,season", e.g. "Ad,M". */
export const etsKey = (s: { trend: EtsTrend; season: EtsSeason }) => `${s.trend},${s.season}`;
export function parseEtsKey(k: string): { trend: EtsTrend; season: EtsSeason } | null {
  const [t, s] = k.split(',');
  const trend = TRENDS.find((x) => x === t);
  const season = SEASONS.find((x) => x === s);
  return trend && season ? { trend, season } : null;
}

/** Factories of the per-SKU models with the trainer's settings (backtest and forecaster alike). */
export const PER_SKU_MODELS: Record<PerSkuMethod, (seasonLength: number) => ForecastModel> = {
  seasonal_naive: (m) => new SeasonalNaive(m),
  auto_ets: (m) => new AutoEts({ seasonLength: m }),
  croston: () => new Croston(),
  tsb: () => new Tsb(),
};

/** One SKU's fits: its history (oldest first) and the methods to forecast it with. */
export interface PerSkuFitJob {
  sku: string;
  y: Float64Array;
  methods: PerSkuMethod[];
  /** The ETS structure the trainer chose for this SKU ("trend,season"); auto_ets refits only it. */
  ets?: string;
}

export interface PerSkuFitSettings {
  seasonLength: number;
  horizon: number;
}

/** Fits done so far in one fit() call, and how many there are in all. */
export type PerSkuFitProgress = (done: number, total: number) => void;

/** A per-SKU fit failed: names the SKU and the method; `cause` is the model's own error. */
export class PerSkuFitError extends Error {
  constructor(
    readonly sku: string,
    readonly method: PerSkuMethod | null,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`demand forecaster: SKU '${sku}'${method ? ` (${method})` : ''}: ${detail}`, options);
    this.name = 'PerSkuFitError';
  }
}

/**
 * One forecast per method of the job, in the job's order. auto_ets with a stored structure refits
 * that structure's parameters only; when the structure no longer fits the history (e.g. a zero
 * under a multiplicative season), or without one, it runs the full AutoETS selection.
 * Throws PerSkuFitError (SKU and method named) when a model rejects the history.
 */
export function fitPerSku(job: PerSkuFitJob, s: PerSkuFitSettings): Forecast[] {
  return job.methods.map((method) => {
    try {
      if (method === 'auto_ets' && job.ets !== undefined) {
        const spec = parseEtsKey(job.ets);
        if (spec) {
          try {
            return new Ets({ ...spec, seasonLength: s.seasonLength }).fit(job.y).predict(s.horizon);
          } catch (e) {
            if (!(e instanceof ForecastInputError || e instanceof EtsFitError)) throw e;
          }
        }
      }
      return PER_SKU_MODELS[method](s.seasonLength)
        .fit(job.y, { seasonLength: s.seasonLength })
        .predict(s.horizon);
    } catch (e) {
      throw new PerSkuFitError(job.sku, method, e instanceof Error ? e.message : String(e), {
        cause: e,
      });
    }
  });
}

/** Runs a batch of per-SKU fits. Results are in job order, one Forecast per method of each job. */
export interface PerSkuFitter {
  /** Threads the fits run on (1 = the caller's thread). */
  readonly threads: number;
  /** Rejects with PerSkuFitError (the failing SKU named) when any fit fails. */
  fit(
    jobs: readonly PerSkuFitJob[],
    settings: PerSkuFitSettings,
    onProgress?: PerSkuFitProgress,
  ): Promise<Forecast[][]>;
  /** Releases the threads; later fit() calls reject. */
  close(): Promise<void>;
}

/** The fits in the calling thread, in order (the pool's reference, and the size-1 pool). */
export class InProcessPerSkuFitter implements PerSkuFitter {
  readonly threads = 1;
  private closed = false;

  /** @param progressEvery report progress after every this many jobs (default 100) */
  constructor(private readonly progressEvery = 100) {}

  fit(
    jobs: readonly PerSkuFitJob[],
    settings: PerSkuFitSettings,
    onProgress?: PerSkuFitProgress,
  ): Promise<Forecast[][]> {
    if (this.closed) return Promise.reject(new Error('the in-process per-SKU fitter is closed'));
    try {
      const out: Forecast[][] = [];
      for (const job of jobs) {
        out.push(fitPerSku(job, settings));
        if (onProgress && (out.length % this.progressEvery === 0 || out.length === jobs.length))
          onProgress(out.length, jobs.length);
      }
      return Promise.resolve(out);
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}
