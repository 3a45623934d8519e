// The Demand page's "with vs without StorePulse" panel: pure view-model from the simulator's KPI
// snapshots (ClickHouse simulator_inventory_kpis, written by apps/simulator, LOOP.md) to the DTO the
// page renders. No I/O here; ../demand-reads.ts reads the rows.

/** The policies side by side: following the recommendations (with StorePulse) and the fixed policy. */
export type LoopPolicy = 'following' | 'fixed';

/** One policy's cumulative KPIs at the latest snapshot of a run (a simulator_inventory_kpis row). */
export interface LoopKpiRow {
  policy: LoopPolicy;
  /** live: the simulated shop itself; shadow: the counterfactual ledger on the same demand. */
  source: 'live' | 'shadow';
  /** Snapshot time (ISO). */
  ts: string;
  followsRecommendations: boolean;
  skus: number;
  skusOnFixedPolicy: number;
  simulatedDays: number;
  unitsDemanded: number;
  unitsSold: number;
  unitsLost: number;
  fillRate: number | null;
  stockoutSkuDays: number;
  meanOnHandUnits: number;
  purchaseOrdersPlaced: number;
  unitsOrdered: number;
  unitsReceived: number;
  openPurchaseOrders: number;
}

/** The cumulative fill rate of one policy at the end of a time bucket. */
export interface LoopFillPoint {
  policy: LoopPolicy;
  bucketMs: number;
  fillRate: number;
}

/** What the reads return for the latest run: its start, the last row per policy, the series. */
export interface LoopRunRead {
  runStartedAt: string;
  latest: LoopKpiRow[];
  series: LoopFillPoint[];
  bucketMs: number;
}

export interface LoopDifferenceDto {
  /** following − fixed, in share points (0.012 = +1.2 points); null when either has no demand. */
  fillRate: number | null;
  stockoutSkuDays: number;
  meanOnHandUnits: number;
  unitsLost: number;
}

export interface LoopComparisonDto {
  /** null: no snapshot stored (the simulator has not run with ClickHouse, or snapshots are off). */
  run: {
    since: string;
    /** The latest snapshot's time. */
    asOf: string;
    followsRecommendations: boolean;
    skus: number;
    skusOnFixedPolicy: number;
    /** With StorePulse; null when the simulator does not follow the recommendations. */
    following: LoopKpiRow | null;
    /** Without StorePulse: the fixed policy on the same demand. */
    fixed: LoopKpiRow | null;
    difference: LoopDifferenceDto | null;
    series: {
      bucketMinutes: number;
      /** ISO start of each bucket. */
      labels: string[];
      following: (number | null)[];
      fixed: (number | null)[];
    };
  } | null;
}

/** Buckets of the fill-rate series, smallest first; the first giving at most MAX_POINTS is used. */
const BUCKETS_MIN = [1, 5, 15, 60, 360, 1440];
const MAX_POINTS = 200;

/** The bucket (ms) for a run that spans `spanMs`. */
export function loopBucketMs(spanMs: number): number {
  for (const m of BUCKETS_MIN) if (spanMs / (m * 60_000) <= MAX_POINTS) return m * 60_000;
  return (BUCKETS_MIN[BUCKETS_MIN.length - 1] ?? 1440) * 60_000;
}

/** The panel's DTO from the latest run's read (null = none stored). */
export function loopComparison(read: LoopRunRead | null): LoopComparisonDto {
  if (!read) return { run: null };
  const following = read.latest.find((r) => r.policy === 'following') ?? null;
  const fixed = read.latest.find((r) => r.policy === 'fixed') ?? null;
  const newest = [following, fixed]
    .filter((r): r is LoopKpiRow => r !== null)
    .sort((a, b) => b.ts.localeCompare(a.ts))[0];
  const difference: LoopDifferenceDto | null =
    following && fixed
      ? {
          fillRate:
            following.fillRate !== null && fixed.fillRate !== null
              ? following.fillRate - fixed.fillRate
              : null,
          stockoutSkuDays: following.stockoutSkuDays - fixed.stockoutSkuDays,
          meanOnHandUnits: following.meanOnHandUnits - fixed.meanOnHandUnits,
          unitsLost: following.unitsLost - fixed.unitsLost,
        }
      : null;
  const buckets = [...new Set(read.series.map((p) => p.bucketMs))].sort((a, b) => a - b);
  const at = (policy: LoopPolicy) => {
    const m = new Map(read.series.filter((p) => p.policy === policy).map((p) => [p.bucketMs, p]));
    return buckets.map((b) => m.get(b)?.fillRate ?? null);
  };
  return {
    run: {
      since: read.runStartedAt,
      asOf: newest?.ts ?? read.runStartedAt,
      followsRecommendations: newest?.followsRecommendations ?? false,
      skus: newest?.skus ?? 0,
      skusOnFixedPolicy: newest?.skusOnFixedPolicy ?? 0,
      following,
      fixed,
      difference,
      series: {
        bucketMinutes: read.bucketMs / 60_000,
        labels: buckets.map((b) => new Date(b).toISOString()),
        following: at('following'),
        fixed: at('fixed'),
      },
    },
  };
}
