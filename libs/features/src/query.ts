import {
  ROLLUPS,
  findMeasure,
  findRollup,
  GRANULARITY_SECONDS,
  mergeExpr,
  rollupTable,
  type EntityKind,
  type Granularity,
  type MeasureKind,
  type SourceKind,
} from './rollups';
import {
  DAY_MS,
  isSessionBased,
  LIFETIME,
  measureRefs,
  WINDOW_SECONDS,
  type FeatureDef,
  type MeasureRef,
  type SessionStat,
  type WindowName,
} from './catalog';
import {
  perSession,
  sessionGapSeconds,
  sessionStats,
  sessionValue,
  type Activity,
  type SessionStats,
} from './sessions';

/**
 * SQL generation. Both query shapes come from the same pieces ({@link windowBoundsMs} for the bounds,
 * {@link windowCond}, {@link mergeExpr}, {@link featureExpr}), so the online lookup and the training-set
 * builder cannot drift:
 *  - online:  many keys, one `t`: `{keys:Array(String)}`, `{t:Int64}` (ms) and one DateTime parameter
 *    per bound (`{s_<window>_<g>:DateTime}`, `{e_<g>:DateTime}`), primary-key IN lookup;
 *  - point-in-time: a spine of (key, t) rows (`{spine_ids:Array(String)}`, `{spine_ts:Array(Int64)}`)
 *    with each row's bounds as parallel arrays (`{spine_s_<window>_<g>:Array(DateTime)}`, ...).
 * Window semantics (docs/features.md): with g the feature's bucket size and E = floor(t / g) · g,
 * a window W covers the buckets [E − W, E): only events with ts < E ≤ t are used.
 */

/**
 * Left edge of the lifetime window (epoch) in TypeScript; the SQL has no left bound for it at all
 * (every bucket the rollups hold before the end bound).
 */
export const LIFETIME_START_MS = 0;

/**
 * Bounds of window `w` answered at granularity `g` for time `tMs`: [start, end) in ms. The lifetime
 * window starts at {@link LIFETIME_START_MS}.
 */
export function windowBoundsMs(tMs: number, g: Granularity, w: WindowName): [number, number] {
  const gm = GRANULARITY_SECONDS[g] * 1000;
  const end = Math.floor(tMs / gm) * gm;
  return [w === LIFETIME ? LIFETIME_START_MS : end - WINDOW_SECONDS[w] * 1000, end];
}

export const startName = (w: WindowName, g: Granularity) => `s_${w}_${g}`;
export const endName = (g: Granularity) => `e_${g}`;

/** `bucket` in [start, end); `ref` turns a bound name into SQL (a parameter or a spine column). */
export function windowCond(
  bucket: string,
  w: WindowName,
  g: Granularity,
  ref: (name: string) => string,
): string {
  const end = `${bucket} < ${ref(endName(g))}`;
  return w === LIFETIME ? end : `${bucket} >= ${ref(startName(w, g))} AND ${end}`;
}

/**
 * The minute-bucket activity the session features read covers [E_1h − 28d, E_1m): every window of
 * every session feature lies inside it (≤ 24 h windows end at E_1m, 7d/28d windows at E_1h).
 */
export const ACTIVITY_BOUNDS = { start: startName('28d', '1h'), end: endName('1m') } as const;

/** Every bound the plan needs, in seconds, for time `tMs` (`activity`: the session bounds too). */
export function boundValues(
  groups: TableGroup[],
  tMs: number,
  activity = false,
): Record<string, number> {
  const needed: { window: WindowName; g: Granularity }[] = groups.flatMap((grp) => [
    ...grp.aggs,
    { window: grp.maxWindow, g: grp.g },
  ]);
  if (activity) needed.push({ window: '28d', g: '1h' }, { window: '24h', g: '1m' });
  const out: Record<string, number> = {};
  for (const a of needed) {
    const [s, e] = windowBoundsMs(tMs, a.g, a.window);
    if (a.window !== LIFETIME) out[startName(a.window, a.g)] = s / 1000; // lifetime: no left bound
    out[endName(a.g)] = e / 1000;
  }
  return out;
}

