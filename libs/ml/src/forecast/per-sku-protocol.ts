// The messages between PerSkuWorkerPool (per-sku-pool.ts) and its worker threads
// (per-sku.worker.ts): a batch of per-SKU fit jobs in, the forecasts packed into one transferred
// Float64Array out (job by job, method by method: mean, p10, p50, p90 of `horizon` values each), or
// the failing SKU and method with the model's error.
import type { MessagePort } from 'node:worker_threads';
import {
  PerSkuFitError,
  fitPerSku,
  isPerSkuMethod,
  type PerSkuFitJob,
  type PerSkuFitSettings,
  type PerSkuMethod,
} from './per-sku-fit';
import type { Forecast } from './types';

export interface PerSkuWorkerRequest {
  id: number;
  settings: PerSkuFitSettings;
  jobs: PerSkuFitJob[];
}

export type PerSkuWorkerReply =
  | { id: number; ok: true; out: Float64Array }
  | {
      id: number;
      ok: false;
      sku: string;
      method: PerSkuMethod | null;
      message: string;
      errorName: string;
      stack: string;
    };

const KEYS = ['mean', 'p10', 'p50', 'p90'] as const;

/** Values in a batch's packed reply. */
export function packedLength(jobs: readonly PerSkuFitJob[], horizon: number): number {
  let methods = 0;
  for (const j of jobs) methods += j.methods.length;
  return methods * KEYS.length * horizon;
}

/** Appends one job's forecasts at `offset`; returns the next offset. */
export function packForecasts(
  out: Float64Array,
  offset: number,
  fcs: Forecast[],
  horizon: number,
): number {
  let o = offset;
  for (const fc of fcs)
    for (const k of KEYS) {
      if (fc[k].length !== horizon)
        throw new Error(`per-SKU fit: ${k} has ${fc[k].length} values, expected ${horizon}`);
      out.set(fc[k], o);
      o += horizon;
    }
  return o;
}

/** The forecasts of a batch's jobs from its packed reply (copies, independent of the buffer). */
export function unpackForecasts(
  out: Float64Array,
  jobs: readonly PerSkuFitJob[],
  horizon: number,
): Forecast[][] {
  const expect = packedLength(jobs, horizon);
  if (out.length !== expect)
    throw new Error(`per-SKU worker reply has ${out.length} values, expected ${expect}`);
  let o = 0;
  return jobs.map((j) =>
    j.methods.map(() => {
      const take = () => {
        const a = out.slice(o, o + horizon);
        o += horizon;
        return a;
      };
      return { mean: take(), p10: take(), p50: take(), p90: take() };
    }),
  );
}

export function isPerSkuWorkerReply(v: unknown): v is PerSkuWorkerReply {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  if (typeof r.id !== 'number') return false;
  if (r.ok === true) return r.out instanceof Float64Array;
  return (
    r.ok === false &&
    typeof r.sku === 'string' &&
    (r.method === null || (typeof r.method === 'string' && isPerSkuMethod(r.method))) &&
    typeof r.message === 'string'
  );
}

/**
 * A worker's side: fits every request's jobs in order with fitPerSku and replies once per request.
 * `beforeJob` is a test seam (a worker that crashes on a given SKU).
 */
export function servePerSkuFits(
  port: MessagePort,
  beforeJob: (job: PerSkuFitJob) => void = () => undefined,
): void {
  port.on('message', (req: PerSkuWorkerRequest) => {
    const h = req.settings.horizon;
    const out = new Float64Array(packedLength(req.jobs, h));
    let o = 0;
    for (const job of req.jobs) {
      beforeJob(job);
      try {
        o = packForecasts(out, o, fitPerSku(job, req.settings), h);
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e));
        const reply: PerSkuWorkerReply = {
          id: req.id,
          ok: false,
          sku: job.sku,
          method: e instanceof PerSkuFitError ? e.method : null,
          // the model's own message (PerSkuFitError's cause), the pool names the SKU again
          message:
            e instanceof PerSkuFitError && e.cause instanceof Error ? e.cause.message : err.message,
          errorName:
            e instanceof PerSkuFitError && e.cause instanceof Error ? e.cause.name : err.name,
          stack: err.stack ?? '',
        };
        port.postMessage(reply);
        return;
      }
    }
    const reply: PerSkuWorkerReply = { id: req.id, ok: true, out };
    port.postMessage(reply, [out.buffer]);
  });
}
