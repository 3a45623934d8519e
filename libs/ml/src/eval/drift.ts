// Feature drift for live models: a per-feature reference distribution taken from the training matrix
// (quantile bins plus a missing bin), a cheap windowed live histogram fed by the scorer, the
// population stability index (PSI) between the two, its usual status bands, and the pure retraining
// trigger combining PSI with the matured-label AUC. Definitions and thresholds: DRIFT.md.

/** Model-io metadata key under which a model carries its training FeatureProfile (JSON). */
export const FEATURE_PROFILE_METADATA_KEY = 'feature_profile';

/** Proportions below this are raised to it before PSI's log ratio (empty bins, either side). */
export const PSI_EPSILON = 1e-4;
/** PSI below this: stable. */
export const PSI_MODERATE = 0.1;
/** PSI above this: significant (the moderate band is [0.1, 0.25]). */
export const PSI_SIGNIFICANT = 0.25;
/** Bin indices are stored in bytes elsewhere; 250 finite bins is far beyond any sensible profile. */
export const MAX_PROFILE_BINS = 250;
/** Cells of the live histogram's per-feature bin lookup grid (a speed hint only). */
const GRID_CELLS = 256;

export interface FeatureBins {
  name: string;
  /**
   * Ascending finite cut points between the finite bins: a value v (±Infinity included, not NaN)
   * falls in bin j = number of edges <= v, so there are edges.length + 1 finite bins. Each edge is the midpoint
   * between two consecutive distinct training values, so float32/float64 rounding of a training
   * value never moves it to another bin.
   */
  edges: number[];
  /** Training proportions per bin, the finite bins then the missing (NaN) bin last; sums to 1. */
  expected: number[];
}

/** Reference distribution of every feature; plain JSON (stored in the registry with the model). */
export interface FeatureProfile {
  features: FeatureBins[];
}

export interface ProfileOptions {
  /** Target number of finite (quantile) bins, default 10; fewer when values tie or are few. */
  bins?: number;
  /** Per-row sample weights (e.g. 1/keep-rate of subsampled negatives); default 1. */
  weights?: ArrayLike<number>;
}

/** Index of the finite bin of v among ascending edges (v not NaN): the number of edges <= v. */
function finiteBin(edges: ArrayLike<number>, lo: number, hi: number, v: number): number {
  // binary search over edges[lo, hi): first index whose edge is > v
  let a = lo;
  let b = hi;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (edges[m] <= v) a = m + 1;
    else b = m;
  }
  return a - lo;
}

/**
 * Quantile edges of one column's finite values (sorted ascending, with weights in the same order):
 * one bin per distinct value when there are at most `bins` of them, otherwise cut points just above
 * the weighted j/bins quantiles (ties collapse, so heavy point masses give fewer bins).
 */
function columnEdges(values: Float64Array, w: Float64Array, bins: number): number[] {
  const m = values.length;
  const distinct: number[] = [];
  for (let i = 0; i < m; i++) if (i === 0 || values[i] !== values[i - 1]) distinct.push(values[i]);
  if (distinct.length <= 1) return [];
  if (distinct.length <= bins) {
    const edges: number[] = [];
    for (let k = 1; k < distinct.length; k++) edges.push(mid(distinct[k - 1], distinct[k]));
    return edges;
  }
  let total = 0;
  for (let i = 0; i < m; i++) total += w[i];
  const edges: number[] = [];
  let cum = 0;
  let j = 1;
  for (let i = 0; i < m && j < bins; i++) {
    cum += w[i];
    if (cum < (j / bins) * total) continue;
    // values[i] is the weighted j/bins quantile (and maybe of the next few j): the cut goes just above
    // its last occurrence, so values <= the quantile value stay in the lower bin
    const v = values[i];
    let last = i;
    while (last + 1 < m && values[last + 1] === v) last++;
    if (last + 1 < m) {
      const e = mid(v, values[last + 1]);
      if (edges.length === 0 || e > edges[edges.length - 1]) edges.push(e);
    }
    while (j < bins && cum >= (j / bins) * total) j++;
  }
  return edges;
}

/** A cut point c with a < c <= b (a < b): their midpoint; ±Infinity get the largest finite double. */
function mid(a: number, b: number): number {
  if (a === -Infinity) return b === Infinity ? 0 : -Number.MAX_VALUE;
  if (b === Infinity) return Number.MAX_VALUE;
  const m = a + (b - a) / 2;
  return m > a && m <= b ? m : b;
}