interface BaseAgg {
  alias: string;
  ref: MeasureRef;
  kind: MeasureKind;
  window: WindowName;
  g: Granularity;
}

export interface TableGroup {
  /**
   * Lifetime aggregates get a branch of their own (`lifetime`), so that the sliding windows' branch of
   * the same rollup keeps reading only its last 28 days (and not every state column of every bucket).
   */
  lifetime: boolean;
  source: SourceKind;
  g: Granularity;
  table: string;
  keyColumn: string;
  aggs: BaseAgg[];
  maxWindow: WindowName;
}

export function aggAlias(ref: MeasureRef, w: WindowName, g: Granularity): string {
  return `a_${ref.source}_${ref.measure}_${w}_${g}`;
}

/** Groups the base aggregates the features need by rollup table. */
/**
 * The (measure, window, granularity) aggregates a feature reads. Recency (`seconds_since`, declared
 * as a 28 d look-back at minute precision) reads the latest time from minute buckets over the last
 * 24 h and from hour buckets over 28 d, so no 28-day scan of a minute rollup is needed: together they
 * cover [E_1h − 28d, E_1m).
 */
export function aggSpecs(f: FeatureDef): { ref: MeasureRef; window: WindowName; g: Granularity }[] {
  if (f.aggregation.kind === 'seconds_since')
    return [
      { ref: f.aggregation.of, window: '24h', g: '1m' },
      { ref: f.aggregation.of, window: '28d', g: '1h' },
    ];
  return measureRefs(f.aggregation).map((ref) => ({ ref, window: f.window, g: f.granularity }));
}

export function plan(entity: EntityKind, features: readonly FeatureDef[]): TableGroup[] {
  const groups = new Map<string, TableGroup>();
  for (const f of features) {
    if (f.entity !== entity) throw new Error(`feature ${f.name} is not a ${entity} feature`);
    for (const { ref, window, g } of aggSpecs(f)) {
      const spec = findRollup(entity, ref.source);
      const table = rollupTable(entity, ref.source, g);
      const lifetime = window === LIFETIME;
      const groupKey = lifetime ? `${table}/${LIFETIME}` : table;
      let grp = groups.get(groupKey);
      if (!grp) {
        grp = {
          lifetime,
          source: ref.source,
          g,
          table,
          keyColumn: spec.keyColumn,
          aggs: [],
          maxWindow: window,
        };
        groups.set(groupKey, grp);
      }
      if (WINDOW_SECONDS[window] > WINDOW_SECONDS[grp.maxWindow]) grp.maxWindow = window;
      const alias = aggAlias(ref, window, g);
      const kind = findMeasure(spec, ref.measure).kind;
      // a lifetime branch reads exactly its window (WHERE = window), so min over it is never empty
      if (kind === 'min_ts' && !lifetime)
        throw new Error(
          `${f.name}: earliest-time measures are read over the lifetime window or by the session features only`,
        );
      if (!grp.aggs.some((a) => a.alias === alias)) grp.aggs.push({ alias, ref, kind, window, g });
    }
  }
  return [...groups.values()];
}

/**
 * The `vals` array of one branch and the alias of each element. Within a rollup table every window
 * shares the end bound (the table's granularity), which the branch's WHERE applies; so an aggregate
 * only needs `bucket >= start`. Additive and max measures over several windows become ONE
 * `-ForEach` aggregate over the array of window starts (far cheaper to plan than one `-If` per
 * window); distinct and argMax measures use `-MergeIf` per window.
 */
