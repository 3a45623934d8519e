import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '@storepulse/clickhouse';
import { featuresOf, LIFETIME, WINDOW_SECONDS, type FeatureDef } from './catalog';
import {
  boundValues,
  compileFeatures,
  evaluateFeatures,
  evaluateInto,
  endName,
  plan,
  type FeatureProgram,
  KNOWN_SRC,
  ACTIVITY_SRC,
  NO_ACTIVITY,
  onlineQuery,
  pointInTimeQuery,
  windowBoundsMs,
  type AggMode,
  type GeneratedQuery,
} from './query';

/**
 * Up to this many entities the online lookup uses the `-ForEach` variant. Measured on the 2-core box
 * with 28 days of history the `-If` variant was as fast or faster at every batch size, so the default
 * is 0 (always `-If`); the `-ForEach` variant only wins on an empty/small store (less to plan).
 */
export const SMALL_BATCH = 0;
import { GRANULARITY_SECONDS, type EntityKind } from './rollups';
import type { Activity } from './sessions';
import type { OnlineFeatureStore, PendingRows } from './online';
import { emptyMatrix, matrixRows, type FeatureMatrix } from './matrix';

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

interface Row {
  src: number;
  k: string;
  at_ms: string | number;
  vals: number[];
}

/** Batched feature lookups over the rollups: online (one `t`) and point-in-time (a spine of (id, t)). */
export class FeatureStore {
  private readonly onlineSmall = new Map<EntityKind, GeneratedQuery>();
  private readonly onlineBatch = new Map<EntityKind, GeneratedQuery>();
  private readonly pit = new Map<EntityKind, GeneratedQuery>();
  private readonly defs = new Map<EntityKind, FeatureDef[]>();
  /** Per entity: every aggregate alias of the plan, and each feature compiled against that order. */
  private readonly compiled = new Map<EntityKind, Compiled>();
  /**
   * The lifetime user features as their own ClickHouse query (no existence branches: the tier
   * decides `found`) and their columns in the catalog order: for tier-served users whose lifetime
   * accumulator is not exact in the tier.
   */
  private readonly lifetime: { q: GeneratedQuery; c: Compiled; cols: number[] } | undefined;

  /**
   * Lookups answered by each tier (user lookups use the online tier when it covers `at`);
   * `clickhouseLifetime`: ClickHouse queries for the lifetime columns of tier-served users whose
   * accumulator is not exact in the tier (see OnlineFeatureStore.lifetimeExact).
   */
  readonly served = { online: 0, clickhouse: 0, clickhouseLifetime: 0 };

  constructor(
    private readonly client: ClickHouseClient,
    /** Optional online tier (user features); see online.ts. */
    readonly online?: OnlineFeatureStore,
  ) {
    for (const e of ['user', 'sku', 'category'] as const) {
      const fs = featuresOf(e);
      this.defs.set(e, fs);
      this.onlineSmall.set(e, onlineQuery(e, fs, 'forEach'));
      this.onlineBatch.set(e, onlineQuery(e, fs, 'if'));
      this.pit.set(e, pointInTimeQuery(e, fs));
      this.compiled.set(e, compiledFor(e, fs));
    }
    const user = featuresOf('user');
    const rest = user.filter((f) => f.window === LIFETIME);
    this.lifetime =
      rest.length > 0
        ? {
            q: onlineQuery('user', rest, 'if', false),
            c: compiledFor('user', rest),
            cols: rest.map((f) => user.indexOf(f)),
          }
        : undefined;
  }

  catalog(entity: EntityKind): FeatureDef[] {
    return featuresOf(entity);
  }

  /** Features of many entities as of `atMs` (default now): one parameterised query (+ one existence query). */
  async lookup(
    entity: EntityKind,
    ids: readonly string[],
    atMs = Date.now(),
    /** Query variant; default: `forEach` up to {@link SMALL_BATCH} entities, `if` above. */
    mode?: AggMode,
  ): Promise<EntityFeatures[]> {
    return matrixRows(await this.lookupMatrix(entity, ids, atMs, mode));
  }

