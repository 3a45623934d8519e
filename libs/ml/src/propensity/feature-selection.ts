// Leaves out of a propensity model the features whose distribution on the training cut-offs differs
// from the one on the validation cut-off (the latest complete one before test, the closest to what
// is scored live). Such a feature is not stationary over the training window, so the model can only
// extrapolate it: on a first-run store (28 days of clickstream after 120 days of orders only) the
// 28-day click counts are incomplete windows at the early training cut-offs (PSI 7–8 against
// validation for the 7d horizon; the test rows sit 3.5 training standard deviations above the
// training mean), and the MLP's test log loss was 0.623 against the heuristic's 0.505. The
// comparison is the PSI of the drift monitor (eval/drift.ts: training quantile bins plus a missing
// bin), validation against training; test is never looked at.
import { LiveFeatureHistogram, profileFeatures, psi, type FeaturePsi } from '../eval/drift';
import type { LabelledSet } from './labelled-set';

export interface StableFeatures {
  /** Features kept, in the set's column order. */
  kept: string[];
  /** Features left out (PSI above the limit), worst first. */
  dropped: FeaturePsi[];
  /** PSI of every feature, validation against training, worst first. */
  psi: FeaturePsi[];
}

/**
 * The features of `train` whose PSI (validation against the training profile, sample-weighted
 * training bins) is at most `maxPsi`; Infinity keeps every feature. Throws when no feature would be
 * left (the limit names itself) or when the two sets have other columns.
 */
export function stableFeatures(
  train: LabelledSet,
  validation: LabelledSet,
  maxPsi: number,
): StableFeatures {
  if (!(maxPsi > 0))
    throw new Error(
      `stableFeatures: maxPsi = ${maxPsi}, expected > 0 (Infinity keeps every feature)`,
    );
  if (validation.featureNames.join('\u0000') !== train.featureNames.join('\u0000'))
    throw new Error(
      `stableFeatures: validation columns (${validation.featureNames.join(', ')}) differ from training columns (${train.featureNames.join(', ')})`,
    );
  if (train.n === 0 || validation.n === 0)
    throw new Error(
      `stableFeatures: needs training and validation rows (train ${train.n}, validation ${validation.n})`,
    );
  const profile = profileFeatures(train.x, train.n, train.featureNames, { weights: train.weight });
  const live = new LiveFeatureHistogram(profile);
  live.add(validation.x, validation.n, validation.featureNames);
  const all = psi(profile, live);
  const dropped = all.filter((p) => p.psi > maxPsi);
  const out = new Set(dropped.map((p) => p.feature));
  const kept = train.featureNames.filter((f) => !out.has(f));
  if (kept.length === 0)
    throw new Error(
      `stableFeatures: every feature has a validation PSI above ${maxPsi} (lowest ${all[all.length - 1]?.psi}); raise TRAINER_MAX_FEATURE_PSI or check the history`,
    );
  return { kept, dropped, psi: all };
}

/** The columns `names` of `set` (by name, in that order); throws naming a column the set lacks. */
export function selectFeatures<S extends LabelledSet>(set: S, names: readonly string[]): S {
  const at = new Map(set.featureNames.map((n, i) => [n, i]));
  const idx = names.map((n) => {
    const k = at.get(n);
    if (k === undefined) throw new Error(`selectFeatures: the set has no column '${n}'`);
    return k;
  });
  const d = idx.length;
  const x = new Float32Array(set.n * d);
  for (let r = 0; r < set.n; r++) {
    const row = r * set.d;
    for (let j = 0; j < d; j++) x[r * d + j] = set.x[row + idx[j]];
  }
  return { ...set, x, d, featureNames: [...names] };
}
