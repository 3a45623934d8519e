// Test doubles shared by this folder's tests: a seasonal-naive DemandForecaster with a tiny JSON
// artifact (the real artifact format belongs to the demand trainer) and an in-memory series source.
import type { DemandSeriesQuery, DemandSeriesSet, DemandSeriesSource } from '@storepulse/features';
import {
  SeasonalNaive,
  type DemandForecaster,
  type DemandSeries,
  type LoadDemandForecaster,
  type SkuDemandForecast,
} from '@storepulse/ml';
import { dayToIso } from './zone-day';

export const TEST_ARTIFACT_FORMAT = 'storepulse-test-seasonal-naive';

export function testArtifact(seasonLength = 7): Buffer {
  return Buffer.from(JSON.stringify({ format: TEST_ARTIFACT_FORMAT, seasonLength }));
}

/**
 * Seasonal naive for SKUs with at least minHistoryDays since their first sale; a cold start
 * (method 'global') otherwise, forecast as the mean of the days since the first sale, p10 = 0 and
 * p90 = twice the mean.
 */
export class SeasonalNaiveDemandForecaster implements DemandForecaster {
  readonly method = 'seasonal_naive' as const;
  constructor(
    readonly name: string,
    readonly version: number,
    private readonly seasonLength = 7,
  ) {}

  forecast(
    series: DemandSeries[],
    opts: { originDay: number; horizon: number; minHistoryDays: number },
  ): Promise<SkuDemandForecast[]> {
    return Promise.resolve(
      series.map((s) => {
        const first = s.y.findIndex((v) => v > 0);
        const since = first < 0 ? 0 : opts.originDay - (s.startDay + first);
        const cold = first < 0 || since < opts.minHistoryDays;
        const date = (i: number) => dayToIso(opts.originDay + i);
        if (cold) {
          const tail = first < 0 ? [] : Array.from(s.y.subarray(first));
          const mean = tail.length ? tail.reduce((a, b) => a + b, 0) / tail.length : 0;
          return {
            sku: s.id,
            category: s.category,
            method: 'global' as const,
            coldStart: true,
            days: Array.from({ length: opts.horizon }, (_, i) => ({
              date: date(i),
              p10: 0,
              p50: mean,
              p90: 2 * mean,
            })),
          };
        }
        const f = new SeasonalNaive(this.seasonLength).fit(s.y).predict(opts.horizon);
        return {
          sku: s.id,
          category: s.category,
          method: this.method,
          coldStart: false,
          days: Array.from({ length: opts.horizon }, (_, i) => ({
            date: date(i),
            p10: f.p10[i],
            p50: f.p50[i],
            p90: f.p90[i],
          })),
        };
      }),
    );
  }
}

export const loadTestForecaster: LoadDemandForecaster = (version, artifact) => {
  const parsed = JSON.parse(artifact.toString('utf8')) as {
    format?: unknown;
    seasonLength?: unknown;
  };
  if (parsed.format !== TEST_ARTIFACT_FORMAT || typeof parsed.seasonLength !== 'number')
    return Promise.reject(
      new Error(`${version.name} v${version.version}: not a ${TEST_ARTIFACT_FORMAT} artifact`),
    );
  return Promise.resolve(
    new SeasonalNaiveDemandForecaster(version.name, version.version, parsed.seasonLength),
  );
};

/** Daily units per SKU from `firstDay` (days since epoch), in memory. */
export class InMemoryDemandSeries implements DemandSeriesSource {
  readonly queries: DemandSeriesQuery[] = [];
  constructor(
    private readonly skus: { sku: string; category: string; firstDay: number; units: number[] }[],
  ) {}

  read(q: DemandSeriesQuery): Promise<DemandSeriesSet> {
    this.queries.push(q);
    const startDay = q.toDay - q.days;
    const series: DemandSeries[] = [];
    const firstSaleDay = new Map<string, number>();
    for (const s of this.skus) {
      if (q.skus && !q.skus.includes(s.sku)) continue;
      const y = new Float64Array(q.days);
      let any = false;
      s.units.forEach((u, i) => {
        const idx = s.firstDay + i - startDay;
        if (idx >= 0 && idx < q.days) {
          y[idx] = u;
          if (u > 0) any = true;
        }
        if (u > 0 && !firstSaleDay.has(s.sku)) firstSaleDay.set(s.sku, s.firstDay + i);
      });
      if (any) series.push({ id: s.sku, category: s.category, y, startDay });
    }
    return Promise.resolve({ series, firstSaleDay, watermarkMs: null });
  }

  bounds(): Promise<{ firstDay: number; lastDay: number } | null> {
    const days = this.skus.flatMap((s) =>
      s.units.flatMap((u, i) => (u > 0 ? [s.firstDay + i] : [])),
    );
    return Promise.resolve(
      days.length ? { firstDay: Math.min(...days), lastDay: Math.max(...days) } : null,
    );
  }
}