/**
 * The reference profile of a row-major n x d training matrix (d = featureNames.length; NaN =
 * missing). Proportions are sample-weighted when weights are given. Throws on shape errors, a bad
 * weight, duplicate names, or a zero total weight.
 */
export function profileFeatures(
  x: Float32Array,
  n: number,
  featureNames: readonly string[],
  opts: ProfileOptions = {},
): FeatureProfile {
  const bins = opts.bins ?? 10;
  const d = featureNames.length;
  if (!Number.isInteger(bins) || bins < 1 || bins > MAX_PROFILE_BINS)
    throw new Error(
      `profileFeatures: bins = ${bins}, expected an integer in [1, ${MAX_PROFILE_BINS}]`,
    );
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`profileFeatures: n = ${n}, expected an integer >= 1`);
  if (d < 1) throw new Error('profileFeatures: no feature names');
  const empty = featureNames.findIndex((name) => name === '');
  if (empty >= 0) throw new Error(`profileFeatures: featureNames[${empty}] is empty`);
  checkNames(featureNames, 'profileFeatures');
  if (x.length !== n * d)
    throw new Error(
      `profileFeatures: x has ${x.length} values, expected n x d = ${n} x ${d} = ${n * d}`,
    );
  const weights = opts.weights;
  if (weights !== undefined && weights.length !== n)
    throw new Error(`profileFeatures: weights has ${weights.length} values, expected n = ${n}`);
  const w = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const wi = weights === undefined ? 1 : weights[i];
    if (!(wi >= 0) || !Number.isFinite(wi))
      throw new Error(
        `profileFeatures: weights[${i}] = ${String(wi)}, expected a finite number >= 0`,
      );
    w[i] = wi;
    total += wi;
  }
  if (!(total > 0)) throw new Error('profileFeatures: the weights sum to 0');

  const features: FeatureBins[] = [];
  // equal weights need no index sort: the column's values are sorted natively
  let uniform = true;
  for (let i = 1; i < n && uniform; i++) uniform = w[i] === w[0];
  const column = new Float64Array(n);
  const columnW = new Float64Array(n);
  for (let f = 0; f < d; f++) {
    // finite values (weight > 0) sorted ascending, with their weights
    let m = 0;
    let missing = 0;
    for (let i = 0; i < n; i++) {
      if (w[i] === 0) continue;
      const v = x[i * d + f];
      if (Number.isNaN(v)) missing += w[i];
      else {
        column[m] = v;
        columnW[m++] = w[i];
      }
    }
    let values: Float64Array;
    let vw: Float64Array;
    if (uniform) {
      values = column.slice(0, m).sort();
      vw = new Float64Array(m).fill(w[0]);
    } else {
      const idx = Array.from({ length: m }, (_, k) => k);
      idx.sort((a, b) => column[a] - column[b] || a - b);
      values = new Float64Array(m);
      vw = new Float64Array(m);
      for (let k = 0; k < m; k++) {
        values[k] = column[idx[k]];
        vw[k] = columnW[idx[k]];
      }
    }
    const edges = columnEdges(values, vw, bins);
    const mass = new Array<number>(edges.length + 2).fill(0);
    for (let k = 0; k < m; k++) {
      const b = finiteBin(edges, 0, edges.length, values[k]);
      mass[b] = mass[b] + vw[k];
    }
    mass[edges.length + 1] = missing;
    features.push({ name: featureNames[f], edges, expected: mass.map((v) => v / total) });
  }
  return { features };
}

function checkNames(names: readonly string[], what: string): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw new Error(`${what}: duplicate feature name '${name}'`);
    seen.add(name);
  }
}

/**
 * Parse and validate a profile read back from JSON (the registry): every feature needs ascending
 * finite edges and edges.length + 2 non-negative proportions summing to 1 (± 1e-6).
 */
