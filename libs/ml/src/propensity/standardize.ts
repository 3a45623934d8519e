// Feature standardisation for the propensity models, fitted on the training set and stored with the
// model (NormalisationStats + an optional FeatureTransform) so scoring applies exactly the same steps:
//   1. optional signed log1p on named heavy-tailed columns: x -> sign(x) * log(1 + |x|)
//   2. z = (x - mean) / std with mean/std over the finite training values (sample-weighted by default)
//   3. missing (NaN) -> 0, i.e. imputed to the training mean; z clipped to [-clip, clip] (default 10)
import { z } from 'zod';
import type { NormalisationStats } from '../model-io';
import { validateLabelledSet, type LabelledSet } from './labelled-set';

/** Below this a column's std counts as zero (constant column) and is stored as 1. */
export const STD_FLOOR = 1e-6;
export const DEFAULT_CLIP = 10;

/** Value transforms applied before standardising; serialised to JSON in the model metadata. */
export interface FeatureTransform {
  version: 1;
  /** Columns that get sign(x) * log1p(|x|) (for heavy-tailed counts and amounts). */
  log1p: string[];
}

const transformSchema = z.object({
  version: z.literal(1),
  log1p: z.array(z.string().min(1)),
});

export function serializeTransform(t: FeatureTransform): string {
  return JSON.stringify({ version: t.version, log1p: [...t.log1p] });
}

export function parseTransform(json: string): FeatureTransform {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    throw new Error(
      `feature transform: not valid JSON: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
  const parsed = transformSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`feature transform: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export interface StandardizerOptions {
  /** Sample-weighted means/stds (default true: the population the weights stand for). */
  weighted?: boolean;
  /** Applied before the statistics are taken; pass the same one to applyStandardizer. */
  transform?: FeatureTransform | null;
}

export interface ApplyOptions {
  transform?: FeatureTransform | null;
  /** Clip standardised values to [-clip, clip]; default 10. */
  clip?: number;
}

function signedLog1p(v: number): number {
  return v < 0 ? -Math.log1p(-v) : Math.log1p(v);
}

/** Per-column flag: apply log1p? Throws naming transform columns that are not features. */
function log1pMask(
  featureNames: string[],
  transform: FeatureTransform | null | undefined,
): boolean[] {
  const mask = new Array<boolean>(featureNames.length).fill(false);
  if (!transform) return mask;
  const unknown = transform.log1p.filter((c) => !featureNames.includes(c));
  if (unknown.length > 0)
    throw new Error(
      `feature transform: log1p columns ${unknown.join(', ')} are not among the features (${featureNames.join(', ')})`,
    );
  for (const c of transform.log1p) mask[featureNames.indexOf(c)] = true;
  return mask;
}

/**
 * Means and stds per column over the finite values (NaN / +-Infinity are ignored). A column with
 * std < 1e-6 (constant) or no finite value gets std 1 (and mean 0 when it has no finite value).
 */
export function fitStandardizer(
  set: LabelledSet,
  opts: StandardizerOptions = {},
): NormalisationStats {
  validateLabelledSet(set, 'fitStandardizer');
  const { n, d, x } = set;
  const weighted = opts.weighted ?? true;
  const mask = log1pMask(set.featureNames, opts.transform);
  const sumW = new Float64Array(d);
  const sum = new Float64Array(d);
  const value = (i: number, j: number): number => {
    const v = x[i * d + j];
    return mask[j] ? signedLog1p(v) : v;
  };
  for (let i = 0; i < n; i++) {
    const wi = weighted ? set.weight[i] : 1;
    for (let j = 0; j < d; j++) {
      const v = value(i, j);
      if (!Number.isFinite(v)) continue;
      sumW[j] = sumW[j] + wi;
      sum[j] = sum[j] + wi * v;
    }
  }
  const means = Array.from(sumW, (w, j) => (w > 0 ? sum[j] / w : 0));
  const sq = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const wi = weighted ? set.weight[i] : 1;
    for (let j = 0; j < d; j++) {
      const v = value(i, j);
      if (!Number.isFinite(v)) continue;
      const c = v - means[j];
      sq[j] = sq[j] + wi * c * c;
    }
  }
  const stds = Array.from(sumW, (w, j) => {
    const s = w > 0 ? Math.sqrt(sq[j] / w) : 0;
    return s < STD_FLOOR ? 1 : s;
  });
  return { featureNames: [...set.featureNames], means, stds };
}

/** Transform + standardise + impute (NaN -> 0) + clip a row-major n x d matrix into a new array. */
export function applyStandardizer(
  stats: NormalisationStats,
  x: Float32Array,
  n: number,
  d: number,
  opts: ApplyOptions = {},
): Float32Array {
  if (d !== stats.featureNames.length)
    throw new Error(
      `applyStandardizer: d = ${d} but the stats have ${stats.featureNames.length} features`,
    );
  if (x.length !== n * d)
    throw new Error(`applyStandardizer: x has ${x.length} values, expected n x d = ${n * d}`);
  const clip = opts.clip ?? DEFAULT_CLIP;
  const mask = log1pMask(stats.featureNames, opts.transform);
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const raw = x[i * d + j];
      if (Number.isNaN(raw)) continue; // missing -> the training mean -> 0
      const v = mask[j] ? signedLog1p(raw) : raw;
      const zv = (v - stats.means[j]) / stats.stds[j];
      out[i * d + j] = zv > clip ? clip : zv < -clip ? -clip : zv;
    }
  }
  return out;
}

/**
 * Columns worth a log1p: non-negative (over finite values) with sample skewness above `minSkew`
 * (default 2), e.g. counts and amounts. A suggestion for building a FeatureTransform.
 */
export function suggestLog1pColumns(set: LabelledSet, minSkew = 2): string[] {
  validateLabelledSet(set, 'suggestLog1pColumns');
  const { n, d, x } = set;
  const out: string[] = [];
  for (let j = 0; j < d; j++) {
    let m = 0;
    let k = 0;
    let negative = false;
    for (let i = 0; i < n; i++) {
      const v = x[i * d + j];
      if (!Number.isFinite(v)) continue;
      if (v < 0) negative = true;
      k++;
      m += (v - m) / k;
    }
    if (negative || k < 3) continue;
    let m2 = 0;
    let m3 = 0;
    for (let i = 0; i < n; i++) {
      const v = x[i * d + j];
      if (!Number.isFinite(v)) continue;
      const c = v - m;
      m2 += c * c;
      m3 += c * c * c;
    }
    m2 /= k;
    m3 /= k;
    if (m2 > 0 && m3 / Math.pow(m2, 1.5) > minSkew) out.push(set.featureNames[j]);
  }
  return out;
}
