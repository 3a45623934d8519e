// The Demand page's view-models: pure functions from what the demand reads return (forecast rows,
// daily actuals, registry versions and events, replenishment rows) to the DTOs the page renders.
// No I/O here; the controller and the repository (../demand-reads.ts) do that.
import {
  DEMAND_MODEL_NAME,
  type ModelEvent,
  type ModelStatus,
  type ModelVersion,
} from '@storepulse/ml';

/** Days of actuals shown before the forecast origin. */
export const DEFAULT_ACTUAL_DAYS = 56;
/** Statistical baselines of a demand model version (the rest are the models they are compared to). */
export const DEMAND_BASELINES: readonly string[] = ['seasonal_naive', 'auto_ets', 'croston', 'tsb'];
/** The metric columns of the backtest table, in order. */
export const BACKTEST_METRICS = [
  'wape',
  'mase',
  'wql10',
  'wql50',
  'wql90',
  'meanWql',
  'coverage80',
  'bias',
] as const;
export type BacktestMetric = (typeof BACKTEST_METRICS)[number];

// ---- inputs (what the repository returns) --------------------------------------------------

/** The latest stored forecast of one SKU (a demand_forecasts row). */
export interface DemandForecastRow {
  forecastId: string;
  sku: string;
  category: string;
  /** YYYY-MM-DD, the first forecast day in `timeZone`. */
  origin: string;
  /** ISO-8601 UTC. */
  generatedAt: string;
  modelName: string;
  modelVersion: number;
  method: string;
  coldStart: boolean;
  timeZone: string;
  dates: string[];
  p10: number[];
  p50: number[];
  p90: number[];
}

/** Units of order_placed on one day (shop zone); days without sales may be absent. */
export interface DailyUnits {
  date: string;
  units: number;
}

/** One SKU of the picker: the P50 volume of its latest forecast. */
export interface SkuVolume {
  sku: string;
  category: string;
  origin: string;
  /** Σ p50 over the latest forecast's horizon, in units. */
  volume: number;
  horizonDays: number;
}

/** The latest replenishment recommendation of a SKU (a replenishment_recommendations row). */
export interface RecommendationRow {
  sku: string;
  category: string;
  /** ISO-8601 UTC. */
  generatedAt: string;
  action: 'reorder' | 'ok' | 'overstock';
  recommendedOrderQty: number;
  onHand: number;
  onOrder: number;
  reorderPoint: number;
  /** YYYY-MM-DD or null (no stock-out within the horizon). */
  projectedStockout: string | null;
  modelVersion: number;
  safetyStock: number | null;
  leadTimeDays: number | null;
}

// ---- DTOs (what the JSON endpoints answer) --------------------------------------------------

export interface SkuPickerDto {
  /** The SKUs with the largest forecast volume (P50 over the horizon), largest first. */
  top: SkuVolume[];
  /** With `q`: the SKUs whose id contains it (case-insensitive), by volume; null without `q`. */
  matches: SkuVolume[] | null;
  query: string | null;
}

export interface FanChartDto {
  sku: string;
  category: string;
  origin: string;
  generatedAt: string;
  forecastId: string;
  model: { name: string; version: number; method: string };
  coldStart: boolean;
  timeZone: string;
  /** Dates of the chart's x axis: `actualDays` days before the origin, then the horizon. */
  labels: string[];
  /** Per label: units sold (zero-filled) before the origin, null over the horizon. */
  actuals: (number | null)[];
  /** Per label: null before the origin, the quantile over the horizon. */
  p10: (number | null)[];
  p50: (number | null)[];
  p90: (number | null)[];
  totals: { actualUnits: number; actualDays: number; p50Units: number; horizonDays: number };
  /** The SKU's latest replenishment recommendation, or null. */
  recommendation: RecommendationRow | null;
}

export type BacktestRole = 'champion' | 'baseline' | 'model';

export interface BacktestRowDto extends Record<BacktestMetric, number> {
  method: string;
  role: BacktestRole;
  /** (meanWql − champion's meanWql) / champion's meanWql; 0 for the champion. */
  meanWqlVsChampion: number | null;
}