export function parseFeatureProfile(value: unknown): FeatureProfile {
  if (
    typeof value !== 'object' ||
    value === null ||
    !Array.isArray((value as { features?: unknown }).features)
  )
    throw new Error('feature profile: expected an object with a features array');
  const raw = (value as { features: unknown[] }).features;
  const features: FeatureBins[] = raw.map((item, i) => {
    if (typeof item !== 'object' || item === null)
      throw new Error(`feature profile: features[${i}] is not an object`);
    const { name, edges, expected } = item as {
      name?: unknown;
      edges?: unknown;
      expected?: unknown;
    };
    if (typeof name !== 'string' || name === '')
      throw new Error(`feature profile: features[${i}].name must be a non-empty string`);
    if (
      !Array.isArray(edges) ||
      !edges.every((e): e is number => typeof e === 'number' && Number.isFinite(e))
    )
      throw new Error(
        `feature profile: features[${i}] (${name}).edges must be an array of finite numbers`,
      );
    for (let k = 1; k < edges.length; k++)
      if (!(edges[k] > edges[k - 1]))
        throw new Error(
          `feature profile: features[${i}] (${name}).edges[${k}] = ${edges[k]} is not above edges[${k - 1}] = ${edges[k - 1]}`,
        );
    if (edges.length + 1 > MAX_PROFILE_BINS)
      throw new Error(
        `feature profile: features[${i}] (${name}) has ${edges.length + 1} bins, at most ${MAX_PROFILE_BINS}`,
      );
    if (!Array.isArray(expected) || expected.length !== edges.length + 2)
      throw new Error(
        `feature profile: features[${i}] (${name}).expected must have edges.length + 2 = ${edges.length + 2} proportions`,
      );
    let sum = 0;
    expected.forEach((p: unknown, k) => {
      if (typeof p !== 'number' || !(p >= 0) || !Number.isFinite(p))
        throw new Error(
          `feature profile: features[${i}] (${name}).expected[${k}] = ${String(p)}, expected a proportion >= 0`,
        );
      sum += p;
    });
    if (Math.abs(sum - 1) > 1e-6)
      throw new Error(
        `feature profile: features[${i}] (${name}).expected sums to ${sum}, expected 1`,
      );
    return { name, edges: [...edges], expected: [...(expected as number[])] };
  });
  checkNames(
    features.map((f) => f.name),
    'feature profile',
  );
  return { features };
}

export interface LiveHistogramOptions {
  /**
   * Rows kept: the counts cover the last r rows added, window − window/blocks < r ≤ window (once that
   * many were added). Default Infinity: everything since construction or reset().
   */
  window?: number;
  /** The window moves in steps of window/blocks rows (must divide window); default 10. */
  blocks?: number;
  /**
   * Count one row in `every` (rows 0, every, 2·every, … of the stream across add() calls); default 1.
   * The window and rows() are in counted rows. PSI's sampling noise is about (bins − 1)/rows, so a
   * few thousand counted rows per window are plenty; see DRIFT.md for the cost per row.
   */
  every?: number;
}

export interface FeatureCounts {
  feature: string;
  /** Rows per bin in the window, the finite bins then the missing bin last (as the profile's). */
  counts: number[];
  /** Rows of this feature in the window (0 when it was absent from every add()). */
  rows: number;
}

/**
 * Live per-bin counts of the rows the scorer scores, over a sliding window of blocks. add() costs
 * one binary search over a feature's edges and one increment per value; counts() sums the blocks.
 */
export class LiveFeatureHistogram {
  readonly profile: FeatureProfile;
  readonly window: number;
  private readonly blockRows: number;
  private readonly blockCount: number;
  /**
   * Flat edges of all features, each feature's followed by a NaN sentinel (no comparison is true):
   * feature f's are edges[edgeStart[f], edgeStart[f + 1] - 1).
   */
  private readonly edges: Float64Array;
  private readonly edgeStart: Int32Array;
  /**
   * Bin lookup hint per feature: GRID_CELLS equal cells over [first edge, last edge] plus one below
   * and one above; grid[f·(GRID_CELLS + 2) + cell] is the bin of the cell's lower bound. add() starts
   * there and steps to the exact bin (both directions), so the hint never decides the result; it
   * replaces a binary search's unpredictable branches by about one predictable compare.
   */
  private readonly grid: Uint8Array;
  private readonly gridLo: Float64Array;
  private readonly gridScale: Float64Array;
  /** Offset of feature f's bins in a block's counts; the missing bin is binStart[f + 1] - 1. */
  private readonly binStart: Int32Array;
  private readonly binsTotal: number;
  /** Ring of per-block counts (binsTotal each) and the rows per block per feature. */
  private readonly blockCounts: Float64Array[];
  private readonly blockFeatureRows: Float64Array[];
  private readonly blockRowsAdded: number[];
  private current = 0;
  private readonly every: number;
  /** Incoming rows to skip before the next counted one. */
  private skip = 0;
  private readonly byName = new Map<string, number>();
  private lastNames: readonly string[] | null = null;
  private lastNamesCopy: string[] = [];
  private lastMap: Int32Array = new Int32Array(0);

