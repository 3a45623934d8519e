// Binary-classification metrics for probability scores: ranking (ROC AUC, average precision, lift),
// probabilistic (log loss, Brier, calibration error with a reliability table) and thresholded
// (precision, recall, F1, accuracy). All optionally weighted by per-row sample weights (e.g.
// 1/keep-rate of subsampled negatives), so metrics on a subsampled set estimate the population's.
// One O(n log n) sort by score serves every ranking metric.

/** Probabilities are clipped to [LOG_LOSS_EPS, 1 - LOG_LOSS_EPS] before taking logs. */
export const LOG_LOSS_EPS = 1e-15;

export interface ReliabilityBin {
  /** Bin bounds on the predicted probability: [lo, hi) (the last bin includes 1). */
  lo: number;
  hi: number;
  /** Rows in the bin (unweighted). */
  count: number;
  /** Sum of the rows' weights (= count without weights). */
  weight: number;
  /** Weighted mean predicted probability; null for an empty bin. */
  meanPredicted: number | null;
  /** Weighted share of positives; null for an empty bin. */
  observedRate: number | null;
}

export interface BinaryMetrics {
  /** Rows (unweighted). */
  n: number;
  /** Positive rows (unweighted). */
  positives: number;
  /** Sum of weights, and of the positives' weights (= n / positives without weights). */
  weightSum: number;
  positiveWeight: number;
  /** Weighted share of positives. */
  prevalence: number;
  /** Weighted ROC AUC (weighted pair counting, tied scores count 1/2); NaN when a class is absent. */
  rocAuc: number;
  /** Average precision: sum over distinct score thresholds of (recall step) x precision; NaN without positives. */
  prAuc: number;
  /** Weighted mean binary cross-entropy, p clipped to [1e-15, 1 - 1e-15]. */
  logLoss: number;
  /** Weighted mean squared error of p against y. */
  brier: number;
  /** Expected calibration error: sum over bins of (bin weight / total) x |meanPredicted - observedRate|. */
  ece: number;
  reliability: ReliabilityBin[];
  /** Decision threshold: predicted positive when p >= threshold. */
  threshold: number;
  /** Precision, recall, F1 at the threshold; 0 when undefined (no predicted / actual positives). */
  precision: number;
  recall: number;
  f1: number;
  accuracy: number;
  /** Positive rate among the top 10 % of weight by score, over the overall rate (boundary ties pro rata); NaN without positives. */
  topDecileLift: number;
}

export interface BinaryMetricsOptions {
  /** Non-negative finite sample weights; default 1 for every row. */
  weights?: ArrayLike<number>;
  /** Default 0.5. */
  threshold?: number;
  /** Equal-width reliability bins on [0, 1]; default 10. */
  bins?: number;
}

export interface F1Threshold {
  /** Predict positive when p >= threshold (one of the scores, so the choice is exact). */
  threshold: number;
  f1: number;
  precision: number;
  recall: number;
}

interface Checked {
  n: number;
  w: (i: number) => number;
}

function check(
  y: ArrayLike<number>,
  p: ArrayLike<number>,
  weights: ArrayLike<number> | undefined,
): Checked {
  const n = y.length;
  if (p.length !== n) throw new Error(`binary metrics: y has ${n} rows but p has ${p.length}`);
  if (weights !== undefined && weights.length !== n)
    throw new Error(`binary metrics: y has ${n} rows but weights has ${weights.length}`);
  for (let i = 0; i < n; i++) {
    const yi = y[i];
    if (yi !== 0 && yi !== 1)
      throw new Error(`binary metrics: y[${i}] = ${String(yi)}, expected 0 or 1`);
    const pi = p[i];
    if (!(pi >= 0 && pi <= 1))
      throw new Error(`binary metrics: p[${i}] = ${String(pi)}, expected a probability in [0, 1]`);
    if (weights !== undefined) {
      const wi = weights[i];
      if (!(wi >= 0) || !Number.isFinite(wi))
        throw new Error(
          `binary metrics: weights[${i}] = ${String(wi)}, expected a finite number >= 0`,
        );
    }
  }
  const w = weights === undefined ? () => 1 : (i: number) => weights[i];
  return { n, w };
}

/** Rows sorted by descending score: scores, labels and weights (null = all 1) in that order. */
interface SortedRows {
  score: Float64Array;
  label: Uint8Array;
  weight: Float64Array | null;
}

/**
 * Sort rows by descending score. Scores are probabilities (>= 0), whose IEEE-754 bit patterns order
 * like unsigned integers, so an LSD radix sort on four 16-bit digits does it in O(n) (a comparator
 * sort of 1e6 indices takes most of a second). Labels and weights travel with the keys, so every pass
 * and the later group walk read memory sequentially. Passes whose digit is constant are skipped.
 */
