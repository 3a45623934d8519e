// Builds the labelled propensity sets (train / validation / test) for one horizon: cut-offs from
// planCutoffs, users active before each cut-off, point-in-time features from the catalog, labels from
// placed orders in [t, t + H), negatives optionally subsampled with recorded weights.
import type { TrainingRow } from '@storepulse/features';
import type { LabelledSet as MlLabelledSet } from '@storepulse/ml';
import { hasOrderIn, keepNegative, planCutoffs, sampleUsers, type CutoffPlan } from './cutoffs';
import type { PropensityHistory } from '@storepulse/features';

/** A dense labelled matrix (rows = (user, cut-off) examples, NaN = missing feature), with row ids. */
export interface LabelledSet extends MlLabelledSet {
  ids: string[];
  cutoffs: number[];
}

export interface PropensitySets {
  plan: CutoffPlan;
  train: LabelledSet;
  validation: LabelledSet;
  test: LabelledSet;
  /** Training window: first and last cut-off used (train ∪ validation ∪ test). */
  fromMs: number;
  toMs: number;
  dataStartMs: number;
  watermarkMs: number;
}

/** The feature port: point-in-time user features for a spine (FeatureStore.asOf). */
export interface PointInTimeFeatures {
  asOf(entity: 'user', spine: readonly { id: string; atMs: number }[]): Promise<TrainingRow[]>;
}

export interface TrainingSetOptions {
  horizonMs: number;
  everyMs: number;
  windowMs: number;
  usersPerCutoff: number;
  /**
   * Users sampled at each test cut-off; default `usersPerCutoff`. The sample at a cut-off is the
   * `cap` users of smallest hash, so a smaller sample is a subset of a larger one (benches measure
   * on more rows without changing the training or validation rows).
   */
  testUsersPerCutoff?: number;
  negativeKeepRate: number;
  /** How training is kept apart from validation (CutoffPlanInput.purge); default `time`. */
  purge?: 'time' | 'users';
  featureNames: readonly string[];
  /** Train as if the data ended here (backtests, benches); default: the latest event stored. */
  watermarkMs?: number;
  /**
   * Feature rows already read for (cut-off, user), shared by the runs of one scheduler tick: the
   * horizons' cut-offs lie on the same grid with the same user samples, so the 7d sets reuse the
   * 24h run's rows instead of querying them again (point-in-time rows of past cut-offs do not change).
   */
  featureCache?: FeatureRowCache;
  onProgress?: (p: { cutoff: number; done: number; total: number; rows: number }) => void;
}

/** Point-in-time feature rows per (cut-off, user), for one list of feature names. */
export class FeatureRowCache {
  private readonly rows = new Map<number, Map<string, Float32Array>>();
  private names: string | null = null;
  /** Rows served from the cache and read from the store, over the cache's life. */
  readonly served = { cached: 0, read: 0 };

  /** The cached rows of cut-off `t` for these feature names (created empty). */
  at(t: number, featureNames: readonly string[]): Map<string, Float32Array> {
    const key = featureNames.join('\u0000');
    if (this.names === null) this.names = key;
    else if (this.names !== key)
      throw new Error(
        'FeatureRowCache: the cache holds rows of another feature list; use one cache per feature list',
      );
    let m = this.rows.get(t);
    if (!m) {
      m = new Map();
      this.rows.set(t, m);
    }
    return m;
  }
}

export class TrainingSetBuilder {
  constructor(
    private readonly history: PropensityHistory,
    private readonly features: PointInTimeFeatures,
  ) {}