export interface BacktestDto {
  version: number;
  status: ModelStatus;
  champion: string;
  origins: number | null;
  horizonDays: number | null;
  skus: number | null;
  /** The champion first, then the other methods by mean wQL (best first). */
  rows: BacktestRowDto[];
}

export interface DemandVersionDto {
  version: number;
  status: ModelStatus;
  createdAt: string;
  updatedAt: string;
  parentVersion: number | null;
  /** The method the version forecasts with, or null when its metrics are unreadable. */
  method: string | null;
  meanWql: number | null;
  /** Why the version's metrics could not be read as DemandModelMetrics; null when they could. */
  metricsError: string | null;
}

export interface DemandModelDto {
  name: string;
  /** The registry champion's version, or null. */
  championVersion: number | null;
  /** Newest first. */
  versions: DemandVersionDto[];
  /** The backtest of the requested version (default: the champion, else the newest readable). */
  backtest: BacktestDto | null;
  /** Promotions, rejections, rollbacks of the demand model, newest first. */
  events: ModelEvent[];
}

export interface ReorderRowDto {
  sku: string;
  category: string;
  recommendedOrderQty: number;
  onHand: number;
  onOrder: number;
  reorderPoint: number;
  safetyStock: number | null;
  leadTimeDays: number | null;
  projectedStockout: string | null;
  /** Days from `today` to the projected stock-out (negative: already out), null when none. */
  daysToStockout: number | null;
  generatedAt: string;
  modelVersion: number;
}

export interface ReorderDto {
  /** The UTC date the days-to-stock-out are counted from. */
  today: string;
  /** action = reorder, earliest projected stock-out first (none last), then by SKU. */
  rows: ReorderRowDto[];
}

// ---- input errors --------------------------------------------------------------------------

/** A request parameter the endpoints cannot use: the controller answers 400 with the message. */
export class DemandQueryError extends Error {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = 'DemandQueryError';
  }
}

/** An optional integer query parameter within [min, max]; `fallback` when absent or empty. */
export function parseIntParam(
  field: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw))
    throw new DemandQueryError(field, `${JSON.stringify(raw)} is not an integer`);
  const n = Number(raw);
  if (n < min || n > max)
    throw new DemandQueryError(field, `${n} must be between ${min} and ${max}`);
  return n;
}

/** A SKU id from the path: 1–128 printable characters. */
export function parseSku(raw: string): string {
  if (raw.length === 0) throw new DemandQueryError('sku', 'must not be empty');
  if (raw.length > 128)
    throw new DemandQueryError('sku', `is ${raw.length} characters long; at most 128`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(raw))
    throw new DemandQueryError('sku', 'must not contain control characters');
  return raw;
}

/** The optional search text of the SKU picker: trimmed, at most 64 characters, null when empty. */
export function parseSearch(raw: string | undefined): string | null {
  const q = (raw ?? '').trim();
  if (q === '') return null;
  if (q.length > 64) throw new DemandQueryError('q', `is ${q.length} characters long; at most 64`);
  return q;
}

// ---- dates ---------------------------------------------------------------------------------

const DAY_MS = 86_400_000;

/** Days since 1970-01-01 of a calendar date YYYY-MM-DD (zone-free calendar arithmetic). */
export function dayNumber(date: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) throw new RangeError(`${JSON.stringify(date)} is not a date YYYY-MM-DD`);
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (new Date(ms).toISOString().slice(0, 10) !== date)
    throw new RangeError(`${JSON.stringify(date)} is not a calendar date`);
  return ms / DAY_MS;
}

/** The calendar date YYYY-MM-DD `n` days since 1970-01-01. */
export function dateOfDay(n: number): string {
  return new Date(n * DAY_MS).toISOString().slice(0, 10);
}

// ---- view-models ---------------------------------------------------------------------------

/**
 * The fan chart of one SKU: `actualDays` zero-filled days of actuals before the origin, then the
 * forecast's P10/P50/P90. Throws when the stored forecast is malformed (arrays of different
 * lengths, crossing quantiles, non-consecutive dates): that is corrupt data, not a user error.
 */