function branchValues(
  grp: TableGroup,
  column: (measure: string) => string,
  bucket: string,
  bound: (name: string) => string,
  mode: AggMode,
): { sql: string; order: string[] } {
  const byMeasure = new Map<string, BaseAgg[]>();
  for (const a of grp.aggs) {
    const l = byMeasure.get(a.ref.measure) ?? [];
    l.push(a);
    byMeasure.set(a.ref.measure, l);
  }
  const parts: string[] = [];
  const order: string[] = [];
  for (const [measure, aggs] of byMeasure) {
    const kind = aggs[0].kind;
    const col = column(measure);
    if (grp.lifetime) {
      // one window, and the branch's WHERE is that window: plain merges, no condition, no bound
      parts.push(`[${aggs.map(() => asFloat(kind, mergeExpr(kind, col, undefined))).join(', ')}]`);
      for (const a of aggs) order.push(a.alias);
      continue;
    }
    const starts = `[${aggs.map((a) => bound(startName(a.window, a.g))).join(', ')}]`;
    const zero =
      kind === 'max_ts' || kind === 'min_ts'
        ? "toDateTime64(0, 3, 'UTC')"
        : kind === 'money'
          ? 'toDecimal128(0, 4)'
          : 'toUInt64(0)';
    if (mode === 'forEach' && (kind === 'sum' || kind === 'money' || kind === 'max_ts')) {
      const fn = kind === 'max_ts' ? 'maxForEach' : 'sumForEach';
      const conv = kind === 'max_ts' ? 'toFloat64(toUnixTimestamp64Milli(x))' : 'toFloat64(x)';
      parts.push(
        `arrayMap(x -> ${conv}, ${fn}(arrayMap(s -> if(${bucket} >= s, ${col}, ${zero}), ${starts})))`,
      );
    } else {
      parts.push(
        `[${aggs.map((a) => asFloat(kind, mergeExpr(kind, col, `${bucket} >= ${bound(startName(a.window, a.g))}`))).join(', ')}]`,
      );
    }
    for (const a of aggs) order.push(a.alias);
  }
  return { sql: parts.length === 1 ? parts[0] : `arrayConcat(${parts.join(',\n    ')})`, order };
}

/** An aggregate as Float64 (times as epoch ms), so every branch of the UNION has one array type. */
function asFloat(kind: MeasureKind, expr: string): string {
  return kind === 'max_ts' || kind === 'min_ts'
    ? `toFloat64(toUnixTimestamp64Milli(${expr}))`
    : `toFloat64(${expr})`;
}

/**
 * A feature's value from the merged aggregates of its window (`agg` returns 0 when the entity had no
 * bucket in that rollup). Shared by the online and the point-in-time path.
 */
export function featureValue(
  f: FeatureDef,
  agg: (alias: string) => number,
  tMs: number,
  activity: Activity = NO_ACTIVITY,
): number | null {
  const al = aliasesOf(f);
  const p = compileFeatures([f], (alias) => al.indexOf(alias));
  const out: Record<string, number | null> = {};
  evaluateFeatures(p, al.map(agg), tMs, activity, out);
  return out[f.name] ?? null;
}

const OP_TOTAL = 0;
const OP_MONEY = 1;
const OP_RATIO = 2;
const OP_LATEST = 3;
const OP_RECENCY = 4;
const OP_SESSION = 5;
const OP_DAYS_SINCE = 6;
const OP_DAYS_SINCE_FIRST = 7;
const OP_MEAN_INTERVAL = 8;
const OP_PER_SESSION = 9;
const OP_SESSION_GAP = 10;
/** The op of each session-based aggregation (they read the window's session statistics). */
const SESSION_OPS = {
  session: OP_SESSION,
  per_session: OP_PER_SESSION,
  session_gap: OP_SESSION_GAP,
} as const;

/** Epoch ms of the "no event" value of earliest-time measures (NO_EARLIEST, 2299-12-31). */
export const NO_EARLIEST_MS = Date.UTC(2299, 11, 31);

/** An earliest time read back from an aggregate: 0 (no bucket) and NO_EARLIEST mean none (NaN). */
function earliest(x: number): number {
  return x > 0 && x < NO_EARLIEST_MS ? x : NaN;
}
const STATS: readonly SessionStat[] = [
  'sessions',
  'mean_seconds',
  'abandoned_carts',
  'cart_abandonment',
];

/**
 * The derivation of a list of features, compiled once against the positions of their aggregates in a
 * values array (`index(alias)`; −1: absent, reads 0) and evaluated by {@link evaluateFeatures} — one
 * monomorphic loop instead of a closure per feature. Both serving tiers derive values through it.
 */
