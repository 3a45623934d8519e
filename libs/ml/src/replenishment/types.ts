// Shapes of the replenishment computation: the daily quantile forecast it reads, the stock position
// and policy it is given, the recommendation it returns, and the input error it throws.

/** One forecast day: the 10th, 50th and 90th percentiles of that day's demand (units). */
export interface DailyQuantiles {
  /** Calendar day, YYYY-MM-DD; the days of a forecast are consecutive, the first one is "today". */
  date: string;
  p10: number;
  p50: number;
  p90: number;
}

export interface StockPosition {
  /** Units on hand now; negative = backorders. */
  onHand: number;
  /** Units ordered and not yet received (≥ 0); assumed to arrive at the lead time. */
  onOrder: number;
  /** Days from now until an order placed now arrives; may be fractional, 0..365. */
  leadTimeDays: number;
  /** Standard deviation of the lead time in days (normal, censored at 0). Default 0. */
  leadTimeStdDays?: number;
}

export interface ReplenishmentPolicy {
  /** Cycle service level τ: the probability that demand over the lead time stays ≤ the reorder point. Default 0.95. */
  serviceLevel: number;
  /** Days between two reviews of the SKU (≥ 0; 0 = continuous review). Default 1. */
  reviewPeriodDays: number;
  /** Monte Carlo demand paths. Default 4000. */
  samples?: number;
  /** Seed of the mulberry32 PRNG (a 32-bit integer). Default 1. */
  seed?: number;
  /**
   * A position above orderUpToLevel + overstockDays × (mean daily P50 of the horizon) is an
   * overstock. Default 2 × (leadTimeDays + reviewPeriodDays).
   */
  overstockDays?: number;
  /**
   * Correlation ρ of consecutive days' demand (AR(1) on the Gaussian scores, corr(day i, day j) =
   * ρ^|i−j| before censoring at 0), in (−1, 1). Default 0: days are independent.
   */
  dayCorrelation?: number;
}

/** Summary of a Monte Carlo demand distribution (units). */
export interface DemandSummary {
  mean: number;
  p50: number;
  /** The serviceLevel quantile. */
  pService: number;
  /** Sample standard deviation (n − 1 denominator). */
  std: number;
}

export interface Replenishment {
  /** Distribution of the demand over the lead time. */
  leadTimeDemand: DemandSummary;
  /** reorderPoint − leadTimeDemand.mean. */
  safetyStock: number;
  /** q_service(demand over the lead time). */
  reorderPoint: number;
  /** q_service(demand over the lead time + review period). */
  orderUpToLevel: number;
  /** max(0, orderUpToLevel − (onHand + onOrder)), rounded up to whole units. */
  recommendedOrderQty: number;
  /**
   * First forecast date on which onHand − cumulative P50 demand (+ onOrder once arrived at
   * leadTimeDays) drops below 0; null if none within the forecast horizon.
   */
  projectedStockoutDate: string | null;
  /** reorder: position ≤ reorderPoint and something to order; overstock: see policy; else ok. */
  action: 'reorder' | 'ok' | 'overstock';
  serviceLevel: number;
  /** Human-readable description of the method and the parameters used. */
  method: string;
}

/** Invalid input to replenish(): `field` names the input (e.g. `forecast[3].p10`, `stock.onOrder`). */
export class ReplenishmentInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'ReplenishmentInputError';
  }
}