  /**
   * {@link lookup} as one matrix (rows = the distinct ids in request order, columns = the entity's
   * catalog features): the scorer's input, with no object per entity.
   */
  async lookupMatrix(
    entity: EntityKind,
    ids: readonly string[],
    atMs = Date.now(),
    mode?: AggMode,
  ): Promise<FeatureMatrix> {
    const keys = [...new Set(ids)];
    const t = Math.floor(atMs);
    const c = this.compiled.get(entity)!;
    if (keys.length === 0) return emptyMatrix(entity, c.program.names, keys, t);
    if (entity === 'user' && mode === undefined && this.online?.covers(atMs))
      return this.tiered(this.online, keys, t, c);
    this.served.clickhouse += 1;
    const q =
      (keys.length <= SMALL_BATCH || mode === 'forEach') && mode !== 'if'
        ? this.onlineSmall.get(entity)!
        : this.onlineBatch.get(entity)!;
    return this.clickhouseMatrix(entity, q, c, keys, t);
  }

  /**
   * User features as of `atMs` with `pending` rows folded in (rows not stored yet: see
   * OnlineFeatureStore.lookupMatrix). Needs the online tier covering `atMs` (`online.covers`);
   * throws otherwise, as ClickHouse cannot see rows that are not stored.
   */
  async lookupUsersWith(
    ids: readonly string[],
    atMs: number,
    pending: PendingRows,
  ): Promise<FeatureMatrix> {
    if (!this.online?.covers(atMs))
      throw new Error(
        `pending rows need the online tier covering ${new Date(atMs).toISOString()} (state ${this.online?.status().state ?? 'off'})`,
      );
    const keys = [...new Set(ids)];
    const t = Math.floor(atMs);
    const c = this.compiled.get('user')!;
    if (keys.length === 0) return emptyMatrix('user', c.program.names, keys, t);
    return this.tiered(this.online, keys, t, c, pending);
  }

  /**
   * A user lookup served by the online tier. Users it did not find are looked up in ClickHouse
   * entirely (they may have events older than 28 days); users whose lifetime accumulator is not exact
   * in the tier (`lifetimeExact`: a row older than its horizon arrived live) get their lifetime
   * columns from one ClickHouse query.
   */
  private async tiered(
    online: OnlineFeatureStore,
    keys: string[],
    t: number,
    c: Compiled,
    pending?: PendingRows,
  ): Promise<FeatureMatrix> {
    const m = online.lookupMatrix(keys, t, pending);
    this.served.online += 1;
    if (m.features.length !== c.program.names.length)
      throw new Error('online tier: its columns are not the user catalog');
    const w = m.features.length;
    const unknown: number[] = [];
    const inexact: number[] = [];
    for (let i = 0; i < keys.length; i++)
      if (m.found[i] === 0) unknown.push(i);
      else if (!online.lifetimeExact(keys[i])) inexact.push(i);
    const life = this.lifetime;
    const [lt, rest] = await Promise.all([
      inexact.length > 0 && life
        ? this.lifetimeColumns(
            life,
            inexact.map((i) => keys[i]),
            t,
          )
        : undefined,
      unknown.length > 0
        ? this.lookupMatrix(
            'user',
            unknown.map((i) => keys[i]),
            t,
            'if',
          )
        : undefined,
    ]);
    if (lt && life) {
      const lw = lt.features.length;
      inexact.forEach((i, r) => {
        for (let k = 0; k < lw; k++) m.values[i * w + life.cols[k]] = lt.values[r * lw + k];
      });
    }
    if (rest)
      unknown.forEach((i, r) => {
        m.found[i] = rest.found[r];
        m.values.set(rest.values.subarray(r * w, (r + 1) * w), i * w);
      });
    return m;
  }

  private lifetimeColumns(
    part: { q: GeneratedQuery; c: Compiled },
    keys: string[],
    t: number,
  ): Promise<FeatureMatrix> {
    this.served.clickhouseLifetime += 1;
    return this.clickhouseMatrix('user', part.q, part.c, keys, t);
  }

