// Live AUC pooled over a window: the labelled live samples of one model version (each resolution of
// MaturedLabelMonitor, persisted per sample by the scorer) whose prediction time lies in the windowMs
// up to the newest one, at most maxSamples of the newest, and their weighted ROC AUC. One resolution
// alone labels only the samples that matured since the previous one; the pool reaches the labels a
// drift rule needs in steady traffic. Pure: the ClickHouse read is LiveSamplesStore.

import { rocAuc } from './binary-metrics';

/** One labelled live sample (LabelledSample of matured-labels, as stored). */
export interface PoolSample {
  userId: string;
  /** Prediction time (epoch ms). */
  tMs: number;
  score: number;
  label: 0 | 1;
  /** Horvitz–Thompson weight (>= 1). */
  weight: number;
}

export interface LivePoolOptions {
  /** Samples with tMs in (newest tMs − windowMs, newest tMs]. */
  windowMs: number;
  /** At most this many samples, the newest (tMs descending, then userId, then score ascending). */
  maxSamples: number;
}

export interface PooledLiveAuc {
  /** Weighted ROC AUC (rocAuc); NaN when the pool has a single class. */
  auc: number;
  n: number;
  positives: number;
  negatives: number;
  weightSum: number;
  /** Prediction times of the oldest and newest pooled sample. */
  fromMs: number;
  toMs: number;
}

export class LivePoolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LivePoolError';
  }
}

export function checkLivePoolOptions(o: LivePoolOptions): void {
  if (!(o.windowMs > 0) || !Number.isFinite(o.windowMs))
    throw new LivePoolError(
      `live AUC pool: windowMs = ${o.windowMs}, expected a finite number > 0`,
    );
  if (!Number.isInteger(o.maxSamples) || o.maxSamples < 1)
    throw new LivePoolError(
      `live AUC pool: maxSamples = ${o.maxSamples}, expected an integer >= 1`,
    );
}

/** Throws LivePoolError naming the first bad sample and field. */
export function checkPoolSamples(samples: readonly PoolSample[]): void {
  samples.forEach(checkSample);
}

function checkSample(s: PoolSample, i: number): void {
  const bad = (field: string, v: unknown, expected: string) =>
    new LivePoolError(`live AUC pool: sample ${i} ${field} = ${String(v)}, expected ${expected}`);
  if (typeof s.userId !== 'string' || s.userId === '') throw bad('userId', s.userId, 'a user id');
  if (!Number.isFinite(s.tMs)) throw bad('tMs', s.tMs, 'a finite epoch ms');
  if (!(s.score >= 0 && s.score <= 1)) throw bad('score', s.score, 'a probability in [0, 1]');
  if (s.label !== 0 && s.label !== 1) throw bad('label', s.label, '0 or 1');
  if (!(s.weight >= 1) || !Number.isFinite(s.weight))
    throw bad('weight', s.weight, 'a finite number >= 1');
}

/** Newest first: tMs descending, then userId, then score ascending (the store's ORDER BY). */
export function poolOrder(a: PoolSample, b: PoolSample): number {
  return (
    b.tMs - a.tMs || (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0) || a.score - b.score
  );
}

/** The pooled samples, newest first: the window up to the newest sample, then the cap. */
export function selectLivePool(
  samples: readonly PoolSample[],
  opts: LivePoolOptions,
): PoolSample[] {
  checkLivePoolOptions(opts);
  checkPoolSamples(samples);
  if (samples.length === 0) return [];
  let newest = -Infinity;
  for (const s of samples) newest = Math.max(newest, s.tMs);
  return samples
    .filter((s) => s.tMs > newest - opts.windowMs)
    .sort(poolOrder)
    .slice(0, opts.maxSamples);
}

/** The pool's weighted AUC and counts; null without samples. */
export function pooledLiveAuc(
  samples: readonly PoolSample[],
  opts: LivePoolOptions,
): PooledLiveAuc | null {
  const pool = selectLivePool(samples, opts);
  if (pool.length === 0) return null;
  const y = new Uint8Array(pool.length);
  const p = new Float64Array(pool.length);
  const w = new Float64Array(pool.length);
  let positives = 0;
  let weightSum = 0;
  pool.forEach((s, i) => {
    y[i] = s.label;
    p[i] = s.score;
    w[i] = s.weight;
    positives += s.label;
    weightSum += s.weight;
  });
  return {
    auc: rocAuc(y, p, w),
    n: pool.length,
    positives,
    negatives: pool.length - positives,
    weightSum,
    fromMs: pool[pool.length - 1].tMs,
    toMs: pool[0].tMs,
  };
}