export function fanChart(
  f: DemandForecastRow,
  actuals: readonly DailyUnits[],
  actualDays: number,
  recommendation: RecommendationRow | null,
): FanChartDto {
  const n = f.dates.length;
  const where = `forecast ${f.forecastId} of ${f.sku}`;
  if (n === 0) throw new Error(`${where}: empty horizon`);
  for (const [k, a] of [
    ['p10', f.p10],
    ['p50', f.p50],
    ['p90', f.p90],
  ] as const)
    if (a.length !== n) throw new Error(`${where}: ${k} has ${a.length} values for ${n} dates`);
  const origin = dayNumber(f.origin);
  for (let i = 0; i < n; i++) {
    const date = f.dates[i];
    if (dayNumber(date) !== origin + i)
      throw new Error(`${where}: dates[${i}] is ${date}, expected ${dateOfDay(origin + i)}`);
    const [lo, mid, hi] = [f.p10[i], f.p50[i], f.p90[i]];
    if (!(lo <= mid && mid <= hi))
      throw new Error(`${where}: quantiles cross on ${date} (p10 ${lo}, p50 ${mid}, p90 ${hi})`);
  }
  const byDay = new Map<number, number>();
  for (const a of actuals) {
    const d = dayNumber(a.date);
    byDay.set(d, (byDay.get(d) ?? 0) + a.units);
  }
  const labels: string[] = [];
  const act: (number | null)[] = [];
  let actualUnits = 0;
  for (let d = origin - actualDays; d < origin; d++) {
    labels.push(dateOfDay(d));
    const u = byDay.get(d) ?? 0;
    act.push(u);
    actualUnits += u;
  }
  const pad = (): null[] => new Array<null>(actualDays).fill(null);
  return {
    sku: f.sku,
    category: f.category,
    origin: f.origin,
    generatedAt: f.generatedAt,
    forecastId: f.forecastId,
    model: { name: f.modelName, version: f.modelVersion, method: f.method },
    coldStart: f.coldStart,
    timeZone: f.timeZone,
    labels: [...labels, ...f.dates],
    actuals: [...act, ...new Array<null>(n).fill(null)],
    p10: [...pad(), ...f.p10],
    p50: [...pad(), ...f.p50],
    p90: [...pad(), ...f.p90],
    totals: {
      actualUnits,
      actualDays,
      p50Units: round(
        f.p50.reduce((s, x) => s + x, 0),
        6,
      ),
      horizonDays: n,
    },
    recommendation,
  };
}

interface ParsedMetrics {
  champion: string;
  backtest: Map<string, Record<BacktestMetric, number>>;
  origins: number | null;
  horizonDays: number | null;
  skus: number | null;
}

