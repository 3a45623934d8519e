// Live AUC of a propensity model once its labels mature: a bounded, seeded sample of the live
// predictions (userId, t, score), the ones whose horizon has passed the data watermark, their labels
// from the users' order times (the training rule: ≥ 1 order in [t, t + H)), and their weighted AUC.
//
// Sampling is priority (bottom-k) sampling with a threshold τ: each prediction draws u ~ U[0, 1) and
// is kept while u < τ; when more than `capacity` are held, the one with the largest u is dropped and
// τ falls to its u. A held sample's inclusion probability is the lowest τ since it was recorded, so it
// carries the Horvitz–Thompson weight 1/that. After resolve() frees room, τ rises back to 1 for new
// predictions (the held ones keep their own lower probabilities).

import { seededRandom } from '../models';
import { rocAuc } from './binary-metrics';

/** Order times (epoch ms) per user id, for orders in [fromMs, toMs); users without orders may be absent. */
export type OrderTimesPort = (
  userIds: readonly string[],
  fromMs: number,
  toMs: number,
) => Promise<Map<string, number[]>>;

export interface MaturedSample {
  userId: string;
  tMs: number;
  score: number;
  /** 1 / inclusion probability of the sample (>= 1); the AUC is weighted by it. */
  weight: number;
}

/** A matured sample with its label (1: ≥ 1 order in [tMs, tMs + H)). */
export interface LabelledSample extends MaturedSample {
  label: 0 | 1;
}

export interface MaturedAuc {
  /** Weighted ROC AUC of the matured samples (rocAuc of binary-metrics); NaN when a class is absent. */
  auc: number;
  /** Samples labelled (unweighted). */
  n: number;
  positives: number;
  /** Sum of the samples' weights: an estimate of the predictions they stand for. */
  weightSum: number;
  watermarkMs: number;
}

export interface MaturedLabelMonitorOptions {
  /** Samples held at most; default 10,000. */
  capacity?: number;
  /** Seed of the sampling stream; default 1. */
  seed?: number;
}

interface Held {
  userId: string;
  tMs: number;
  score: number;
  u: number;
  /** Inclusion probability materialised at the last τ raise (effective: min(rate, τ)). */
  rate: number;
}

/** Label rule shared with training: 1 when some order time o has t ≤ o < t + horizon. */
export function labelSamples(
  samples: readonly { userId: string; tMs: number }[],
  orderTimes: ReadonlyMap<string, readonly number[]>,
  horizonMs: number,
): Uint8Array {
  const y = new Uint8Array(samples.length);
  samples.forEach((s, i) => {
    const times = orderTimes.get(s.userId);
    if (times === undefined) return;
    for (const o of times) {
      if (o >= s.tMs && o < s.tMs + horizonMs) {
        y[i] = 1;
        return;
      }
    }
  });
  return y;
}

export class MaturedLabelMonitor {
  readonly horizonMs: number;
  readonly capacity: number;
  private readonly rnd: () => number;
  /** Max-heap on u. */
  private heap: Held[] = [];
  private tau = 1;
  private recordedCount = 0;
  private resolving = false;

  constructor(horizonMs: number, opts: MaturedLabelMonitorOptions = {}) {
    if (!(horizonMs > 0) || !Number.isFinite(horizonMs))
      throw new Error(
        `MaturedLabelMonitor: horizonMs = ${horizonMs}, expected a finite number > 0`,
      );
    const capacity = opts.capacity ?? 10_000;
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error(`MaturedLabelMonitor: capacity = ${capacity}, expected an integer >= 1`);
    this.horizonMs = horizonMs;
    this.capacity = capacity;
    this.rnd = seededRandom(opts.seed ?? 1);
  }

  /** Offer one live prediction (score in [0, 1] made for userId at tMs). O(log capacity). */
  record(userId: string, tMs: number, score: number): void {
    if (typeof userId !== 'string' || userId === '')
      throw new Error('MaturedLabelMonitor.record: userId must be a non-empty string');
    if (!Number.isFinite(tMs))
      throw new Error(`MaturedLabelMonitor.record: tMs = ${tMs}, expected a finite epoch ms`);
    if (!(score >= 0 && score <= 1))
      throw new Error(
        `MaturedLabelMonitor.record: score = ${score}, expected a probability in [0, 1]`,
      );
    this.recordedCount++;
    const u = this.rnd();
    if (u >= this.tau) return;
    this.push({ userId, tMs, score, u, rate: this.tau });
    if (this.heap.length > this.capacity) this.tau = this.pop().u;
  }

