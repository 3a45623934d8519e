// Scores users with the champions: features from the catalog (online tier or ClickHouse) as one
// matrix, reordered to each model's feature names, standardised and predicted in one batch per model.
import { predictPropensity, type Tf } from '@storepulse/ml';
import type { FeatureMatrix, PendingRows } from '@storepulse/features';
import type { ChampionCache, LoadedChampion } from './champions';
import { LiveStats } from './live-stats';

export interface UserFeatures {
  lookupMatrix(entity: 'user', ids: readonly string[], atMs?: number): Promise<FeatureMatrix>;
  /** With rows not stored yet folded in (FeatureStore.lookupUsersWith: the online tier only). */
  lookupUsersWith(
    ids: readonly string[],
    atMs: number,
    pending: PendingRows,
  ): Promise<FeatureMatrix>;
}

export interface HorizonScores {
  horizon: string;
  model: { name: string; version: number };
  scores: Float32Array;
}

export interface ScoredUsers {
  ids: readonly string[];
  known: Uint8Array;
  atMs: number;
  horizons: HorizonScores[];
}

export class NoChampionError extends Error {
  constructor(readonly missing: string[]) {
    super(
      `no champion yet for ${missing.join(', ')}: train one with POST /api/models/propensity/train (body {"horizon": "…"}) or wait for the trainer's first run`,
    );
    this.name = 'NoChampionError';
  }
}

/** Matrix columns (by name) as the model's input order; a feature the catalog lacks is NaN. */
export function modelInput(m: FeatureMatrix, names: readonly string[]): Float32Array {
  const at = new Map(m.features.map((n, i) => [n, i]));
  const idx = names.map((n) => at.get(n) ?? -1);
  const w = m.features.length;
  const rows = m.ids.length;
  const out = new Float32Array(rows * names.length);
  for (let r = 0; r < rows; r++)
    for (let j = 0; j < idx.length; j++) {
      const k = idx[j];
      out[r * idx.length + j] = k < 0 ? NaN : m.values[r * w + k];
    }
  return out;
}

export class PropensityScorer {
  readonly live = new LiveStats();

  constructor(
    private readonly tf: Tf,
    private readonly features: UserFeatures,
    readonly champions: ChampionCache,
  ) {}

  /** Scores `ids` as of `atMs` with every (or the listed) horizon's champion. */
  async score(
    ids: readonly string[],
    atMs: number,
    horizons?: readonly string[],
    /** record: count the scores in the live distribution (the live path; API lookups do not). */
    opts: { record?: boolean } = {},
  ): Promise<ScoredUsers> {
    const [s] = await this.scoreGroups([{ ids, atMs }], horizons, opts);
    if (!s) throw new Error('scoreGroups returned no result for one group');
    return s;
  }

  /**
   * Scores several groups of users, each as of its own time (the live path: one group per as-of
   * minute of a batch): one feature lookup per group, then one TF call per model for all groups'
   * rows together (a TF call has a fixed cost that dominates small groups). Results in group order.
   */
  async scoreGroups(
    /** pending: rows of the users not stored yet, folded into their features (the live path). */
    groups: readonly { ids: readonly string[]; atMs: number; pending?: PendingRows }[],
    horizons?: readonly string[],
    opts: { record?: boolean } = {},
  ): Promise<ScoredUsers[]> {
    const wanted = horizons ?? [...this.champions.models.keys()];
    const models: LoadedChampion[] = [];
    const missing: string[] = [];
    for (const h of wanted) {
      const c = this.champions.get(h);
      if (c) models.push(c);
      else missing.push(this.champions.models.get(h) ?? h);
    }
    if (horizons && missing.length > 0) throw new NoChampionError(missing);
    const matrices: FeatureMatrix[] = [];
    for (const g of groups)
      matrices.push(
        await (g.pending
          ? this.features.lookupUsersWith(g.ids, g.atMs, g.pending)
          : this.features.lookupMatrix('user', g.ids, g.atMs)),
      );
    const rows = matrices.reduce((n, m) => n + m.ids.length, 0);
    const perModel = models.map((c) => {
      const names = c.normalisation.featureNames;
      const inputs = matrices.map((m) => modelInput(m, names));
      let x = inputs[0] ?? new Float32Array(0);
      if (inputs.length > 1) {
        x = new Float32Array(rows * names.length);
        let at = 0;
        for (const part of inputs) {
          x.set(part, at);
          at += part.length;
        }
      }
      return { c, inputs, scores: predictPropensity(this.tf, c, x, rows) };
    });
    let offset = 0;
    return matrices.map((m, gi) => {
      const n = m.ids.length;
      const from = offset;
      offset += n;
      return {
        ids: m.ids,
        known: m.found,
        atMs: m.atMs,
        horizons: perModel.map(({ c, inputs, scores: all }) => {
          const scores = all.slice(from, from + n);
          if (opts.record) {
            this.live.add(c.name, c.version, c.horizon, scores);
            const x = inputs[gi];
            if (x) c.drift?.add(x, n, c.normalisation.featureNames);
            for (let i = 0; i < n; i++) c.labels.record(m.ids[i], m.atMs, scores[i]);
          }
          return { horizon: c.horizon, model: { name: c.name, version: c.version }, scores };
        }),
      };
    });
  }
}