export interface FeatureProgram {
  names: string[];
  op: Uint8Array;
  /**
   * Operand positions (value, denominator / guard, recency's second look-back; mean_interval: count,
   * first, last; days_since_first: up to three earliest times).
   */
  a0: Int32Array;
  a1: Int32Array;
  a2: Int32Array;
  /** Session features: window (granularity ms, span ms) and statistic. */
  gm: Float64Array;
  span: Float64Array;
  stat: Uint8Array;
}

export function compileFeatures(
  features: readonly FeatureDef[],
  index: (alias: string) => number,
): FeatureProgram {
  const n = features.length;
  const p: FeatureProgram = {
    names: features.map((f) => f.name),
    op: new Uint8Array(n),
    a0: new Int32Array(n).fill(-1),
    a1: new Int32Array(n).fill(-1),
    a2: new Int32Array(n).fill(-1),
    gm: new Float64Array(n),
    span: new Float64Array(n),
    stat: new Uint8Array(n),
  };
  features.forEach((f, k) => {
    const a = f.aggregation;
    const at = aliasesOf(f).map(index);
    p.a0[k] = at[0] ?? -1;
    p.a1[k] = at[1] ?? -1;
    p.a2[k] = at[2] ?? -1;
    if (at.length > 3) throw new Error(`${f.name}: at most three operands`);
    switch (a.kind) {
      case 'total':
        p.op[k] = f.type === 'money' ? OP_MONEY : OP_TOTAL;
        break;
      case 'ratio':
        p.op[k] = OP_RATIO;
        break;
      case 'latest':
        p.op[k] = OP_LATEST;
        break;
      case 'seconds_since':
        if (at.length !== 2) throw new Error(`${f.name}: recency reads two look-backs`);
        p.op[k] = OP_RECENCY;
        break;
      case 'session':
      case 'per_session':
      case 'session_gap':
        p.op[k] = SESSION_OPS[a.kind];
        p.gm[k] = GRANULARITY_SECONDS[f.granularity] * 1000;
        p.span[k] = WINDOW_SECONDS[f.window] * 1000;
        if (a.kind === 'session') p.stat[k] = STATS.indexOf(a.stat);
        break;
      case 'days_since':
        p.op[k] = OP_DAYS_SINCE;
        break;
      case 'days_since_first':
        if (at.length === 0) throw new Error(`${f.name}: days_since_first reads at least one time`);
        p.op[k] = OP_DAYS_SINCE_FIRST;
        break;
      case 'mean_interval':
        p.op[k] = OP_MEAN_INTERVAL;
        break;
    }
  });
  return p;
}

/**
 * Evaluates a program into `out[offset .. offset + p.names.length)` (catalog order), NaN where the
 * feature's value is null (a ratio with a zero denominator, no event to measure recency from, …).
 */
