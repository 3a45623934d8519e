import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '@storepulse/clickhouse';
import { featuresOf, WINDOW_SECONDS, type FeatureDef } from './catalog';
import {
  knownQuery,
  onlineQuery,
  pointInTimeQuery,
  windowBoundsMs,
  type GeneratedQuery,
} from './query';
import { GRANULARITY_SECONDS, type EntityKind } from './rollups';

export type FeatureValues = Record<string, number | null>;

export interface EntityFeatures {
  entity: EntityKind;
  id: string;
  /** The time the features are as of (ISO). */
  at: string;
  /** Whether the entity has any event before `at` (in the rollups). */
  found: boolean;
  features: FeatureValues;
}

export interface TrainingRow {
  id: string;
  atMs: number;
  features: FeatureValues;
}

type Row = Record<string, string | number | null>;

/** Batched feature lookups over the rollups: online (one `t`) and point-in-time (a spine of (id, t)). */
export class FeatureStore {
  private readonly online = new Map<EntityKind, GeneratedQuery>();
  private readonly pit = new Map<EntityKind, GeneratedQuery>();
  private readonly known = new Map<EntityKind, string>();

  constructor(private readonly client: ClickHouseClient) {
    for (const e of ['user', 'sku', 'category'] as const) {
      const fs = featuresOf(e);
      this.online.set(e, onlineQuery(e, fs));
      this.pit.set(e, pointInTimeQuery(e, fs));
      this.known.set(e, knownQuery(e));
    }
  }

  catalog(entity: EntityKind): FeatureDef[] {
    return featuresOf(entity);
  }

  /** Features of many entities as of `atMs` (default now): one parameterised query (+ one existence query). */
  async lookup(
    entity: EntityKind,
    ids: readonly string[],
    atMs = Date.now(),
  ): Promise<EntityFeatures[]> {
    const keys = [...new Set(ids)];
    if (keys.length === 0) return [];
    const q = this.online.get(entity)!;
    const t = Math.floor(atMs);
    const [rows, known] = await Promise.all([
      queryRows<Row>(this.client, q.sql, { keys, t }),
      queryRows<{ known_key: string }>(this.client, this.known.get(entity)!, { keys, t }),
    ]);
    const found = new Set(known.map((k) => k.known_key));
    const byKey = new Map(rows.map((r) => [String(r.entity_key), r]));
    const at = new Date(t).toISOString();
    return keys.map((id) => ({
      entity,
      id,
      at,
      found: found.has(id),
      features: values(q.features, byKey.get(id)),
    }));
  }

  /**
   * Point-in-time features for a spine of (id, atMs): each row uses only events with event time before
   * its own atMs (see docs/features.md for the bucket edge). Rows come back in spine order.
   */
  async asOf(
    entity: EntityKind,
    spine: readonly { id: string; atMs: number }[],
  ): Promise<TrainingRow[]> {
    if (spine.length === 0) return [];
    const q = this.pit.get(entity)!;
    const uniq = new Map<string, [string, number]>();
    for (const s of spine)
      uniq.set(`${s.id}\u0000${Math.floor(s.atMs)}`, [s.id, Math.floor(s.atMs)]);
    const pairs = [...uniq.values()];
    const keys = [...new Set(pairs.map((p) => p[0]))];
    const maxW = Math.max(...Object.values(WINDOW_SECONDS)) * 1000;
    const hourMs = GRANULARITY_SECONDS['1h'] * 1000;
    const lo = Math.min(...pairs.map((p) => windowBoundsMs(p[1], '1h', '28d')[0])) - maxW;
    const hi = Math.max(...pairs.map((p) => p[1])) + hourMs;
    const rows = await queryRows<Row>(this.client, q.sql, {
      spine_ids: pairs.map((p) => p[0]),
      spine_ts: pairs.map((p) => p[1]),
      keys,
      lo: Math.floor(lo / 1000),
      hi: Math.floor(hi / 1000),
    });
    const byKey = new Map(rows.map((r) => [`${String(r.entity_key)}\u0000${Number(r.at_ms)}`, r]));
    return spine.map((s) => ({
      id: s.id,
      atMs: Math.floor(s.atMs),
      features: values(q.features, byKey.get(`${s.id}\u0000${Math.floor(s.atMs)}`)),
    }));
  }
}

function values(names: string[], row: Row | undefined): FeatureValues {
  const out: FeatureValues = {};
  for (const n of names) {
    const v = row?.[n];
    out[n] = v === null || v === undefined ? null : Number(v);
  }
  return out;
}