  async build(o: TrainingSetOptions): Promise<PropensitySets> {
    const bounds = await this.history.bounds();
    if (!bounds)
      throw new Error(
        'no events stored yet: a propensity model needs clickstream and order history',
      );
    const plan = planCutoffs({
      dataStartMs: bounds.startMs,
      watermarkMs: Math.min(bounds.watermarkMs, o.watermarkMs ?? Infinity),
      horizonMs: o.horizonMs,
      everyMs: o.everyMs,
      windowMs: o.windowMs,
      ...(o.purge ? { purge: o.purge } : {}),
    });
    const all = [...plan.train, ...plan.validation, ...plan.test];
    const fromMs = Math.min(...all);
    const toMs = Math.max(...all);
    const firstSeen = await this.history.firstSeen(toMs);
    const orders = await this.history.orderTimes(fromMs, toMs + o.horizonMs);
    let done = 0;
    const activeAt = (t: number): string[] => {
      const active: string[] = [];
      for (const [u, first] of firstSeen) if (first < t) active.push(u);
      return active;
    };
    // purge `users`: training rows whose labels overlap the validation labels leave these users out
    // (none to find with purge `time`: no training cut-off comes after userPurgeAfterMs)
    const validationUsers = new Set(
      Number.isFinite(plan.userPurgeAfterMs)
        ? plan.validation.flatMap((t) => sampleUsers(activeAt(t), t, o.usersPerCutoff))
        : [],
    );
    const part = async (
      cutoffs: number[],
      subsample: boolean,
      cap = o.usersPerCutoff,
      purgeAfterMs = Infinity,
    ): Promise<LabelledSet> => {
      const rows: { id: string; t: number; y: number; w: number }[] = [];
      for (const t of cutoffs) {
        let active = activeAt(t);
        if (t > purgeAfterMs) active = active.filter((u) => !validationUsers.has(u));
        for (const u of sampleUsers(active, t, cap)) {
          const y = hasOrderIn(orders.get(u) ?? [], t, o.horizonMs) ? 1 : 0;
          if (y === 0 && subsample && !keepNegative(u, t, o.negativeKeepRate)) continue;
          rows.push({ id: u, t, y, w: y === 0 && subsample ? 1 / o.negativeKeepRate : 1 });
        }
      }
      const set = await this.matrix(rows, o.featureNames, o.featureCache, (cutoff, n) => {
        done++;
        o.onProgress?.({ cutoff, done, total: all.length, rows: n });
      });
      return set;
    };
    // Held-out sets keep every negative: their metrics describe the population scored live.
    const train = await part(
      plan.train,
      o.negativeKeepRate < 1,
      o.usersPerCutoff,
      plan.userPurgeAfterMs,
    );
    const validation = await part(plan.validation, false);
    const test = await part(plan.test, false, o.testUsersPerCutoff);
    return {
      plan,
      train,
      validation,
      test,
      fromMs,
      toMs,
      dataStartMs: bounds.startMs,
      watermarkMs: bounds.watermarkMs,
    };
  }

  /** Features for the rows, one point-in-time query per cut-off (bounded query size, progress). */
  private async matrix(
    rows: { id: string; t: number; y: number; w: number }[],
    names: readonly string[],
    cache: FeatureRowCache | undefined,
    progress: (cutoff: number, rows: number) => void,
  ): Promise<LabelledSet> {
    const d = names.length;
    const n = rows.length;
    const x = new Float32Array(n * d);
    const y = new Float32Array(n);
    const weight = new Float32Array(n);
    const byCutoff = new Map<number, number[]>();
    rows.forEach((r, i) => {
      y[i] = r.y;
      weight[i] = r.w;
      const list = byCutoff.get(r.t);
      if (list) list.push(i);
      else byCutoff.set(r.t, [i]);
    });
    for (const [t, idx] of byCutoff) {
      const cached = cache?.at(t, names);
      const todo = cached ? idx.filter((i) => !cached.has(rows[i].id)) : idx;
      const feats =
        todo.length > 0
          ? await this.features.asOf(
              'user',
              todo.map((i) => ({ id: rows[i].id, atMs: t })),
            )
          : [];
      feats.forEach((f, k) => {
        const row = new Float32Array(d);
        for (let j = 0; j < d; j++) {
          const v = f.features[names[j]];
          row[j] = v === null || v === undefined ? NaN : v;
        }
        x.set(row, todo[k] * d);
        cached?.set(rows[todo[k]].id, row);
      });
      if (cached && cache) {
        for (const i of idx) {
          const row = cached.get(rows[i].id);
          if (!row) throw new Error(`FeatureRowCache: no row for ${rows[i].id} at ${t}`);
          x.set(row, i * d);
        }
        cache.served.cached += idx.length - todo.length;
        cache.served.read += todo.length;
      }
      progress(t, idx.length);
    }
    return {
      x,
      n,
      d,
      featureNames: [...names],
      y,
      weight,
      ids: rows.map((r) => r.id),
      cutoffs: rows.map((r) => r.t),
    };
  }
}
