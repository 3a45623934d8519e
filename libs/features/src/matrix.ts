import { FEATURE_NAME } from './catalog';
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

const orNull = (x: number): number | null => (x === x ? x : null); // NaN → null
type RowFactory = (v: Float64Array, o: number) => FeatureValues;
const factories = new WeakMap<readonly string[], RowFactory>();

/**
 * A function building one row's object as a single object literal (compiled once per feature list).
 * Objects grown one keyed property at a time fall back to dictionary mode past a few dozen properties;
 * a literal gives every row one shared shape with in-object fields — about 20 % faster to build a
 * 1,000-row lookup, less garbage, and faster JSON serialisation. The source is made only from catalog
 * feature names, checked against FEATURE_NAME (never from input).
 */
function rowFactory(names: readonly string[]): RowFactory {
  let f = factories.get(names);
  if (!f) {
    for (const n of names) if (!FEATURE_NAME.test(n)) throw new Error(`bad feature name ${n}`);
    const fields = names.map((n, k) => `${n}: orNull(v[o + ${k}])`).join(', ');
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- names are checked identifiers
    const build = new Function('orNull', 'v', 'o', `return { ${fields} };`) as (
      orNull: (x: number) => number | null,
      v: Float64Array,
      o: number,
    ) => FeatureValues;
    f = (v, o) => build(orNull, v, o);
    factories.set(names, f);
  }
  return f;
}

/** Row `i` as a feature → value object (null for NaN). */
export function matrixValues(m: FeatureMatrix, i: number): FeatureValues {
  return rowFactory(m.features)(m.values, i * m.features.length);
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