type Parse<T> = { ok: true; value: T } | { ok: false; error: string };

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function optCount(m: Record<string, unknown>, k: string): number | null {
  const v = m[k];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/**
 * Reads a registry version's metrics as DemandModelMetrics (champion + backtest rows with the eight
 * metrics); the error names the first field that does not fit.
 */
export function parseDemandMetrics(metrics: Record<string, unknown>): Parse<ParsedMetrics> {
  const champion = metrics.champion;
  if (typeof champion !== 'string' || champion === '')
    return { ok: false, error: 'metrics.champion: must be a method name' };
  const bt = metrics.backtest;
  if (!isRecord(bt)) return { ok: false, error: 'metrics.backtest: must be an object per method' };
  const backtest = new Map<string, Record<BacktestMetric, number>>();
  for (const [method, row] of Object.entries(bt)) {
    if (!isRecord(row))
      return { ok: false, error: `metrics.backtest.${method}: must be an object` };
    const out = {} as Record<BacktestMetric, number>;
    for (const k of BACKTEST_METRICS) {
      const v = row[k];
      if (typeof v !== 'number' || !Number.isFinite(v))
        return { ok: false, error: `metrics.backtest.${method}.${k}: must be a finite number` };
      out[k] = v;
    }
    backtest.set(method, out);
  }
  if (!backtest.has(champion))
    return {
      ok: false,
      error: `metrics.champion: ${JSON.stringify(champion)} has no row in metrics.backtest`,
    };
  return {
    ok: true,
    value: {
      champion,
      backtest,
      origins: optCount(metrics, 'origins'),
      horizonDays: optCount(metrics, 'horizonDays'),
      skus: optCount(metrics, 'skus'),
    },
  };
}

/** The backtest table of one version: the champion first, then the rest by mean wQL. */
export function backtestTable(version: ModelVersion, m: ParsedMetrics): BacktestDto {
  const champ = m.backtest.get(m.champion) as Record<BacktestMetric, number>;
  const rows: BacktestRowDto[] = [...m.backtest.entries()].map(([method, r]) => ({
    method,
    role:
      method === m.champion ? 'champion' : DEMAND_BASELINES.includes(method) ? 'baseline' : 'model',
    ...r,
    meanWqlVsChampion:
      champ.meanWql > 0 ? round((r.meanWql - champ.meanWql) / champ.meanWql, 6) : null,
  }));
  rows.sort((a, b) => {
    if (a.role === 'champion' || b.role === 'champion') return a.role === 'champion' ? -1 : 1;
    return a.meanWql - b.meanWql || a.method.localeCompare(b.method);
  });
  return {
    version: version.version,
    status: version.status,
    champion: m.champion,
    origins: m.origins,
    horizonDays: m.horizonDays,
    skus: m.skus,
    rows,
  };
}

/**
 * The demand model panel: versions (newest first) with status and method, the backtest of
 * `selected` (default: the champion, else the newest version with readable metrics) and the events.
 * Throws a DemandQueryError for a selected version that does not exist.
 */
export function demandModel(
  versions: readonly ModelVersion[],
  events: ModelEvent[],
  selected: number | null,
): DemandModelDto {
  const sorted = [...versions].sort((a, b) => b.version - a.version);
  const parsed = new Map(sorted.map((v) => [v.version, parseDemandMetrics(v.metrics)]));
  const champion = sorted.find((v) => v.status === 'champion') ?? null;
  let pick: ModelVersion | null;
  if (selected !== null) {
    pick = sorted.find((v) => v.version === selected) ?? null;
    if (!pick)
      throw new DemandQueryError(
        'version',
        `${DEMAND_MODEL_NAME} v${selected} is not in the registry`,
      );
  } else {
    pick =
      (champion && parsed.get(champion.version)?.ok ? champion : null) ??
      sorted.find((v) => parsed.get(v.version)?.ok) ??
      null;
  }
  const pm = pick ? parsed.get(pick.version) : undefined;
  return {
    name: DEMAND_MODEL_NAME,
    championVersion: champion?.version ?? null,
    versions: sorted.map((v) => {
      const p = parsed.get(v.version) as Parse<ParsedMetrics>;
      return {
        version: v.version,
        status: v.status,
        createdAt: v.createdAt,
        updatedAt: v.updatedAt,
        parentVersion: v.parentVersion,
        method: p.ok ? p.value.champion : null,
        meanWql: p.ok ? (p.value.backtest.get(p.value.champion)?.meanWql ?? null) : null,
        metricsError: p.ok ? null : p.error,
      };
    }),
    backtest: pick && pm?.ok ? backtestTable(pick, pm.value) : null,
    events,
  };
}

/** The reorder-now table: action = reorder, earliest projected stock-out first, none last. */
export function reorderTable(rows: readonly RecommendationRow[], today: string): ReorderDto {
  const t = dayNumber(today);
  const out = rows
    .filter((r) => r.action === 'reorder')
    .map((r): ReorderRowDto => ({
      sku: r.sku,
      category: r.category,
      recommendedOrderQty: r.recommendedOrderQty,
      onHand: r.onHand,
      onOrder: r.onOrder,
      reorderPoint: r.reorderPoint,
      safetyStock: r.safetyStock,
      leadTimeDays: r.leadTimeDays,
      projectedStockout: r.projectedStockout,
      daysToStockout: r.projectedStockout === null ? null : dayNumber(r.projectedStockout) - t,
      generatedAt: r.generatedAt,
      modelVersion: r.modelVersion,
    }));
  out.sort((a, b) => {
    if (a.projectedStockout !== b.projectedStockout) {
      if (a.projectedStockout === null) return 1;
      if (b.projectedStockout === null) return -1;
      return a.projectedStockout < b.projectedStockout ? -1 : 1;
    }
    return a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0;
  });
  return { today, rows: out };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
