// Baseline 2 for purchase propensity: a recency x frequency (RF-cell) heuristic. Users are bucketed
// by recency (days/seconds since the last order; since the last event when there is no order; quantile
// buckets learnt from the training set, separately per source) and by frequency (orders in the
// lookback, fixed integer edges), and each cell predicts its smoothed positive rate from training:
//   rate = (positive weight + a p0) / (weight + a)   (a Beta(a p0, a (1 - p0)) prior, p0 = overall rate)
// Weights are rescaled to mean 1 first, so the prior strength a counts rows. Unseen cells predict p0.
import { z } from 'zod';
import { validateLabelledSet, type LabelledSet } from './labelled-set';

export interface RecencyFrequencyColumns {
  /** Time since the last order (NaN when the user never ordered). */
  recency: string;
  /** Orders in the lookback (NaN counts as 0). */
  frequency: string;
  /** Time since the last event, used when `recency` is missing. */
  fallbackRecency?: string;
}

export interface RecencyFrequencyOptions {
  /** Quantile buckets per recency source; default 5. */
  recencyBuckets?: number;
  /** Frequency bucket k holds values >= edges[k-1] and < edges[k]; default [1, 2, 3, 5, 10]. */
  frequencyEdges?: number[];
  /** Beta prior strength a, in rows; default 20. */
  priorStrength?: number;
}

/** Where a row's recency came from. */
export type RecencySource = 'order' | 'fallback' | 'none';
export const RECENCY_SOURCES: readonly RecencySource[] = ['order', 'fallback', 'none'];

export interface RecencyFrequencyCell {
  source: RecencySource;
  /** Recency bucket (0 = most recent); always 0 for source 'none'. */
  recencyBucket: number;
  frequencyBucket: number;
  /** Training rows and their (mean-1 rescaled) weight and positive weight. */
  rows: number;
  weight: number;
  positiveWeight: number;
  /** Smoothed rate the cell predicts. */
  rate: number;
}

export interface RecencyFrequencyJSON {
  kind: 'recency-frequency';
  version: 1;
  columns: RecencyFrequencyColumns;
  /** Ascending quantile edges per source: bucket = number of edges <= value. */
  recencyEdges: { order: number[]; fallback: number[] };
  frequencyEdges: number[];
  priorStrength: number;
  prior: number;
  cells: RecencyFrequencyCell[];
}

const cellSchema = z.object({
  source: z.enum(RECENCY_SOURCES as [RecencySource, ...RecencySource[]]),
  recencyBucket: z.number().int().nonnegative(),
  frequencyBucket: z.number().int().nonnegative(),
  rows: z.number().int().nonnegative(),
  weight: z.number().nonnegative(),
  positiveWeight: z.number().nonnegative(),
  rate: z.number().min(0).max(1),
});
const jsonSchema = z.object({
  kind: z.literal('recency-frequency'),
  version: z.literal(1),
  columns: z.object({
    recency: z.string().min(1),
    frequency: z.string().min(1),
    fallbackRecency: z.optional(z.string().min(1)),
  }),
  recencyEdges: z.object({ order: z.array(z.number()), fallback: z.array(z.number()) }),
  frequencyEdges: z.array(z.number()),
  priorStrength: z.number().positive(),
  prior: z.number().min(0).max(1),
  cells: z.array(cellSchema),
});