export function evaluateInto(
  p: FeatureProgram,
  vals: ArrayLike<number>,
  tMs: number,
  activity: Activity,
  out: Float64Array,
  offset: number,
): void {
  const v = (i: number) => (i < 0 ? 0 : (vals[i] ?? 0));
  // the session statistics of each distinct window, computed once per evaluation
  let memo: { s: number; e: number; stats: SessionStats }[] | undefined;
  const sessionsOf = (k: number): SessionStats => {
    const e = Math.floor(tMs / p.gm[k]) * p.gm[k]; // = windowBoundsMs(t, g, window)
    const s = e - p.span[k];
    memo ??= [];
    for (const m of memo) if (m.s === s && m.e === e) return m.stats;
    const stats = sessionStats(activity, s, e);
    memo.push({ s, e, stats });
    return stats;
  };
  for (let k = 0; k < p.names.length; k++) {
    let x: number;
    switch (p.op[k]) {
      case OP_TOTAL:
        x = v(p.a0[k]);
        break;
      case OP_MONEY:
        x = Math.round(v(p.a0[k]) * 10_000) / 10_000;
        break;
      case OP_RATIO: {
        const d = v(p.a1[k]);
        x = d > 0 ? v(p.a0[k]) / d : NaN;
        break;
      }
      case OP_LATEST:
        x = v(p.a1[k]) > 0 ? v(p.a0[k]) : NaN;
        break;
      case OP_RECENCY: {
        const last = Math.max(v(p.a0[k]), v(p.a1[k]));
        x = last > 0 ? (tMs - last) / 1000 : NaN;
        break;
      }
      case OP_DAYS_SINCE: {
        const last = v(p.a0[k]);
        x = last > 0 ? (tMs - last) / DAY_MS : NaN;
        break;
      }
      case OP_DAYS_SINCE_FIRST: {
        // the earliest of the operands that hold a time (NaN compares false: skipped)
        let first = Infinity;
        const e0 = p.a0[k] < 0 ? NaN : earliest(v(p.a0[k]));
        const e1 = p.a1[k] < 0 ? NaN : earliest(v(p.a1[k]));
        const e2 = p.a2[k] < 0 ? NaN : earliest(v(p.a2[k]));
        if (e0 < first) first = e0;
        if (e1 < first) first = e1;
        if (e2 < first) first = e2;
        x = first < Infinity ? (tMs - first) / DAY_MS : NaN;
        break;
      }
      case OP_MEAN_INTERVAL: {
        const n = v(p.a0[k]);
        x = n >= 2 ? (v(p.a2[k]) - earliest(v(p.a1[k]))) / (n - 1) / DAY_MS : NaN;
        break;
      }
      case OP_PER_SESSION:
        x = perSession(v(p.a0[k]), sessionsOf(k)) ?? NaN;
        break;
      case OP_SESSION_GAP:
        x = sessionGapSeconds(v(p.a0[k]), sessionsOf(k)) ?? NaN;
        break;
      default:
        x = sessionValue(STATS[p.stat[k]], sessionsOf(k)) ?? NaN;
    }
    out[offset + k] = x;
  }
}

/** Evaluates a program into `out` (one property per feature, in catalog order; null for NaN). */
export function evaluateFeatures(
  p: FeatureProgram,
  vals: ArrayLike<number>,
  tMs: number,
  activity: Activity,
  out: Record<string, number | null>,
): void {
  const row = new Float64Array(p.names.length);
  evaluateInto(p, vals, tMs, activity, row, 0);
  for (let k = 0; k < row.length; k++) out[p.names[k]] = Number.isNaN(row[k]) ? null : row[k];
}

/** The aliases a feature reads, in the order featureValue uses them (computed once per feature). */
const ALIASES = new WeakMap<FeatureDef, string[]>();
function aliasesOf(f: FeatureDef): string[] {
  let al = ALIASES.get(f);
  if (!al) {
    al = aggSpecs(f).map((x) => aggAlias(x.ref, x.window, x.g));
    ALIASES.set(f, al);
  }
  return al;
}

export const NO_ACTIVITY: Activity = { clicks: [], orders: [] };

/** Branches with these `src` values carry a user's minute-bucket activity (session features). */
export const ACTIVITY_SRC = { click: 100, order: 101 } as const;

/** Which activity branches the features need. */
export function activityNeeds(features: readonly FeatureDef[]): ('click' | 'order')[] {
  const needs = new Set<'click' | 'order'>();
  for (const f of features)
    if (isSessionBased(f.aggregation)) {
      needs.add('click');
      // only the cart statistics look at order times; a per-session rate reads its rollup total
      if (f.aggregation.kind === 'session' && f.source.includes('order')) needs.add('order');
    }
  return [...needs];
}

/**
 * The merged minute buckets of one user (`ak`, `ab`, `av` = the flattened Activity element), over
 * `range` (a condition on `bucket`).
 */
/**
 * The user minute-rollup measures the session features read, in Activity element order after the
 * bucket start (sessions.ts): clicks [first, last, add-to-carts], orders [first, last] of buckets
 * with a placed order. One definition for the ClickHouse branches and the online tier.
 */
export const ACTIVITY_MEASURES = {
  click: { first: 'first_ts', last: 'last_ts', carts: 'n_add_to_cart' },
  order: { first: 'first_order_ts', last: 'last_order_ts', placed: 'n_orders' },
} as const;