function sortByScoreDesc(
  y: ArrayLike<number>,
  p: ArrayLike<number>,
  weights: ArrayLike<number> | undefined,
): SortedRows {
  const n = y.length;
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = p[i] + 0; // -0 -> +0
  const words = new Uint32Array(keys.buffer); // little-endian: [lo, hi] per key
  let lo = new Uint32Array(n);
  let hi = new Uint32Array(n);
  let label = new Uint8Array(n);
  let weight = weights === undefined ? null : new Float64Array(n);
  for (let i = 0; i < n; i++) {
    lo[i] = words[2 * i];
    hi[i] = words[2 * i + 1];
    label[i] = y[i];
    if (weight !== null && weights !== undefined) weight[i] = weights[i];
  }
  let tLo = new Uint32Array(n);
  let tHi = new Uint32Array(n);
  let tLabel = new Uint8Array(n);
  let tWeight = weight === null ? null : new Float64Array(n);
  const count = new Uint32Array(65536);
  for (let pass = 0; pass < 4; pass++) {
    const src = pass < 2 ? lo : hi;
    const shift = pass % 2 === 0 ? 0 : 16;
    count.fill(0);
    for (let i = 0; i < n; i++) {
      const digit = (src[i] >>> shift) & 0xffff;
      count[digit] = count[digit] + 1;
    }
    let constant = false;
    for (let d = 0; d < 65536; d++) {
      if (count[d] === n) constant = true;
      if (count[d] > 0) break;
    }
    if (constant || n === 0) continue;
    // descending and stable: offsets from the largest digit down
    let offset = 0;
    for (let d = 65535; d >= 0; d--) {
      const c = count[d];
      count[d] = offset;
      offset += c;
    }
    for (let k = 0; k < n; k++) {
      const digit = (src[k] >>> shift) & 0xffff;
      const at = count[digit];
      count[digit] = at + 1;
      tLo[at] = lo[k];
      tHi[at] = hi[k];
      tLabel[at] = label[k];
      if (tWeight !== null && weight !== null) tWeight[at] = weight[k];
    }
    [lo, tLo] = [tLo, lo];
    [hi, tHi] = [tHi, hi];
    [label, tLabel] = [tLabel, label];
    [weight, tWeight] = [tWeight, weight];
  }
  for (let i = 0; i < n; i++) {
    words[2 * i] = lo[i];
    words[2 * i + 1] = hi[i];
  }
  return { score: keys, label, weight };
}

/** Groups of tied scores in descending score order: score, positive weight, negative weight. */
interface TieGroups {
  count: number;
  score: Float64Array;
  pos: Float64Array;
  neg: Float64Array;
}

function tieGroups(
  y: ArrayLike<number>,
  p: ArrayLike<number>,
  weights: ArrayLike<number> | undefined,
): TieGroups {
  const { score: sorted, label, weight } = sortByScoreDesc(y, p, weights);
  const n = sorted.length;
  const score = new Float64Array(n);
  const pos = new Float64Array(n);
  const neg = new Float64Array(n);
  let g = -1;
  let last = NaN;
  for (let k = 0; k < n; k++) {
    const s = sorted[k];
    if (s !== last) {
      g++;
      score[g] = s;
      last = s;
    }
    const wk = weight === null ? 1 : weight[k];
    if (label[k] === 1) pos[g] = pos[g] + wk;
    else neg[g] = neg[g] + wk;
  }
  return { count: g + 1, score, pos, neg };
}

function aucFromGroups(t: TieGroups, P: number, N: number): number {
  if (P <= 0 || N <= 0) return NaN;
  // walk from the lowest score up: each positive beats every negative strictly below it, ties 1/2
  let negBelow = 0;
  let sum = 0;
  for (let g = t.count - 1; g >= 0; g--) {
    const neg = t.neg[g];
    sum += t.pos[g] * (negBelow + 0.5 * neg);
    negBelow += neg;
  }
  return sum / (P * N);
}

function apFromGroups(t: TieGroups, P: number): number {
  if (P <= 0) return NaN;
  let tp = 0;
  let fp = 0;
  let ap = 0;
  for (let g = 0; g < t.count; g++) {
    const pos = t.pos[g];
    tp += pos;
    fp += t.neg[g];
    if (pos > 0) ap += (pos / P) * (tp / (tp + fp));
  }
  return ap;
}

function liftFromGroups(t: TieGroups, W: number, P: number): number {
  if (P <= 0 || W <= 0) return NaN;
  const target = 0.1 * W;
  let taken = 0;
  let takenPos = 0;
  for (let g = 0; g < t.count; g++) {
    const pos = t.pos[g];
    const gw = pos + t.neg[g];
    if (gw <= 0) continue;
    const room = target - taken;
    if (room <= 0) break;
    const f = Math.min(1, room / gw);
    taken += f * gw;
    takenPos += f * pos;
  }
  return taken > 0 ? takenPos / taken / (P / W) : NaN;
}

/** Weighted ROC AUC alone (ties count 1/2); NaN when a class is absent. */
export function rocAuc(
  y: ArrayLike<number>,
  p: ArrayLike<number>,
  weights?: ArrayLike<number>,
): number {
  check(y, p, weights);
  const groups = tieGroups(y, p, weights);
  let P = 0;
  let N = 0;
  for (let g = 0; g < groups.count; g++) {
    P += groups.pos[g];
    N += groups.neg[g];
  }
  return aucFromGroups(groups, P, N);
}

