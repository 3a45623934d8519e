// AutoETS fit + predict over a block of equal-length series (one thread's share of the speed run).
import type { ForecastModel } from '@storepulse/ml';

export interface EtsJob {
  /** n series of `length` days each, back to back. */
  y: Float64Array;
  n: number;
  length: number;
  horizon: number;
}

/** p10, p50, p90 of every series, as n × horizon × 3 values. */
export function fitPredictEts(job: EtsJob, make: () => ForecastModel): Float64Array {
  const { n, length, horizon } = job;
  const out = new Float64Array(n * horizon * 3);
  for (let i = 0; i < n; i++) {
    const fc = make()
      .fit(job.y.subarray(i * length, (i + 1) * length))
      .predict(horizon);
    for (let j = 0; j < horizon; j++) {
      const o = (i * horizon + j) * 3;
      out[o] = fc.p10[j];
      out[o + 1] = fc.p50[j];
      out[o + 2] = fc.p90[j];
    }
  }
  return out;
}