  /** Samples held now (<= capacity). */
  size(): number {
    return this.heap.length;
  }

  /** Predictions offered to record() since construction. */
  recorded(): number {
    return this.recordedCount;
  }

  /** The held samples whose label is complete (tMs + horizon ≤ watermark), by tMs; does not remove them. */
  due(watermarkMs: number): MaturedSample[] {
    return this.dueHeld(watermarkMs).map((h) => this.sample(h));
  }

  private dueHeld(watermarkMs: number): Held[] {
    if (!Number.isFinite(watermarkMs))
      throw new Error(
        `MaturedLabelMonitor: watermarkMs = ${watermarkMs}, expected a finite epoch ms`,
      );
    return this.heap
      .filter((h) => h.tMs + this.horizonMs <= watermarkMs)
      .sort((a, b) => a.tMs - b.tMs || (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
  }

  private sample(h: Held): MaturedSample {
    return { userId: h.userId, tMs: h.tMs, score: h.score, weight: 1 / Math.min(h.rate, this.tau) };
  }

  /**
   * Label the due samples from the users' order times in [min t, max t + H), compute their weighted
   * AUC, and drop them (the samples due when it was called; ones evicted meanwhile still count). The port is not called when nothing is due. If it rejects, the error
   * propagates and the samples stay held. One resolve at a time.
   */
  async resolve(watermarkMs: number, orderTimes: OrderTimesPort): Promise<MaturedAuc> {
    return (await this.resolveLabelled(watermarkMs, orderTimes)).auc;
  }

  /**
   * {@link resolve}, also returning the labelled samples (by tMs): what the scorer persists per
   * sample so the trainer can pool them over a window (pooledLiveAuc).
   */
  async resolveLabelled(
    watermarkMs: number,
    orderTimes: OrderTimesPort,
  ): Promise<{ auc: MaturedAuc; samples: LabelledSample[] }> {
    if (this.resolving)
      throw new Error('MaturedLabelMonitor.resolve: a resolve is already running');
    const held = this.dueHeld(watermarkMs);
    const samples = held.map((h) => this.sample(h));
    if (samples.length === 0)
      return { auc: { auc: NaN, n: 0, positives: 0, weightSum: 0, watermarkMs }, samples: [] };
    this.resolving = true;
    let times: Map<string, number[]>;
    try {
      const users = [...new Set(samples.map((s) => s.userId))].sort();
      let from = Infinity;
      let to = -Infinity;
      for (const s of samples) {
        from = Math.min(from, s.tMs);
        to = Math.max(to, s.tMs + this.horizonMs);
      }
      times = await orderTimes(users, from, to);
    } finally {
      this.resolving = false;
    }
    this.remove(new Set(held));
    const y = labelSamples(samples, times, this.horizonMs);
    return {
      auc: maturedAuc(samples, y, watermarkMs),
      samples: samples.map((s, i) => ({ ...s, label: y[i] === 1 ? 1 : 0 })),
    };
  }

  /** Drop these samples (those still held); the rest keep their inclusion probability, τ returns to 1. */
  private remove(drop: ReadonlySet<Held>): void {
    const keep = this.heap.filter((h) => !drop.has(h));
    for (const h of keep) h.rate = Math.min(h.rate, this.tau);
    this.heap = [];
    for (const h of keep) this.push(h);
    this.tau = 1;
  }

  private push(h: Held): void {
    const a = this.heap;
    a.push(h);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p].u >= a[i].u) break;
      [a[p], a[i]] = [a[i], a[p]];
      i = p;
    }
  }

  private pop(): Held {
    const a = this.heap;
    const top = a[0];
    const last = a.pop();
    if (last !== undefined && a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l].u > a[m].u) m = l;
        if (r < a.length && a[r].u > a[m].u) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}

/** Weighted AUC of labelled samples (labels in the samples' order). */
export function maturedAuc(
  samples: readonly MaturedSample[],
  y: ArrayLike<number>,
  watermarkMs: number,
): MaturedAuc {
  if (y.length !== samples.length)
    throw new Error(`maturedAuc: ${samples.length} samples but ${y.length} labels`);
  const n = samples.length;
  const p = new Float64Array(n);
  const w = new Float64Array(n);
  let positives = 0;
  let weightSum = 0;
  for (let i = 0; i < n; i++) {
    p[i] = samples[i].score;
    w[i] = samples[i].weight;
    weightSum += w[i];
    if (y[i] === 1) positives++;
  }
  return { auc: n === 0 ? NaN : rocAuc(y, p, w), n, positives, weightSum, watermarkMs };
}