/** Weighted mean log loss alone, p clipped to [1e-15, 1 - 1e-15]. */
export function logLoss(
  y: ArrayLike<number>,
  p: ArrayLike<number>,
  weights?: ArrayLike<number>,
): number {
  const { n, w } = check(y, p, weights);
  let sum = 0;
  let W = 0;
  for (let i = 0; i < n; i++) {
    const wi = w(i);
    const pi = Math.min(1 - LOG_LOSS_EPS, Math.max(LOG_LOSS_EPS, p[i]));
    sum -= wi * (y[i] === 1 ? Math.log(pi) : Math.log(1 - pi));
    W += wi;
  }
  return W > 0 ? sum / W : NaN;
}

/** Every metric in one pass over the data plus one sort. */
export function binaryMetrics(
  y: ArrayLike<number>,
  p: ArrayLike<number>,
  opts: BinaryMetricsOptions = {},
): BinaryMetrics {
  const threshold = opts.threshold ?? 0.5;
  const bins = opts.bins ?? 10;
  if (!Number.isInteger(bins) || bins < 1)
    throw new Error(`binary metrics: bins = ${bins}, expected an integer >= 1`);
  if (!Number.isFinite(threshold))
    throw new Error(`binary metrics: threshold = ${threshold}, expected a finite number`);
  const { n, w } = check(y, p, opts.weights);

  let W = 0;
  let P = 0;
  let positives = 0;
  let ll = 0;
  let brier = 0;
  let tp = 0;
  let fp = 0;
  let tn = 0;
  const binCount = new Array<number>(bins).fill(0);
  const binW = new Array<number>(bins).fill(0);
  const binP = new Array<number>(bins).fill(0);
  const binY = new Array<number>(bins).fill(0);
  for (let i = 0; i < n; i++) {
    const wi = w(i);
    const yi = y[i];
    const pi = p[i];
    W += wi;
    if (yi === 1) {
      P += wi;
      positives++;
    }
    const pc = Math.min(1 - LOG_LOSS_EPS, Math.max(LOG_LOSS_EPS, pi));
    ll -= wi * (yi === 1 ? Math.log(pc) : Math.log(1 - pc));
    brier += wi * (pi - yi) * (pi - yi);
    const predicted = pi >= threshold;
    if (predicted && yi === 1) tp += wi;
    else if (predicted) fp += wi;
    else if (yi === 0) tn += wi;
    const b = Math.min(bins - 1, Math.floor(pi * bins));
    binCount[b] = binCount[b] + 1;
    binW[b] = binW[b] + wi;
    binP[b] = binP[b] + wi * pi;
    binY[b] = binY[b] + wi * yi;
  }
  const reliability: ReliabilityBin[] = [];
  let ece = 0;
  for (let b = 0; b < bins; b++) {
    const bw = binW[b];
    const meanPredicted = bw > 0 ? binP[b] / bw : null;
    const observedRate = bw > 0 ? binY[b] / bw : null;
    if (meanPredicted !== null && observedRate !== null && W > 0)
      ece += (bw / W) * Math.abs(meanPredicted - observedRate);
    reliability.push({
      lo: b / bins,
      hi: (b + 1) / bins,
      count: binCount[b],
      weight: bw,
      meanPredicted,
      observedRate,
    });
  }
  const groups = tieGroups(y, p, opts.weights);
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  const recall = P > 0 ? tp / P : 0;
  return {
    n,
    positives,
    weightSum: W,
    positiveWeight: P,
    prevalence: W > 0 ? P / W : NaN,
    rocAuc: aucFromGroups(groups, P, W - P),
    prAuc: apFromGroups(groups, P),
    logLoss: W > 0 ? ll / W : NaN,
    brier: W > 0 ? brier / W : NaN,
    ece: W > 0 ? ece : NaN,
    reliability,
    threshold,
    precision,
    recall,
    f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0,
    accuracy: W > 0 ? (tp + tn) / W : NaN,
    topDecileLift: liftFromGroups(groups, W, P),
  };
}

/**
 * The threshold with the best (weighted) F1, chosen among the distinct scores (predict positive when
 * p >= threshold); on equal F1 the higher threshold wins. Pick it on a validation split, not on test.
 */
export function bestF1Threshold(
  y: ArrayLike<number>,
  p: ArrayLike<number>,
  weights?: ArrayLike<number>,
): F1Threshold {
  check(y, p, weights);
  const groups = tieGroups(y, p, weights);
  let P = 0;
  for (let g = 0; g < groups.count; g++) P += groups.pos[g];
  if (P <= 0)
    throw new Error('bestF1Threshold: no positive rows (with weight > 0), F1 is undefined');
  let tp = 0;
  let fp = 0;
  let best: F1Threshold = { threshold: 1, f1: 0, precision: 0, recall: 0 };
  for (let g = 0; g < groups.count; g++) {
    tp += groups.pos[g];
    fp += groups.neg[g];
    const f1 = (2 * tp) / (tp + fp + P);
    if (f1 > best.f1)
      best = {
        threshold: groups.score[g],
        f1,
        precision: tp / (tp + fp),
        recall: tp / P,
      };
  }
  return best;
}
