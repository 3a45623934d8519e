// The use case: one forecast run. Reads the daily series (historyDays up to today in the shop zone,
// with horizonDays of future covariates), forecasts every SKU with the demand champion, builds one
// validated forecasts.demand.v1 message per SKU, publishes them all in ONE Kafka transaction, and
// after the commit writes them to the demand_forecasts read model. See README.md in this folder.
import type { DemandForecastMessage } from '@storepulse/contracts';
import type { DemandSeriesSource } from '@storepulse/features';
import type { DemandSeries, PerSkuFitter, SkuDemandForecast } from '@storepulse/ml';
import type { Logger } from '@storepulse/observability';
import { buildForecastMessage, type RejectedForecast } from './forecast-messages';
import type { ChampionSource, ForecastSink, ForecastStore } from './ports';
import { dayInZone, dayToIso, hourIso } from './zone-day';

export interface PublisherOptions {
  timeZone: string;
  historyDays: number;
  horizonDays: number;
  minHistoryDays: number;
  /** SKUs per forecaster call (progress is reported between calls). Default 1,000. */
  chunkSkus?: number;
  /** At most one progress log line per this interval. Default 5 s. */
  progressEveryMs?: number;
  /** Where the per-SKU models are fitted (a worker pool); default in this thread. */
  fitter?: PerSkuFitter;
}

export type RunTrigger = 'schedule' | 'champion' | 'manual' | 'startup';

export interface ForecastProgress {
  phase: 'series' | 'forecast' | 'publish' | 'store';
  done: number;
  total: number;
}

export interface ForecastRunResult {
  trigger: RunTrigger;
  status: 'published' | 'skipped';
  /** Why a run was skipped. */
  reason: string | null;
  model: { name: string; version: number; method: string } | null;
  origin: string;
  generatedAt: string;
  /** The UTC hour in every forecast_id of the run. */
  generatedHour: string;
  /** Series read. */
  series: number;
  /** Messages published (one per SKU). */
  skus: number;
  coldStarts: number;
  /** Forecasts that broke the contract, with the reason (first 20), and how many in all. */
  rejected: RejectedForecast[];
  rejectedCount: number;
  /** Series the forecaster returned no forecast for (first 20), and how many in all. */
  missing: string[];
  missingCount: number;
  bytes: number;
  sends: number;
  timings: { readMs: number; forecastMs: number; publishMs: number; storeMs: number };
  durationMs: number;
}

