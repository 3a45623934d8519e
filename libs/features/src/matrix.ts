import type { EntityKind } from './rollups';
import type { EntityFeatures, FeatureValues } from './store';

/**
 * A batched lookup as one matrix — what a model scores: one row per requested entity (request order,
 * duplicates removed), one column per catalog feature of the entity (catalog order), no object per
 * entity. `values` is row-major (`values[row * features.length + col]`), NaN where the feature's value
 * is null (see the catalog: ratios with a zero denominator, recency with no event, …).
 */
export interface FeatureMatrix {
  entity: EntityKind;
  /** The time the features are as of (epoch ms and ISO). */
  atMs: number;
  at: string;
  features: readonly string[];
  ids: readonly string[];
  /** Per row: 1 when the entity has any event before `at`. */
  found: Uint8Array;
  values: Float64Array;
}

export function emptyMatrix(
  entity: EntityKind,
  features: readonly string[],
  ids: readonly string[],
  atMs: number,
): FeatureMatrix {
  return {
    entity,
    atMs,
    at: new Date(atMs).toISOString(),
    features,
    ids,
    found: new Uint8Array(ids.length),
    values: new Float64Array(ids.length * features.length),
  };
}

/** Row `i` as a feature → value object (null for NaN). */
export function matrixValues(m: FeatureMatrix, i: number): FeatureValues {
  const out: FeatureValues = {};
  const w = m.features.length;
  const v = m.values;
  for (let k = 0, o = i * w; k < w; k++, o++) {
    const x = v[o];
    out[m.features[k]] = x === x ? x : null; // NaN → null
  }
  return out;
}

/** The matrix as one object per entity (the HTTP and the object API's shape). */
export function matrixRows(m: FeatureMatrix): EntityFeatures[] {
  return m.ids.map((id, i) => ({
    entity: m.entity,
    id,
    at: m.at,
    found: m.found[i] === 1,
    features: matrixValues(m, i),
  }));
}
