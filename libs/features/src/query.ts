import {
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
import { WINDOW_SECONDS, type FeatureDef, type MeasureRef, type WindowName } from './catalog';

/**
 * SQL generation. Both query shapes come from the same pieces ({@link windowCond}, {@link mergeExpr},
 * {@link featureExpr}), so the online lookup and the training-set builder cannot drift:
 *  - online:  many keys, one `t` (`{keys:Array(String)}`, `{t:Int64}`), primary-key IN lookup;
 *  - point-in-time: a spine of (key, t) pairs (`{spine_ids:Array(String)}` zipped with `{spine_ts:Array(Int64)}`), each row
 *    with its own window bounds.
 * Window semantics (docs/features.md): with g the feature's bucket size and E = floor(t / g) · g,
 * a window W covers the buckets [E − W, E): only events with ts < E ≤ t are used.
 */

/** End of the window (exclusive) for event-time `t` (ms, SQL expression): start of t's bucket. */
export function windowEnd(tMs: string, g: Granularity): string {
  const s = GRANULARITY_SECONDS[g];
  return `toDateTime(intDiv(${tMs}, ${s * 1000}) * ${s}, 'UTC')`;
}
export function windowStart(tMs: string, g: Granularity, w: WindowName): string {
  const s = GRANULARITY_SECONDS[g];
  return `toDateTime(intDiv(${tMs}, ${s * 1000}) * ${s} - ${WINDOW_SECONDS[w]}, 'UTC')`;
}
export function windowCond(bucket: string, tMs: string, g: Granularity, w: WindowName): string {
  return `${bucket} >= ${windowStart(tMs, g, w)} AND ${bucket} < ${windowEnd(tMs, g)}`;
}

/** Same bounds in TypeScript (ms), for tests and pruning. */
export function windowBoundsMs(tMs: number, g: Granularity, w: WindowName): [number, number] {
  const gm = GRANULARITY_SECONDS[g] * 1000;
  const end = Math.floor(tMs / gm) * gm;
  return [end - WINDOW_SECONDS[w] * 1000, end];
}

interface BaseAgg {
  alias: string;
  ref: MeasureRef;
  kind: MeasureKind;
  window: WindowName;
  g: Granularity;
}

interface TableGroup {
  source: SourceKind;
  g: Granularity;
  table: string;
  keyColumn: string;
  aggs: BaseAgg[];
  maxWindow: WindowName;
}

function refsOf(f: FeatureDef): MeasureRef[] {
  const a = f.aggregation;
  return a.kind === 'ratio' ? [a.num, a.den] : a.kind === 'latest' ? [a.of, a.guard] : [a.of];
}

export function aggAlias(ref: MeasureRef, w: WindowName, g: Granularity): string {
  return `a_${ref.source}_${ref.measure}_${w}_${g}`;
}

/** Groups the base aggregates the features need by rollup table. */
export function plan(entity: EntityKind, features: readonly FeatureDef[]): TableGroup[] {
  const groups = new Map<string, TableGroup>();
  for (const f of features) {
    if (f.entity !== entity) throw new Error(`feature ${f.name} is not a ${entity} feature`);
    for (const ref of refsOf(f)) {
      const spec = findRollup(entity, ref.source);
      const table = rollupTable(entity, ref.source, f.granularity);
      let grp = groups.get(table);
      if (!grp) {
        grp = {
          source: ref.source,
          g: f.granularity,
          table,
          keyColumn: spec.keyColumn,
          aggs: [],
          maxWindow: f.window,
        };
        groups.set(table, grp);
      }
      if (WINDOW_SECONDS[f.window] > WINDOW_SECONDS[grp.maxWindow]) grp.maxWindow = f.window;
      const alias = aggAlias(ref, f.window, f.granularity);
      if (!grp.aggs.some((a) => a.alias === alias))
        grp.aggs.push({
          alias,
          ref,
          kind: findMeasure(spec, ref.measure).kind,
          window: f.window,
          g: f.granularity,
        });
    }
  }
  return [...groups.values()];
}

/** The outer expression of one feature over the merged aggregates (table alias `s<i>`). */
export function featureExpr(f: FeatureDef, col: (ref: MeasureRef) => string, tMs: string): string {
  const a = f.aggregation;
  switch (a.kind) {
    case 'total': {
      const v = col(a.of);
      return f.type === 'money' ? `round(toFloat64(${v}), 4)` : `toFloat64(${v})`;
    }
    case 'ratio': {
      const n = col(a.num);
      const d = col(a.den);
      return `if(${d} > 0, toFloat64(${n}) / toFloat64(${d}), NULL)`;
    }
    case 'latest':
      return `if(${col(a.guard)} > 0, toFloat64(${col(a.of)}), NULL)`;
    case 'seconds_since': {
      const v = col(a.of);
      return `if(toUnixTimestamp64Milli(${v}) > 0, (${tMs} - toUnixTimestamp64Milli(${v})) / 1000, NULL)`;
    }
  }
}

export interface GeneratedQuery {
  sql: string;
  /** Output column names, in catalog order. */
  features: string[];
}

function outerSelect(
  groups: TableGroup[],
  features: readonly FeatureDef[],
  tMs: string,
): { cols: string; colOf: (f: FeatureDef) => (ref: MeasureRef) => string } {
  const colOf = (f: FeatureDef) => (ref: MeasureRef) => {
    const alias = aggAlias(ref, f.window, f.granularity);
    const i = groups.findIndex((g) => g.aggs.some((x) => x.alias === alias));
    return `s${i}.${alias}`;
  };
  const cols = features.map((f) => `  ${featureExpr(f, colOf(f), tMs)} AS ${f.name}`).join(',\n');
  return { cols, colOf };
}

/** Online shape: features of many entities at one time `{t:Int64}` (ms) for `{keys:Array(String)}`. */
export function onlineQuery(entity: EntityKind, features: readonly FeatureDef[]): GeneratedQuery {
  const groups = plan(entity, features);
  const t = '{t:Int64}';
  const subs = groups.map((grp, i) => {
    const aggs = grp.aggs
      .map(
        (a) =>
          `    ${mergeExpr(a.kind, a.ref.measure, windowCond('bucket', t, a.g, a.window))} AS ${a.alias}`,
      )
      .join(',\n');
    return (
      `LEFT JOIN (\n  SELECT ${grp.keyColumn} AS k${i},\n${aggs}\n  FROM ${grp.table}\n` +
      `  WHERE ${grp.keyColumn} IN {keys:Array(String)} AND ${windowCond('bucket', t, grp.g, grp.maxWindow)}\n` +
      `  GROUP BY ${grp.keyColumn}\n) AS s${i} ON s${i}.k${i} = e.entity_key`
    );
  });
  const { cols } = outerSelect(groups, features, t);
  return {
    sql:
      `SELECT e.entity_key AS entity_key,\n${cols}\n` +
      `FROM (SELECT arrayJoin({keys:Array(String)}) AS entity_key) AS e\n${subs.join('\n')}\n` +
      'SETTINGS join_use_nulls = 0',
    features: features.map((f) => f.name),
  };
}

/**
 * Point-in-time shape: one row per (key, t) of `{spine_ids}` × `{spine_ts}` (zipped); each row uses
 * only buckets before its own t. `{keys:Array(String)}`, `{lo:Int64}` and `{hi:Int64}` (seconds) only
 * prune the rollup scan.
 */
export function pointInTimeQuery(
  entity: EntityKind,
  features: readonly FeatureDef[],
): GeneratedQuery {
  const groups = plan(entity, features);
  const spine =
    '(SELECT tupleElement(p, 1) AS skey, tupleElement(p, 2) AS st FROM (SELECT arrayJoin(arrayZip({spine_ids:Array(String)}, {spine_ts:Array(Int64)})) AS p))';
  const subs = groups.map((grp, i) => {
    const aggs = grp.aggs
      .map(
        (a) =>
          `    ${mergeExpr(a.kind, `r.${a.ref.measure}`, windowCond('r.bucket', 'q.st', a.g, a.window))} AS ${a.alias}`,
      )
      .join(',\n');
    return (
      `LEFT JOIN (\n  SELECT q.skey AS k${i}, q.st AS t${i},\n${aggs}\n  FROM ${spine} AS q\n` +
      `  INNER JOIN (SELECT * FROM ${grp.table} WHERE ${grp.keyColumn} IN {keys:Array(String)}` +
      ` AND bucket >= toDateTime({lo:Int64}, 'UTC') AND bucket < toDateTime({hi:Int64}, 'UTC')) AS r` +
      ` ON r.${grp.keyColumn} = q.skey\n` +
      `  WHERE ${windowCond('r.bucket', 'q.st', grp.g, grp.maxWindow)}\n` +
      `  GROUP BY q.skey, q.st\n) AS s${i} ON s${i}.k${i} = e.skey AND s${i}.t${i} = e.st`
    );
  });
  const { cols } = outerSelect(groups, features, 'e.st');
  return {
    sql:
      `SELECT e.skey AS entity_key, e.st AS at_ms,\n${cols}\n` +
      `FROM ${spine} AS e\n${subs.join('\n')}\n` +
      'SETTINGS join_use_nulls = 0',
    features: features.map((f) => f.name),
  };
}

/** Which keys have any event before `{t:Int64}` (in any of the entity's rollups). */
export function knownQuery(entity: EntityKind): string {
  const tables: { table: string; key: string; g: Granularity }[] = [];
  for (const source of ['click', 'order', 'inventory'] as const) {
    let spec;
    try {
      spec = findRollup(entity, source);
    } catch {
      continue;
    }
    const g = spec.granularities[0];
    tables.push({ table: rollupTable(entity, source, g), key: spec.keyColumn, g });
  }
  const parts = tables.map(
    (x) =>
      `SELECT ${x.key} AS known_key FROM ${x.table} WHERE ${x.key} IN {keys:Array(String)} AND bucket < ${windowEnd('{t:Int64}', x.g)} LIMIT 1 BY ${x.key}`,
  );
  return `SELECT DISTINCT known_key FROM (${parts.join(' UNION ALL ')})`;
}