/** The Kafka transaction committed, but the rows could not be written to demand_forecasts. */
export class ForecastStoreError extends Error {
  constructor(
    readonly published: number,
    cause: unknown,
  ) {
    super(
      `${published} forecasts were published to Kafka, but writing them to demand_forecasts failed: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
    this.name = 'ForecastStoreError';
  }
}

const MAX_REJECTED_LISTED = 20;

export class ForecastPublisher {
  private readonly chunkSkus: number;
  private readonly progressEveryMs: number;

  constructor(
    private readonly series: DemandSeriesSource,
    private readonly champion: ChampionSource,
    private readonly sink: ForecastSink,
    private readonly store: ForecastStore,
    private readonly opts: PublisherOptions,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.chunkSkus = opts.chunkSkus ?? 1_000;
    this.progressEveryMs = opts.progressEveryMs ?? 5_000;
  }

  /** One run. Throws on I/O errors (nothing is published when the transaction fails). */
  async run(
    trigger: RunTrigger,
    onProgress: (p: ForecastProgress) => void = () => undefined,
  ): Promise<ForecastRunResult> {
    const t0 = this.now();
    const startedAt = Date.now();
    const originDay = dayInZone(t0, this.opts.timeZone);
    const base = {
      trigger,
      origin: dayToIso(originDay),
      generatedAt: new Date(t0).toISOString(),
      generatedHour: hourIso(t0),
    };
    const forecaster = await this.champion.refresh();
    if (!forecaster) {
      this.log.info({ trigger }, 'demand forecast run skipped: no demand champion yet');
      return {
        ...base,
        status: 'skipped',
        reason: 'no demand champion yet (train one: POST /api/models/demand/train)',
        model: null,
        series: 0,
        skus: 0,
        coldStarts: 0,
        rejected: [],
        rejectedCount: 0,
        missing: [],
        missingCount: 0,
        bytes: 0,
        sends: 0,
        timings: { readMs: 0, forecastMs: 0, publishMs: 0, storeMs: 0 },
        durationMs: Date.now() - startedAt,
      };
    }
    const model = { name: forecaster.name, version: forecaster.version };
    const log = this.log.child({ run: base.generatedAt, model: `${model.name}@${model.version}` });
    log.info({ trigger, origin: base.origin }, 'demand forecast run started');

    onProgress({ phase: 'series', done: 0, total: 1 });
    let t = Date.now();
    const set = await this.series.read({
      toDay: originDay,
      days: this.opts.historyDays,
      timeZone: this.opts.timeZone,
      futureDays: this.opts.horizonDays,
    });
    const readMs = Date.now() - t;
    const all = set.series;
    onProgress({ phase: 'series', done: 1, total: 1 });

    t = Date.now();
    const forecasts: SkuDemandForecast[] = [];
    let lastLog = Date.now();
    const fitter = this.opts.fitter;
    const threads = fitter?.threads ?? 1;
    const report = (done: number) => {
      onProgress({ phase: 'forecast', done, total: all.length });
      if (done < all.length && Date.now() - lastLog >= this.progressEveryMs) {
        lastLog = Date.now();
        log.info(
          { done, total: all.length, elapsedMs: Date.now() - t, threads },
          'demand forecast run: forecasting',
        );
      }
    };
    for (let i = 0; i < all.length; i += this.chunkSkus) {
      const chunk: DemandSeries[] = all.slice(i, i + this.chunkSkus);
      forecasts.push(
        ...(await forecaster.forecast(chunk, {
          originDay,
          horizon: this.opts.horizonDays,
          minHistoryDays: this.opts.minHistoryDays,
          ...(fitter ? { fitter } : {}),
          // the per-SKU fits of a chunk (AutoETS is the slow part): progress within the chunk
          onProgress: (done, total) => {
            if (total > 0 && done < total) report(i + Math.floor((done / total) * chunk.length));
          },
        })),
      );
      report(Math.min(all.length, i + this.chunkSkus));
    }
    const forecastMs = Date.now() - t;

    const ctx = { model, originDay, horizon: this.opts.horizonDays, ...base };
    const messages: DemandForecastMessage[] = [];
    const rejected: RejectedForecast[] = [];
    const seen = new Set<string>();
    let rejectedCount = 0;
    for (const f of forecasts) {
      const built = seen.has(f.sku)
        ? {
            ok: false as const,
            rejected: { sku: f.sku, reason: 'sku: forecast twice in one run' },
          }
        : buildForecastMessage(f, { ...ctx, timeZone: this.opts.timeZone });
      seen.add(f.sku);
      if (built.ok) messages.push(built.message);
      else {
        rejectedCount++;
        if (rejected.length < MAX_REJECTED_LISTED) rejected.push(built.rejected);
      }
    }
    const missing = all.filter((s) => !seen.has(s.id)).map((s) => s.id);
    if (rejectedCount > 0)
      log.warn(
        { rejected: rejectedCount, examples: rejected.slice(0, 5) },
        'forecasts that break the forecasts.demand.v1 contract were not published',
      );
    if (missing.length > 0)
      log.warn(
        { missing: missing.length, examples: missing.slice(0, 5) },
        'the champion returned no forecast for some SKUs',
      );

    onProgress({ phase: 'publish', done: 0, total: messages.length });
    t = Date.now();
    const sent = await this.sink.publish(messages);
    const publishMs = Date.now() - t;
    onProgress({ phase: 'publish', done: messages.length, total: messages.length });

    t = Date.now();
    try {
      await this.store.insert(messages, `${base.generatedAt}/${model.name}/${model.version}`);
    } catch (e) {
      throw new ForecastStoreError(messages.length, e);
    }
    const storeMs = Date.now() - t;
    onProgress({ phase: 'store', done: messages.length, total: messages.length });

    const result: ForecastRunResult = {
      ...base,
      status: 'published',
      reason: null,
      model: { ...model, method: forecaster.method },
      series: all.length,
      skus: messages.length,
      coldStarts: messages.filter((m) => m.cold_start).length,
      rejected,
      rejectedCount,
      missing: missing.slice(0, MAX_REJECTED_LISTED),
      missingCount: missing.length,
      bytes: sent.bytes,
      sends: sent.sends,
      timings: { readMs, forecastMs, publishMs, storeMs },
      durationMs: Date.now() - startedAt,
    };
    log.info(
      {
        skus: result.skus,
        coldStarts: result.coldStarts,
        rejected: rejectedCount,
        missing: missing.length,
        bytes: result.bytes,
        sends: result.sends,
        ...result.timings,
        durationMs: result.durationMs,
      },
      'demand forecasts published',
    );
    return result;
  }
}
