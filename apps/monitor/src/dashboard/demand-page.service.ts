// The Demand page's use case: reads through the DemandReads port, shapes them with the pure
// view-models of demand-page-model.ts, times each read (storepulse_dashboard_demand_seconds).
import { Inject, Injectable, Optional } from '@nestjs/common';
import { Histogram } from 'prom-client';
import { APP_CONFIG, type AppConfig } from '@storepulse/config';
import { LOGGER, PipelineMetrics, type Logger } from '@storepulse/observability';
import type { DemandReads } from '../demand-reads';
import {
  DEFAULT_ACTUAL_DAYS,
  DemandQueryError,
  dateOfDay,
  dayNumber,
  demandModel,
  fanChart,
  reorderTable,
  type DemandModelDto,
  type FanChartDto,
  type ReorderDto,
  type SkuPickerDto,
} from './demand-page-model';
import { loopComparison, type LoopComparisonDto } from './loop-comparison';

/** DI token of the DemandReads adapter (null when the process has no ClickHouse). */
export const DEMAND_READS = Symbol('DEMAND_READS');

const METRIC = 'storepulse_dashboard_demand_seconds';

/** The process has no ClickHouse: the controller answers 503 with this message. */
export class DemandReadsUnavailableError extends Error {
  constructor() {
    super(
      'ClickHouse is not connected to this process: the Demand page needs it (run the platform, or the monitor with CLICKHOUSE_URL)',
    );
    this.name = 'DemandReadsUnavailableError';
  }
}

/** No forecast is stored for the SKU: the controller answers 404. */
export class UnknownSkuError extends Error {
  constructor(readonly sku: string) {
    super(`no demand forecast for sku ${JSON.stringify(sku)}`);
    this.name = 'UnknownSkuError';
  }
}

@Injectable()
export class DemandDashboardService {
  private readonly log: Logger;
  private readonly seconds: Histogram<'endpoint' | 'outcome'>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) logger: Logger,
    metrics: PipelineMetrics,
    @Optional() @Inject(DEMAND_READS) private readonly reads: DemandReads | null = null,
    /** Clock in epoch ms (tests). */
    @Optional() @Inject('DEMAND_DASHBOARD_NOW') private readonly now: () => number = Date.now,
  ) {
    this.log = logger.child({ component: 'demand-dashboard' });
    const existing = metrics.registry.getSingleMetric(METRIC);
    this.seconds =
      (existing as Histogram<'endpoint' | 'outcome'> | undefined) ??
      new Histogram({
        name: METRIC,
        help: 'Time to answer a Demand page API request (ClickHouse + registry reads), per endpoint',
        labelNames: ['endpoint', 'outcome'] as const,
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
        registers: [metrics.registry],
      });
  }

  /** Top SKUs by forecast volume and, with a search text, the matching SKUs. */
  skus(search: string | null, limit: number): Promise<SkuPickerDto> {
    return this.timed('skus', async (r) => {
      const top = await r.skuVolumes({ search: null, limit });
      const matches = search === null ? null : await r.skuVolumes({ search, limit });
      return { top, matches, query: search };
    });
  }

  /** The fan chart of one SKU: its latest forecast and `actualDays` days of actuals before it. */
  sku(sku: string, actualDays = DEFAULT_ACTUAL_DAYS): Promise<FanChartDto> {
    return this.timed('sku', async (r) => {
      const f = await r.latestForecast(sku);
      if (!f) throw new UnknownSkuError(sku);
      // The forecast's own zone defines its origin day; config.demand.timeZone when it has none.
      const tz = f.timeZone || this.config.demand.timeZone;
      const origin = dayNumber(f.origin);
      const [units, rec] = await Promise.all([
        r.dailyUnits(sku, dateOfDay(origin - actualDays), f.origin, tz),
        r.recommendation(sku),
      ]);
      return fanChart(f, units, actualDays, rec);
    });
  }

  /** Demand model versions, the backtest of one (default: the champion) and the events. */
  model(version: number | null): Promise<DemandModelDto> {
    return this.timed('model', async (r) => {
      const [versions, events] = await Promise.all([r.modelVersions(), r.modelEvents(100)]);
      return demandModel(versions, events, version);
    });
  }

  /** The reorder-now table. */
  reorder(limit: number): Promise<ReorderDto> {
    return this.timed('reorder', async (r) => {
      const rows = await r.recommendations('reorder', limit);
      return reorderTable(rows, new Date(this.now()).toISOString().slice(0, 10));
    });
  }

  /** The "with vs without StorePulse" panel: the simulator's latest run, per policy. */
  loop(): Promise<LoopComparisonDto> {
    return this.timed('loop', async (r) => loopComparison(await r.loopRun()));
  }

  private async timed<T>(endpoint: string, f: (r: DemandReads) => Promise<T>): Promise<T> {
    if (!this.reads) throw new DemandReadsUnavailableError();
    const end = this.seconds.startTimer({ endpoint });
    try {
      const out = await f(this.reads);
      end({ outcome: 'ok' });
      return out;
    } catch (e) {
      const userError = e instanceof UnknownSkuError || e instanceof DemandQueryError;
      end({ outcome: userError ? 'client_error' : 'error' });
      if (!userError) this.log.error({ err: e, endpoint }, 'demand dashboard read failed');
      throw e;
    }
  }
}