function activityRows(kind: 'click' | 'order', range: string): string {
  const c = ACTIVITY_MEASURES.click;
  const o = ACTIVITY_MEASURES.order;
  const cols =
    kind === 'click'
      ? [
          `toUnixTimestamp64Milli(min(${c.first}))`,
          `toUnixTimestamp64Milli(max(${c.last}))`,
          `sum(${c.carts})`,
        ]
      : [`toUnixTimestamp64Milli(min(${o.first}))`, `toUnixTimestamp64Milli(max(${o.last}))`];
  return (
    `SELECT user_id AS ak, bucket AS ab, [toFloat64(toUnixTimestamp(bucket)) * 1000, ${cols.map((x) => `toFloat64(${x})`).join(', ')}] AS av\n` +
    `FROM ${rollupTable('user', kind, '1m')} WHERE user_id IN {keys:Array(String)} AND ${range}\n` +
    `GROUP BY user_id, bucket` +
    (kind === 'order' ? ` HAVING sum(${o.placed}) > 0` : '')
  );
}

const ACTIVITY_VALS = 'arrayFlatten(arraySort(x -> x[1], groupArray(av)))';

function onlineActivityBranch(kind: 'click' | 'order'): string {
  const range = `bucket >= {${ACTIVITY_BOUNDS.start}:DateTime} AND bucket < {${ACTIVITY_BOUNDS.end}:DateTime}`;
  return (
    `SELECT toUInt8(${ACTIVITY_SRC[kind]}) AS src, ak AS k, toInt64(0) AS at_ms, ${ACTIVITY_VALS} AS vals\n` +
    `FROM (${activityRows(kind, range)})\nGROUP BY ak`
  );
}

function pitActivityBranch(kind: 'click' | 'order', spine: string): string {
  const range =
    "bucket >= toDateTime({lo:Int64}, 'UTC') AND bucket < toDateTime({hi:Int64}, 'UTC')";
  return (
    `SELECT toUInt8(${ACTIVITY_SRC[kind]}) AS src, q.skey AS k, q.st AS at_ms, ` +
    `arrayFlatten(arraySort(x -> x[1], groupArray(r.av))) AS vals\n` +
    `FROM ${spine} AS q\nINNER JOIN (${activityRows(kind, range)}) AS r ON r.ak = q.skey\n` +
    `WHERE r.ab >= q.${ACTIVITY_BOUNDS.start} AND r.ab < q.${ACTIVITY_BOUNDS.end}\n` +
    'GROUP BY q.skey, q.st'
  );
}

export interface GeneratedQuery {
  sql: string;
  groups: TableGroup[];
  /** Activity branches (session features), `src` = ACTIVITY_SRC[kind]. */
  activity: ('click' | 'order')[];
  /** Per branch (`src`): the alias of each element of `vals`. */
  orders: string[][];
  /** Output feature names, in catalog order. */
  features: string[];
}

/**
 * Online shape: one UNION ALL branch per rollup table, each `(src, k, vals)` where `vals` holds the
 * group's aggregates in `groups[src].aggs` order; entities without buckets return no row (all zero).
 */
/**
 * How per-window aggregates are written: `forEach` (one `-ForEach` aggregate per measure: cheapest to
 * plan, best for a few entities) or `if` (one `-If` aggregate per measure and window: cheapest to
 * execute, best for large batches). Same values either way (tested).
 */
export type AggMode = 'forEach' | 'if';