  constructor(profile: FeatureProfile, opts: LiveHistogramOptions = {}) {
    this.profile = parseFeatureProfile(profile);
    const window = opts.window ?? Infinity;
    const blocks = opts.blocks ?? 10;
    if (window !== Infinity && (!Number.isInteger(window) || window < 1))
      throw new Error(
        `LiveFeatureHistogram: window = ${window}, expected an integer >= 1 or Infinity`,
      );
    if (!Number.isInteger(blocks) || blocks < 1)
      throw new Error(`LiveFeatureHistogram: blocks = ${blocks}, expected an integer >= 1`);
    if (window !== Infinity && window % blocks !== 0)
      throw new Error(
        `LiveFeatureHistogram: blocks = ${blocks} does not divide window = ${window}`,
      );
    const every = opts.every ?? 1;
    if (!Number.isInteger(every) || every < 1)
      throw new Error(`LiveFeatureHistogram: every = ${every}, expected an integer >= 1`);
    this.every = every;
    this.window = window;
    this.blockCount = window === Infinity ? 1 : blocks;
    this.blockRows = window === Infinity ? Infinity : window / blocks;
    const fs = this.profile.features;
    this.edgeStart = new Int32Array(fs.length + 1);
    this.binStart = new Int32Array(fs.length + 1);
    fs.forEach((f, i) => {
      this.edgeStart[i + 1] = this.edgeStart[i] + f.edges.length + 1;
      this.binStart[i + 1] = this.binStart[i] + f.edges.length + 2;
      this.byName.set(f.name, i);
    });
    this.edges = new Float64Array(this.edgeStart[fs.length]).fill(NaN);
    fs.forEach((f, i) => this.edges.set(f.edges, this.edgeStart[i]));
    const cells = GRID_CELLS + 2;
    this.grid = new Uint8Array(fs.length * cells);
    this.gridLo = new Float64Array(fs.length);
    this.gridScale = new Float64Array(fs.length);
    fs.forEach((f, i) => {
      const e = f.edges;
      if (e.length === 0) return;
      const lo = e[0];
      const span = e[e.length - 1] - lo;
      const scale = span > 0 && Number.isFinite(span) ? GRID_CELLS / span : 0;
      this.gridLo[i] = Number.isFinite(lo) ? lo : 0;
      this.gridScale[i] = scale;
      for (let c = 1; c < cells; c++) {
        const bound = scale > 0 ? lo + (c - 1) / scale : lo;
        this.grid[i * cells + c] = finiteBin(e, 0, e.length, bound);
      }
    });
    this.binsTotal = this.binStart[fs.length];
    this.blockCounts = [];
    this.blockFeatureRows = [];
    this.blockRowsAdded = [];
    for (let b = 0; b < this.blockCount; b++) {
      this.blockCounts.push(new Float64Array(this.binsTotal));
      this.blockFeatureRows.push(new Float64Array(fs.length));
      this.blockRowsAdded.push(0);
    }
  }