  /** One ClickHouse query (`q`, online shape) evaluated into a matrix of `c`'s features. */
  private async clickhouseMatrix(
    entity: EntityKind,
    q: GeneratedQuery,
    c: Compiled,
    keys: string[],
    t: number,
  ): Promise<FeatureMatrix> {
    const params = {
      keys,
      ...boundValues(q.groups, t, q.activity.length > 0),
      [endName('1m')]: windowBoundsMs(t, '1m', '15m')[1] / 1000,
      [endName('1h')]: windowBoundsMs(t, '1h', '28d')[1] / 1000,
    };
    const rows = await queryRows<Row>(this.client, q.sql, params);
    const found = new Set(rows.filter((r) => Number(r.src) >= KNOWN_SRC).map((r) => r.k));
    const { aggs, activity } = collect(
      q,
      rows.filter((r) => Number(r.src) < KNOWN_SRC),
      () => '',
    );
    const m = emptyMatrix(entity, c.program.names, keys, t);
    const w = m.features.length;
    keys.forEach((id, i) => {
      m.found[i] = found.has(id) ? 1 : 0;
      const vals = c.aliases.map((a) => aggs.get(id)?.get(a) ?? 0);
      evaluateInto(c.program, vals, t, activity.get(id) ?? NO_ACTIVITY, m.values, i * w);
    });
    return m;
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
    // the scan prune of the sliding windows' branches (lifetime branches are not pruned below)
    const maxW =
      Math.max(
        ...Object.entries(WINDOW_SECONDS)
          .filter(([w]) => w !== LIFETIME)
          .map(([, s]) => s),
      ) * 1000;
    const hourMs = GRANULARITY_SECONDS['1h'] * 1000;
    let lo = Infinity;
    let hi = -Infinity;
    for (const p of pairs) {
      lo = Math.min(lo, windowBoundsMs(p[1], '1h', '28d')[0] - maxW);
      hi = Math.max(hi, p[1] + hourMs);
    }
    const perRow = pairs.map((p) => boundValues(q.groups, p[1], q.activity.length > 0));
    const spineBounds: Record<string, number[]> = {};
    for (const name of Object.keys(perRow[0]))
      spineBounds[`spine_${name}`] = perRow.map((b) => b[name]);
    const rows = await queryRows<Row>(this.client, q.sql, {
      ...spineBounds,
      spine_ids: pairs.map((p) => p[0]),
      spine_ts: pairs.map((p) => p[1]),
      keys,
      lo: Math.floor(lo / 1000),
      hi: Math.floor(hi / 1000),
    });
    const { aggs, activity } = collect(q, rows, (r) => `\u0000${Number(r.at_ms)}`);
    return spine.map((s) => {
      const atMs = Math.floor(s.atMs);
      const key = `${s.id}\u0000${atMs}`;
      return {
        id: s.id,
        atMs,
        features: this.values(entity, aggs.get(key), atMs, activity.get(key)),
      };
    });
  }

  private values(
    entity: EntityKind,
    aggs: Map<string, number> | undefined,
    tMs: number,
    activity: Activity | undefined,
  ): FeatureValues {
    const out: FeatureValues = {};
    const c = this.compiled.get(entity)!;
    const vals = c.aliases.map((a) => aggs?.get(a) ?? 0);
    const act = activity ?? NO_ACTIVITY;
    evaluateFeatures(c.program, vals, tMs, act, out);
    return out;
  }
}

/** A feature list compiled against the aliases of its plan. */
interface Compiled {
  aliases: string[];
  program: FeatureProgram;
}

function compiledFor(entity: EntityKind, fs: readonly FeatureDef[]): Compiled {
  const aliases = plan(entity, fs).flatMap((g) => g.aggs.map((a) => a.alias));
  const at = new Map(aliases.map((a, i) => [a, i]));
  return { aliases, program: compileFeatures(fs, (alias) => at.get(alias) ?? -1) };
}

/** Rows of the UNION (one per rollup table and entity[, t]) → aggregates by alias, per entity[, t]. */
function collect(
  q: GeneratedQuery,
  rows: Row[],
  suffix: (r: Row) => string,
): { aggs: Map<string, Map<string, number>>; activity: Map<string, Activity> } {
  const aggs = new Map<string, Map<string, number>>();
  const activity = new Map<string, Activity>();
  for (const r of rows) {
    const key = `${r.k}${suffix(r)}`;
    const src = Number(r.src);
    if (src === ACTIVITY_SRC.click || src === ACTIVITY_SRC.order) {
      const a = activity.get(key) ?? { clicks: [], orders: [] };
      const vals = r.vals.map(Number);
      activity.set(
        key,
        src === ACTIVITY_SRC.click ? { ...a, clicks: vals } : { ...a, orders: vals },
      );
      continue;
    }
    let m = aggs.get(key);
    if (!m) aggs.set(key, (m = new Map<string, number>()));
    const order = q.orders[src];
    for (let i = 0; i < order.length; i++) m.set(order[i], Number(r.vals[i]));
  }
  return { aggs, activity };
}