/** Number of edges <= v (edges ascending). */
function bucketOf(edges: readonly number[], v: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function quantileEdges(values: number[], buckets: number): number[] {
  if (values.length === 0) return [];
  const sorted = Float64Array.from(values).sort();
  const edges: number[] = [];
  for (let k = 1; k < buckets; k++) {
    const q = sorted[Math.min(sorted.length - 1, Math.floor((k * sorted.length) / buckets))];
    if (edges.length === 0 || q > edges[edges.length - 1]) edges.push(q);
  }
  return edges;
}

interface ColumnIndex {
  recency: number;
  frequency: number;
  fallback: number | null;
}

function resolveColumns(
  cols: RecencyFrequencyColumns,
  featureNames: readonly string[],
  what: string,
): ColumnIndex {
  const find = (name: string, role: string): number => {
    const i = featureNames.indexOf(name);
    if (i < 0)
      throw new Error(
        `${what}: ${role} column '${name}' is not among the features (${featureNames.join(', ')})`,
      );
    return i;
  };
  return {
    recency: find(cols.recency, 'recency'),
    frequency: find(cols.frequency, 'frequency'),
    fallback:
      cols.fallbackRecency === undefined ? null : find(cols.fallbackRecency, 'fallbackRecency'),
  };
}

export class RecencyFrequencyHeuristic {
  private readonly offsets: Record<RecencySource, number>;
  private readonly rates: Float64Array;

  private constructor(private readonly state: RecencyFrequencyJSON) {
    const f = state.frequencyEdges.length + 1;
    const orderCells = (state.recencyEdges.order.length + 1) * f;
    const fallbackCells = (state.recencyEdges.fallback.length + 1) * f;
    this.offsets = { order: 0, fallback: orderCells, none: orderCells + fallbackCells };
    this.rates = new Float64Array(orderCells + fallbackCells + f).fill(state.prior);
    for (const c of state.cells) {
      const at = this.cellIndex(c.source, c.recencyBucket, c.frequencyBucket);
      if (at < 0 || at >= this.rates.length)
        throw new Error(
          `RecencyFrequencyHeuristic: cell ${c.source}/${c.recencyBucket}/${c.frequencyBucket} is outside the bucket grid`,
        );
      this.rates[at] = c.rate;
    }
  }

  private cellIndex(source: RecencySource, r: number, f: number): number {
    return this.offsets[source] + r * (this.state.frequencyEdges.length + 1) + f;
  }

  private locate(
    recency: number,
    fallback: number,
    frequency: number,
  ): [RecencySource, number, number] {
    const f = bucketOf(this.state.frequencyEdges, Number.isNaN(frequency) ? 0 : frequency);
    if (!Number.isNaN(recency))
      return ['order', bucketOf(this.state.recencyEdges.order, recency), f];
    if (!Number.isNaN(fallback))
      return ['fallback', bucketOf(this.state.recencyEdges.fallback, fallback), f];
    return ['none', 0, f];
  }

  static fit(
    set: LabelledSet,
    cols: RecencyFrequencyColumns,
    opts: RecencyFrequencyOptions = {},
  ): RecencyFrequencyHeuristic {
    validateLabelledSet(set, 'RecencyFrequencyHeuristic.fit');
    const buckets = opts.recencyBuckets ?? 5;
    const frequencyEdges = [...(opts.frequencyEdges ?? [1, 2, 3, 5, 10])];
    const priorStrength = opts.priorStrength ?? 20;
    if (!Number.isInteger(buckets) || buckets < 1)
      throw new Error(
        `RecencyFrequencyHeuristic.fit: recencyBuckets = ${buckets}, expected an integer >= 1`,
      );
    if (frequencyEdges.some((e, i) => i > 0 && e <= frequencyEdges[i - 1]))
      throw new Error(
        `RecencyFrequencyHeuristic.fit: frequencyEdges [${frequencyEdges.join(', ')}] must be strictly ascending`,
      );
    if (!(priorStrength > 0))
      throw new Error(
        `RecencyFrequencyHeuristic.fit: priorStrength = ${priorStrength}, expected > 0`,
      );
    const { n, d, x } = set;
    const ci = resolveColumns(cols, set.featureNames, 'RecencyFrequencyHeuristic.fit');
    let W = 0;
    let P = 0;
    for (let i = 0; i < n; i++) {
      W += set.weight[i];
      P += set.weight[i] * set.y[i];
    }
    if (!(W > 0)) throw new Error('RecencyFrequencyHeuristic.fit: the sample weights sum to 0');
    const prior = P / W;
    const scale = n / W; // weights rescaled to mean 1

    const orderValues: number[] = [];
    const fallbackValues: number[] = [];
    for (let i = 0; i < n; i++) {
      const r = x[i * d + ci.recency];
      if (!Number.isNaN(r)) orderValues.push(r);
      else if (ci.fallback !== null) {
        const fb = x[i * d + ci.fallback];
        if (!Number.isNaN(fb)) fallbackValues.push(fb);
      }
    }
    const base: RecencyFrequencyJSON = {
      kind: 'recency-frequency',
      version: 1,
      columns: { ...cols },
      recencyEdges: {
        order: quantileEdges(orderValues, buckets),
        fallback: quantileEdges(fallbackValues, buckets),
      },
      frequencyEdges,
      priorStrength,
      prior,
      cells: [],
    };
    const grid = new RecencyFrequencyHeuristic(base);
    const acc = new Map<number, RecencyFrequencyCell>();
    for (let i = 0; i < n; i++) {
      const [source, r, f] = grid.locate(
        x[i * d + ci.recency],
        ci.fallback === null ? NaN : x[i * d + ci.fallback],
        x[i * d + ci.frequency],
      );
      const at = grid.cellIndex(source, r, f);
      let cell = acc.get(at);
      if (!cell) {
        cell = {
          source,
          recencyBucket: r,
          frequencyBucket: f,
          rows: 0,
          weight: 0,
          positiveWeight: 0,
          rate: 0,
        };
        acc.set(at, cell);
      }
      const wi = set.weight[i] * scale;
      cell.rows++;
      cell.weight += wi;
      cell.positiveWeight += wi * set.y[i];
    }
    const cells = [...acc.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([, c]) => ({
        ...c,
        rate: (c.positiveWeight + priorStrength * prior) / (c.weight + priorStrength),
      }));
    return new RecencyFrequencyHeuristic({ ...base, cells });
  }

  /** Predicted propensity per row of a row-major matrix whose columns are `featureNames`. */
  predict(x: Float32Array, n: number, featureNames: readonly string[]): Float32Array {
    const d = featureNames.length;
    if (x.length !== n * d)
      throw new Error(
        `RecencyFrequencyHeuristic.predict: x has ${x.length} values, expected n x d = ${n} x ${d}`,
      );
    const ci = resolveColumns(
      this.state.columns,
      featureNames,
      'RecencyFrequencyHeuristic.predict',
    );
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const [source, r, f] = this.locate(
        x[i * d + ci.recency],
        ci.fallback === null ? NaN : x[i * d + ci.fallback],
        x[i * d + ci.frequency],
      );
      out[i] = this.rates[this.cellIndex(source, r, f)];
    }
    return out;
  }

  /** The training cells (those with rows), in grid order. */
  get cells(): RecencyFrequencyCell[] {
    return this.state.cells.map((c) => ({ ...c }));
  }

  get prior(): number {
    return this.state.prior;
  }

  toJSON(): RecencyFrequencyJSON {
    return JSON.parse(JSON.stringify(this.state)) as RecencyFrequencyJSON;
  }

  static fromJSON(json: unknown): RecencyFrequencyHeuristic {
    const parsed = jsonSchema.safeParse(json);
    if (!parsed.success)
      throw new Error(`RecencyFrequencyHeuristic.fromJSON: ${z.prettifyError(parsed.error)}`);
    const j = parsed.data;
    const columns: RecencyFrequencyColumns = {
      recency: j.columns.recency,
      frequency: j.columns.frequency,
    };
    if (j.columns.fallbackRecency !== undefined)
      columns.fallbackRecency = j.columns.fallbackRecency;
    return new RecencyFrequencyHeuristic({ ...j, columns });
  }
}
