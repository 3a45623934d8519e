// The training-set shape the propensity models consume: a dense row-major feature matrix with named
// columns (NaN = missing), 0/1 labels and per-row sample weights, plus its validation and row slicing.

export interface LabelledSet {
  /** Row-major n x d features; NaN means missing (a null feature). */
  x: Float32Array;
  n: number;
  d: number;
  featureNames: string[];
  /** 0 | 1 per row. */
  y: Float32Array;
  /** Sample weights, e.g. 1/keep-rate of subsampled negatives; 1 when not subsampled. */
  weight: Float32Array;
}

/** Throw a precise error when the set's shapes, labels or weights are inconsistent. */
export function validateLabelledSet(set: LabelledSet, what = 'labelled set'): void {
  const { n, d } = set;
  if (!Number.isInteger(n) || n < 0) throw new Error(`${what}: n = ${n}, expected an integer >= 0`);
  if (!Number.isInteger(d) || d < 1) throw new Error(`${what}: d = ${d}, expected an integer >= 1`);
  if (set.featureNames.length !== d)
    throw new Error(`${what}: d = ${d} but ${set.featureNames.length} feature names`);
  if (new Set(set.featureNames).size !== d) {
    const dup = set.featureNames.filter((f, i) => set.featureNames.indexOf(f) !== i);
    throw new Error(`${what}: duplicate feature names ${[...new Set(dup)].join(', ')}`);
  }
  if (set.x.length !== n * d)
    throw new Error(
      `${what}: x has ${set.x.length} values, expected n x d = ${n} x ${d} = ${n * d}`,
    );
  if (set.y.length !== n)
    throw new Error(`${what}: y has ${set.y.length} values, expected n = ${n}`);
  if (set.weight.length !== n)
    throw new Error(`${what}: weight has ${set.weight.length} values, expected n = ${n}`);
  for (let i = 0; i < n; i++) {
    const yi = set.y[i];
    if (yi !== 0 && yi !== 1) throw new Error(`${what}: y[${i}] = ${String(yi)}, expected 0 or 1`);
    const wi = set.weight[i];
    if (!(wi >= 0) || !Number.isFinite(wi))
      throw new Error(`${what}: weight[${i}] = ${String(wi)}, expected a finite number >= 0`);
  }
}

/** The rows [start, end) of a set, as views (no copy). */
export function sliceRows(set: LabelledSet, start: number, end: number): LabelledSet {
  const { d } = set;
  return {
    x: set.x.subarray(start * d, end * d),
    n: end - start,
    d,
    featureNames: set.featureNames,
    y: set.y.subarray(start, end),
    weight: set.weight.subarray(start, end),
  };
}