  /**
   * Count n rows of a row-major matrix whose columns are featureNames (x.length = n x names). Columns
   * are matched to the profile by name; columns unknown to the profile, and profile features absent
   * here, are ignored. NaN counts in the missing bin.
   */
  add(x: Float32Array | Float64Array, n: number, featureNames: readonly string[]): void {
    const d = featureNames.length;
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`LiveFeatureHistogram.add: n = ${n}, expected an integer >= 0`);
    if (x.length !== n * d)
      throw new Error(
        `LiveFeatureHistogram.add: x has ${x.length} values, expected n x d = ${n} x ${d} = ${n * d}`,
      );
    const map = this.columns(featureNames); // map[f] = column of profile feature f, or -1
    const fCount = map.length;
    const { edges, edgeStart, binStart, grid, gridLo, gridScale } = this;
    const cells = GRID_CELLS + 2;
    const every = this.every;
    let row = this.skip; // the first row of this batch that is counted
    while (row < n) {
      if (this.blockRowsAdded[this.current] >= this.blockRows) this.advance();
      const counts = this.blockCounts[this.current];
      const room = this.blockRows - this.blockRowsAdded[this.current];
      const take = Math.min(room, Math.ceil((n - row) / every));
      const end = row + take * every;
      // row by row (sequential reads of x), every profile feature of the row
      for (let r = row; r < end; r += every) {
        const off = r * d;
        for (let f = 0; f < fCount; f++) {
          const col = map[f];
          if (col < 0) continue;
          const v = x[off + col];
          if (v !== v) {
            counts[binStart[f + 1] - 1] += 1;
            continue;
          }
          // cell in [0, GRID_CELLS + 1]; NaN from ∞·0 truncates to cell 0, which is still exact below
          const t = Math.min(Math.max((v - gridLo[f]) * gridScale[f] + 1, 0), GRID_CELLS + 1);
          const p = edgeStart[f];
          let k = grid[f * cells + (t | 0)];
          while (edges[p + k] <= v) k++; // stops at the NaN sentinel
          while (k > 0 && edges[p + k - 1] > v) k--;
          counts[binStart[f] + k] += 1;
        }
      }
      for (let f = 0; f < fCount; f++)
        if (map[f] >= 0) this.blockFeatureRows[this.current][f] += take;
      this.blockRowsAdded[this.current] += take;
      row = end;
    }
    this.skip = row - n;
  }

  /** Counts per bin of every profile feature over the window, in profile order. */
  counts(): FeatureCounts[] {
    const total = new Float64Array(this.binsTotal);
    const rows = new Float64Array(this.profile.features.length);
    for (let b = 0; b < this.blockCount; b++) {
      const c = this.blockCounts[b];
      for (let k = 0; k < total.length; k++) total[k] += c[k];
      const fr = this.blockFeatureRows[b];
      for (let f = 0; f < rows.length; f++) rows[f] += fr[f];
    }
    return this.profile.features.map((feature, f) => ({
      feature: feature.name,
      counts: Array.from(total.subarray(this.binStart[f], this.binStart[f + 1])),
      rows: rows[f],
    }));
  }

  /** Counted rows inside the window. */
  rows(): number {
    let r = 0;
    for (const added of this.blockRowsAdded) r += added;
    return r;
  }

  /** Forget every row. */
  reset(): void {
    for (let b = 0; b < this.blockCount; b++) {
      this.blockCounts[b].fill(0);
      this.blockFeatureRows[b].fill(0);
      this.blockRowsAdded[b] = 0;
    }
    this.current = 0;
    this.skip = 0;
  }

  private advance(): void {
    this.current = (this.current + 1) % this.blockCount;
    this.blockCounts[this.current].fill(0);
    this.blockFeatureRows[this.current].fill(0);
    this.blockRowsAdded[this.current] = 0;
  }

  /** Profile feature -> column map for these names, cached for the last names array seen. */
  private columns(names: readonly string[]): Int32Array {
    if (names === this.lastNames && sameNames(names, this.lastNamesCopy)) return this.lastMap;
    checkNames(names, 'LiveFeatureHistogram.add');
    const map = new Int32Array(this.profile.features.length).fill(-1);
    names.forEach((name, col) => {
      const f = this.byName.get(name);
      if (f !== undefined) map[f] = col;
    });
    this.lastNames = names;
    this.lastNamesCopy = [...names];
    this.lastMap = map;
    return map;
  }
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export interface FeaturePsi {
  feature: string;
  psi: number;
  /** Live rows of the feature the PSI is computed on. */
  liveRows: number;
}

/** PSI of one pair of proportion vectors: Σ (a − e)·ln(a / e), each proportion floored at PSI_EPSILON. */
export function psiOf(expected: ArrayLike<number>, actual: ArrayLike<number>): number {
  if (expected.length !== actual.length)
    throw new Error(`psi: ${expected.length} expected proportions but ${actual.length} actual`);
  let s = 0;
  for (let k = 0; k < expected.length; k++) {
    const e = Math.max(expected[k], PSI_EPSILON);
    const a = Math.max(actual[k], PSI_EPSILON);
    s += (a - e) * Math.log(a / e);
  }
  return s;
}

/**
 * PSI per feature between the profile (expected) and the live window (actual), worst first (ties by
 * name). Features with no live row in the window are left out. The histogram must have been built on
 * this profile (same names and bins).
 */
export function psi(profile: FeatureProfile, live: LiveFeatureHistogram): FeaturePsi[] {
  const counts = live.counts();
  if (counts.length !== profile.features.length)
    throw new Error(
      `psi: the profile has ${profile.features.length} features but the live histogram ${counts.length}`,
    );
  const out: FeaturePsi[] = [];
  profile.features.forEach((f, i) => {
    const c = counts[i];
    if (c.feature !== f.name)
      throw new Error(
        `psi: feature ${i} is '${f.name}' in the profile but '${c.feature}' in the live histogram`,
      );
    if (c.counts.length !== f.expected.length)
      throw new Error(
        `psi: feature '${f.name}' has ${f.expected.length} bins in the profile but ${c.counts.length} live`,
      );
    if (c.rows === 0) return;
    out.push({
      feature: f.name,
      psi: psiOf(
        f.expected,
        c.counts.map((v) => v / c.rows),
      ),
      liveRows: c.rows,
    });
  });
  out.sort((a, b) => b.psi - a.psi || (a.feature < b.feature ? -1 : a.feature > b.feature ? 1 : 0));
  return out;
}