export function onlineQuery(
  entity: EntityKind,
  features: readonly FeatureDef[],
  mode: AggMode = 'forEach',
  /** Add the existence branches (`src` >= KNOWN_SRC); off when the caller already knows. */
  existence = true,
): GeneratedQuery {
  const groups = plan(entity, features);
  const param = (name: string) => `{${name}:DateTime}`;
  const orders: string[][] = [];
  const branches = groups.map((grp, i) => {
    const v = branchValues(grp, (m) => m, 'bucket', param, mode);
    orders.push(v.order);
    return (
      `SELECT toUInt8(${i}) AS src, ${grp.keyColumn} AS k, toInt64(0) AS at_ms,\n  ${v.sql} AS vals\n` +
      `FROM ${grp.table}\n` +
      `WHERE ${grp.keyColumn} IN {keys:Array(String)} AND ${windowCond('bucket', grp.maxWindow, grp.g, param)}\n` +
      `GROUP BY ${grp.keyColumn}`
    );
  });
  // existence: any bucket before the end bound, in any of the entity's rollups (src >= KNOWN_SRC)
  const known = (existence ? knownTables(entity) : []).map(
    (x, j) =>
      `SELECT toUInt8(${KNOWN_SRC + j}) AS src, ${x.key} AS k, toInt64(0) AS at_ms, CAST([] AS Array(Float64)) AS vals\n` +
      `FROM ${x.table} WHERE ${x.key} IN {keys:Array(String)} AND bucket < {${endName(x.g)}:DateTime} LIMIT 1 BY ${x.key}`,
  );
  const activity = activityNeeds(features);
  return {
    sql: [...branches, ...activity.map(onlineActivityBranch), ...known].join('\nUNION ALL\n'),
    groups,
    activity,
    orders,
    features: features.map((f) => f.name),
  };
}

/** Branches with `src` at or above this report entity existence (online shape). */
export const KNOWN_SRC = 200;

function knownTables(entity: EntityKind): { table: string; key: string; g: Granularity }[] {
  const tables: { table: string; key: string; g: Granularity }[] = [];
  for (const source of ['click', 'order', 'inventory'] as const) {
    const spec = ROLLUPS.find((r) => r.entity === entity && r.source === source);
    if (!spec) continue;
    const g = spec.granularities[0];
    tables.push({ table: rollupTable(entity, source, g), key: spec.keyColumn, g });
  }
  return tables;
}

/**
 * Point-in-time shape: the same branches over a spine of (key, t) rows
 * (`{spine_ids:Array(String)}`, `{spine_ts:Array(Int64)}` and each row's bounds as parallel
 * `{spine_<bound>:Array(DateTime)}`); each row uses only buckets before its own t.
 * `{keys:Array(String)}`, `{lo:Int64}` and `{hi:Int64}` (seconds) only prune the rollup scan.
 */
export function pointInTimeQuery(
  entity: EntityKind,
  features: readonly FeatureDef[],
): GeneratedQuery {
  const groups = plan(entity, features);
  const activity = activityNeeds(features);
  const bounds = Object.keys(boundValues(groups, 0, activity.length > 0)).sort();
  const spine =
    '(SELECT {spine_ids:Array(String)}[i] AS skey, {spine_ts:Array(Int64)}[i] AS st' +
    bounds.map((b) => `, {spine_${b}:Array(DateTime)}[i] AS ${b}`).join('') +
    ' FROM (SELECT arrayJoin(arrayEnumerate({spine_ids:Array(String)})) AS i))';
  const col = (name: string) => `q.${name}`;
  const orders: string[][] = [];
  const branches = groups.map((grp, i) => {
    const v = branchValues(grp, (m) => `r.${m}`, 'r.bucket', col, 'if');
    orders.push(v.order);
    return (
      `SELECT toUInt8(${i}) AS src, q.skey AS k, q.st AS at_ms,\n  ${v.sql} AS vals\n` +
      `FROM ${spine} AS q\n` +
      `INNER JOIN (SELECT * FROM ${grp.table} WHERE ${grp.keyColumn} IN {keys:Array(String)}` +
      (grp.lifetime ? '' : ` AND bucket >= toDateTime({lo:Int64}, 'UTC')`) +
      ` AND bucket < toDateTime({hi:Int64}, 'UTC')) AS r` +
      ` ON r.${grp.keyColumn} = q.skey\n` +
      `WHERE ${windowCond('r.bucket', grp.maxWindow, grp.g, col)}\n` +
      'GROUP BY q.skey, q.st'
    );
  });
  return {
    sql: [...branches, ...activity.map((k) => pitActivityBranch(k, spine))].join('\nUNION ALL\n'),
    groups,
    activity,
    orders,
    features: features.map((f) => f.name),
  };
}
