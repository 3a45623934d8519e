// Daily demand series per SKU for forecasting (docs/models.md "Demand"), read from the order
// rollups. The interface is the seam between ClickHouse and the demand trainer / forecast publisher.
import type { DemandSeries } from '@storepulse/ml';

export interface DemandSeriesQuery {
  /** Days since 1970-01-01 in the shop time zone: the first day NOT included (usually today). */
  toDay: number;
  /** How many days to read, ending the day before toDay. */
  days: number;
  /** IANA zone whose midnight is the day boundary. */
  timeZone: string;
  /** Future days of price/promo covariates to append (the forecast horizon); default 0. */
  futureDays?: number;
  /** Only these SKUs (default: every SKU with a sale or a view in the window). */
  skus?: readonly string[];
}

export interface DemandSeriesSet {
  series: DemandSeries[];
  /** Per SKU: days (since epoch, shop zone) of its first sale ever, for the cold-start rule. */
  firstSaleDay: Map<string, number>;
  /** The last complete hour of data used (epoch ms), i.e. the actuals' watermark. */
  watermarkMs: number | null;
}

export interface DemandSeriesSource {
  read(q: DemandSeriesQuery): Promise<DemandSeriesSet>;
  /** Days (shop zone) with at least one stored sale: the first and the last, null when none. */
  bounds(timeZone: string): Promise<{ firstDay: number; lastDay: number } | null>;
}