export type DriftStatus = 'stable' | 'moderate' | 'significant';

/** PSI < 0.1 stable, 0.1 ≤ PSI ≤ 0.25 moderate, PSI > 0.25 significant. */
export function driftStatus(psiValue: number): DriftStatus {
  if (!(psiValue >= 0))
    throw new Error(`driftStatus: psi = ${String(psiValue)}, expected a number >= 0`);
  if (psiValue < PSI_MODERATE) return 'stable';
  if (psiValue <= PSI_SIGNIFICANT) return 'moderate';
  return 'significant';
}

export interface DriftTriggerInput {
  /** psi() output. */
  psi: readonly FeaturePsi[];
  /** Matured-label AUC of live predictions (MaturedLabelMonitor.resolve), if any yet. */
  live?: { auc: number; n: number; positives: number } | null;
  /** The model's validation AUC at training time. */
  validationAuc?: number;
}

export interface DriftTriggerOptions {
  /** Features whose PSI counts (e.g. the model's top features by importance); default all. */
  features?: readonly string[];
  /** Retrain when a counted feature's PSI is above this; default 0.25. */
  psiThreshold?: number;
  /** A feature's PSI counts only with at least this many live rows; default 1000. */
  minLiveRows?: number;
  /** Retrain when live AUC < validation AUC − aucDrop; default 0.05. */
  aucDrop?: number;
  /** The AUC rule applies only with at least this many matured samples; default 500. */
  minAucSamples?: number;
  /** …and at least this many positives and as many negatives; default 20. */
  minAucPositives?: number;
}

export type DriftReason =
  | { kind: 'feature-psi'; feature: string; psi: number; threshold: number }
  | { kind: 'auc-drop'; liveAuc: number; validationAuc: number; drop: number; maxDrop: number };

export interface DriftDecision {
  retrain: boolean;
  /** Why (empty when retrain is false): PSI reasons worst first, then the AUC one. */
  reasons: DriftReason[];
}

/** The retraining decision (pure): any counted feature's PSI above the threshold, or a live AUC drop. */
export function driftTrigger(
  input: DriftTriggerInput,
  opts: DriftTriggerOptions = {},
): DriftDecision {
  const psiThreshold = opts.psiThreshold ?? PSI_SIGNIFICANT;
  const minLiveRows = opts.minLiveRows ?? 1000;
  const aucDrop = opts.aucDrop ?? 0.05;
  const minAucSamples = opts.minAucSamples ?? 500;
  const minAucPositives = opts.minAucPositives ?? 20;
  for (const [k, v] of Object.entries({
    psiThreshold,
    minLiveRows,
    aucDrop,
    minAucSamples,
    minAucPositives,
  }))
    if (!(v >= 0) || !Number.isFinite(v))
      throw new Error(`driftTrigger: ${k} = ${v}, expected a finite number >= 0`);
  const counted = opts.features === undefined ? null : new Set(opts.features);
  const reasons: DriftReason[] = [];
  for (const f of [...input.psi].sort((a, b) => b.psi - a.psi)) {
    if (counted !== null && !counted.has(f.feature)) continue;
    if (f.liveRows < minLiveRows) continue;
    if (f.psi > psiThreshold)
      reasons.push({
        kind: 'feature-psi',
        feature: f.feature,
        psi: f.psi,
        threshold: psiThreshold,
      });
  }
  const live = input.live;
  if (live !== undefined && live !== null && input.validationAuc !== undefined) {
    const negatives = live.n - live.positives;
    if (
      Number.isFinite(live.auc) &&
      live.n >= minAucSamples &&
      live.positives >= minAucPositives &&
      negatives >= minAucPositives
    ) {
      const drop = input.validationAuc - live.auc;
      if (drop > aucDrop)
        reasons.push({
          kind: 'auc-drop',
          liveAuc: live.auc,
          validationAuc: input.validationAuc,
          drop,
          maxDrop: aucDrop,
        });
    }
  }
  return { retrain: reasons.length > 0, reasons };
}
