// Adapters of the drift check's ports: the champion's training profile from the registry artifact
// (read without TensorFlow) and its validation AUC from the registry metrics, live feature rows of
// recently active users from ClickHouse and the feature store, and the champion version's live AUC
// pooled over a window of the labelled samples the scorer appended to model_live_samples (migration
// 0014).
import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '@storepulse/clickhouse';
import type { FeatureMatrix } from '@storepulse/features';
import {
  FEATURE_PROFILE_METADATA_KEY,
  LiveSamplesStore,
  parseFeatureProfile,
  readModelBuffer,
  type FeatureProfile,
  type LivePoolOptions,
  type ModelRegistry,
} from '@storepulse/ml';
import type {
  ChampionProfileSource,
  ChampionReference,
  LiveAucReading,
  LiveAucSource,
  LiveFeatureSampler,
} from './drift-check';

/** metrics.validation.mlp.rocAuc of a propensity version (train-propensity.ts), or null. */
export function validationAucOf(metrics: Record<string, unknown>): number | null {
  const validation = metrics.validation;
  if (typeof validation !== 'object' || validation === null) return null;
  const mlp = (validation as Record<string, unknown>).mlp;
  if (typeof mlp !== 'object' || mlp === null) return null;
  const auc = (mlp as Record<string, unknown>).rocAuc;
  return typeof auc === 'number' && auc >= 0 && auc <= 1 ? auc : null;
}

export class RegistryChampionProfiles implements ChampionProfileSource {
  private cached: ({ model: string } & ChampionReference)[] = [];

  constructor(
    private readonly registry: Pick<ModelRegistry, 'championVersion' | 'artifact' | 'get'>,
  ) {}

  async championProfile(model: string): Promise<ChampionReference | null> {
    const version = await this.registry.championVersion(model);
    if (version === null) return null;
    let hit = this.cached.find((c) => c.model === model && c.version === version);
    if (!hit) {
      const registered = await this.registry.get(model, version);
      const validationAuc = registered ? validationAucOf(registered.metrics) : null;
      const { header } = readModelBuffer(await this.registry.artifact(model, version));
      const raw = header.metadata[FEATURE_PROFILE_METADATA_KEY];
      let profile: FeatureProfile | null = null;
      if (typeof raw === 'string') {
        try {
          profile = parseFeatureProfile(JSON.parse(raw) as unknown);
        } catch (e) {
          throw new Error(
            `${model} v${version}: artifact metadata '${FEATURE_PROFILE_METADATA_KEY}' is invalid: ${e instanceof Error ? e.message : String(e)}`,
            { cause: e },
          );
        }
      }
      hit = { model, version, profile, validationAuc };
      this.cached = [...this.cached.filter((c) => c.model !== model), hit];
    }
    return { version, profile: hit.profile, validationAuc: hit.validationAuc };
  }
}

/**
 * One model version's live AUC pooled over a window of its labelled live samples
 * (model_live_samples, LiveSamplesStore.pooled): the matured samples whose prediction time lies in
 * `windowMs` up to the newest one, at most `maxSamples` of the newest, from every resolution of
 * every scorer instance. Not one model_live_metrics row: in steady traffic one resolution labels
 * only the few samples that matured since the previous one.
 */
export class ClickHouseLiveAuc implements LiveAucSource {
  private readonly store: LiveSamplesStore;

  constructor(
    client: ClickHouseClient,
    private readonly pool: LivePoolOptions,
  ) {
    this.store = new LiveSamplesStore(client);
  }

  async latest(model: string, version: number): Promise<LiveAucReading | null> {
    const r = await this.store.pooled(model, version, this.pool);
    if (!r) return null;
    return {
      version,
      auc: Number.isFinite(r.auc) ? r.auc : null,
      n: r.n,
      positives: r.positives,
      negatives: r.negatives,
      computedAtMs: r.computedAtMs,
      watermarkMs: r.watermarkMs,
      pool: { fromMs: r.fromMs, toMs: r.toMs, windowMs: r.windowMs },
    };
  }
}

export interface UserMatrixLookup {
  lookupMatrix(entity: 'user', ids: readonly string[], atMs?: number): Promise<FeatureMatrix>;
}

/** Users with a click or order in the window before the data watermark, features as of the watermark. */
export class ClickHouseLiveFeatureSampler implements LiveFeatureSampler {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly features: UserMatrixLookup,
  ) {}

  async sample(
    featureNames: readonly string[],
    opts: { maxUsers: number; windowMs: number },
  ): Promise<{ x: Float64Array; n: number; atMs: number } | null> {
    const [w] = await queryRows<{ hi: string; n: string }>(
      this.client,
      `SELECT toString(max(h)) AS hi, toString(sum(c)) AS n FROM (
         SELECT toUnixTimestamp64Milli(max(ts)) AS h, count() AS c FROM clickstream_events
         UNION ALL
         SELECT toUnixTimestamp64Milli(max(ts)), count() FROM order_lines)
       WHERE c > 0`,
    );
    if (!w || Number(w.n) === 0) return null;
    const atMs = Number(w.hi) + 1;
    // a spread sample of the active users (by hash), not the first ones in storage order
    const rows = await queryRows<{ u: string }>(
      this.client,
      `SELECT u FROM (
         SELECT DISTINCT user_id AS u FROM clickstream_events
          WHERE ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND ts < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
         UNION DISTINCT
         SELECT DISTINCT user_id FROM order_lines
          WHERE ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND ts < fromUnixTimestamp64Milli({to:Int64}, 'UTC'))
       ORDER BY cityHash64(u) LIMIT {limit:UInt32}`,
      { from: atMs - opts.windowMs, to: atMs, limit: opts.maxUsers },
    );
    if (rows.length === 0) return { x: new Float64Array(0), n: 0, atMs };
    const m = await this.features.lookupMatrix(
      'user',
      rows.map((r) => r.u),
      atMs,
    );
    const at = new Map(m.features.map((f, i) => [f, i]));
    const d = featureNames.length;
    const w2 = m.features.length;
    const x = new Float64Array(m.ids.length * d);
    for (let r = 0; r < m.ids.length; r++)
      for (let j = 0; j < d; j++) {
        const k = at.get(featureNames[j]);
        x[r * d + j] = k === undefined ? NaN : m.values[r * w2 + k];
      }
    return { x, n: m.ids.length, atMs };
  }
}
