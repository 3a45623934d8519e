// @ts-check
// The reviewed allow-list of storepulse/no-sql-interpolation (eslint-rules/no-sql-interpolation.mjs):
// per file, the interpolated expressions (source text) that are not input, with the reason. Adding
// an entry is a review decision: say why the value cannot come from a request, a message or a file.

/**
 * @param {string} reason
 * @param {string[]} exprs
 * @returns {Record<string, string>}
 */
const byReason = (reason, exprs) => Object.fromEntries(exprs.map((e) => [e, reason]));

/** @type {Record<string, Record<string, string>>} */
export const SQL_ALLOW_LIST = {
  'apps/aggregator/src/ingest/ingest.service.ts': byReason(
    'the raw table of the chunk, from RAW_TABLE_BY_TOPIC (a fixed set), never from input',
    ['chunk.table'],
  ),
  'libs/clickhouse/src/client.ts': byReason(
    'CLICKHOUSE_DATABASE, validated once as an identifier ([A-Za-z_][A-Za-z0-9_]*) in libs/config',
    ['cfg.database'],
  ),
  'libs/clickhouse/src/migrations.ts': byReason(
    'the migration lock comment (holder = host name sanitised to [A-Za-z0-9._-], pid, uuid; Date.now()) and TTL days (integers from validated RAW_TTL_DAYS / DEDUP_WINDOW_MS)',
    ['holder', 'Date.now()', 'rawTtlDays', 'days'],
  ),
  'libs/features/src/backfill.ts': byReason(
    'rollup tables and SQL generated from the constant ROLLUPS specs; the day bounds are formatted from numbers (toChDateTime64)',
    ['table', 'spec.rawTable', 'where', 'rollupSelect(spec, g, where)'],
  ),
  'libs/features/src/online.ts': byReason(
    'the online tier warm-up: columns and tables generated from the constant ROLLUPS specs',
    ["exprs.join(', ')", "rollupTable('user', buckets.spec.source, '1h')"],
  ),
  'libs/features/src/query.ts': byReason(
    'feature queries generated from the constant ROLLUPS / feature specs (tables, key columns, window conditions, parameter names); keys and times are {name:Type} parameters',
    [
      "rollupTable('user', kind, '1m')",
      'range',
      'grp.keyColumn',
      "windowCond('bucket', grp.maxWindow, grp.g, param)",
      'x.table',
      'x.key',
      'endName(x.g)',
      'grp.table',
    ],
  ),
  'libs/features/src/reconcile.ts': byReason(
    'reconciliation SQL generated from the constant ROLLUPS specs (tables, key columns, measures, bucket expressions)',
    [
      'spec.keyColumn',
      'bucketExpr(g)',
      'spec.rawTable',
      'chunkWhere(spec)',
      'buckets',
      'key',
      "spec.measures.map(current).join(', ')",
      'table',
      'touched',
      'touchedSql(spec, g)',
      'sql',
      "[spec.keyColumn, 'bucket', ...spec.measures.map((m) => m.name)].join(', ')",
    ],
  ),
  'libs/features/src/retention.ts': byReason(
    'rollup tables from the constant ROLLUPS specs; TTL days from validated FEATURES_ROLLUP_TTL_DAYS (integer)',
    ['table', 'ttlDays'],
  ),
  'libs/features/src/rollups.ts': byReason(
    'DDL generated from the constant ROLLUPS specs (tables, views, columns, measure types)',
    [
      'table',
      "cols.join(',\\n')",
      'viewName(table)',
      'rollupSelect(spec, g, undefined, 6)',
      'm.name',
      'columnType(m.kind)',
      'rollupSelect(spec, g, undefined, version)',
    ],
  ),
  'libs/features/src/verify.ts': byReason(
    'verification SQL generated from the constant ROLLUPS specs',
    ["hashed.join(', ')", 'spec.keyColumn', "merged.join(', ')", 'from', 'table'],
  ),
  'libs/ml/src/registry/registry.ts': byReason(
    "the WHERE clause joins constant fragments ('name = {name:String}', 'kind = {kind:String}'); values are parameters",
    ["where.length ? `WHERE ${where.join(' AND ')}` : ''"],
  ),
};
