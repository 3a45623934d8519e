// Wires the hourly demand-forecast publisher: the champion watcher (registry poll, hot swap), the
// ForecastPublisher use case over its Kafka and ClickHouse adapters, the schedule, one run at a time,
// and the run's metrics (storepulse_demand_forecast_*) and health. The per-SKU models (AutoETS, …)
// are fitted on a worker_threads pool of config.demand.forecastWorkers threads (1 = in this
// thread), terminated when the module is destroyed.
import {
  Inject,
  Injectable,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { APP_CONFIG, type AppConfig } from '@storepulse/config';
import { CLICKHOUSE, type ClickHouseHandle } from '@storepulse/clickhouse';
import type { DemandSeriesSource } from '@storepulse/features';
import { KAFKA } from '@storepulse/kafka';
import {
  DEMAND_MODEL_NAME,
  InProcessPerSkuFitter,
  ModelRegistry,
  PerSkuWorkerPool,
  type LoadDemandForecaster,
  type PerSkuFitter,
} from '@storepulse/ml';
import { HealthRegistry, LOGGER, PipelineMetrics, type Logger } from '@storepulse/observability';
import { Counter, Gauge, Histogram } from 'prom-client';
import { ClickHouseForecastStore } from './clickhouse-forecast-store';
import { DemandChampionWatcher } from './demand-champion';
import {
  ForecastPublisher,
  type ForecastProgress,
  type ForecastRunResult,
  type RunTrigger,
} from './forecast-publisher';
import { KafkaForecastSink } from './kafka-forecast-sink';
import type { ForecastStore } from './ports';
import { DEMAND_FORECAST_CLOCK, DEMAND_FORECASTER_LOADER, DEMAND_SERIES_SOURCE } from './tokens';

export interface DemandForecastStatus {
  enabled: boolean;
  intervalMs: number;
  champion: { name: string; version: number; method: string } | null;
  /** Threads fitting the per-SKU models (1 = the scorer's own thread). */
  fitThreads: number;
  running: boolean;
  progress: ForecastProgress | null;
  lastRun: ForecastRunResult | null;
  lastRunAt: string | null;
  lastSuccessAt: string | null;
  lastError: string | null;
  runs: { published: number; skipped: number; failed: number };
}

/** The transactional id of the publisher's producer: one publisher per cluster fences the others. */
export const forecastTransactionalId = (clientId: string) => `${clientId}-demand-forecasts`;

@Injectable()
export class DemandForecastService
  implements OnApplicationBootstrap, OnModuleDestroy, BeforeApplicationShutdown
{
  private readonly log: Logger;
  /** The demand_forecasts read model (the API reads it even when publishing is disabled). */
  readonly store: ForecastStore;
  private watcher: DemandChampionWatcher | undefined;
  private publisher: ForecastPublisher | undefined;
  private sink: KafkaForecastSink | undefined;
  private fitter: PerSkuFitter | undefined;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private pending: Promise<ForecastRunResult> | undefined;
  private active = false;
  private stopped = false;
  private progress: ForecastProgress | null = null;
  private lastRun: ForecastRunResult | null = null;
  private lastPublishedRun: ForecastRunResult | null = null;
  private lastRunAtMs: number | null = null;
  private lastSuccessAtMs: number | null = null;
  private lastError: string | null = null;
  private readonly runs = { published: 0, skipped: 0, failed: 0 };
  private readonly now: () => number;
  private runDuration: Histogram | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(LOGGER) logger: Logger,
    @Inject(CLICKHOUSE) ch: ClickHouseHandle,
    @Inject(DEMAND_SERIES_SOURCE) private readonly series: DemandSeriesSource,
    @Inject(DEMAND_FORECASTER_LOADER) private readonly loader: LoadDemandForecaster,
    private readonly registry: ModelRegistry,
    private readonly metrics: PipelineMetrics,
    health: HealthRegistry,
    @Optional() @Inject(DEMAND_FORECAST_CLOCK) clock?: () => number,
  ) {
    this.log = logger.child({ component: 'demand-forecasts' });
    this.now = clock ?? Date.now;
    this.store = new ClickHouseForecastStore(ch);
    health.register({
      name: 'demand-forecasts',
      check: () => Promise.resolve(this.health()),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    const d = this.config.demand;
    if (!d.enabled) {
      this.log.info('demand forecasts disabled (DEMAND_ENABLED=false)');
      return;
    }
    this.registerMetrics();
    this.fitter =
      d.forecastWorkers > 1
        ? new PerSkuWorkerPool({ size: d.forecastWorkers, log: this.log })
        : new InProcessPerSkuFitter();
    this.sink = new KafkaForecastSink(
      this.kafka,
      forecastTransactionalId(this.config.kafka.clientId),
      this.log,
    );
    this.watcher = new DemandChampionWatcher(
      this.registry,
      this.loader,
      this.config.scorer.modelPollMs,
      this.log,
      (s) => {
        // a promotion or a rollback seen by the poll: forecast with the new champion at once (a
        // change seen by a run's own refresh is used by that run already)
        if (s.to !== null && s.by === 'poll' && !this.stopped) this.trigger('champion');
      },
    );
    this.publisher = new ForecastPublisher(
      this.series,
      this.watcher,
      this.sink,
      this.store,
      {
        timeZone: d.timeZone,
        historyDays: d.historyDays,
        horizonDays: d.horizonDays,
        minHistoryDays: d.minHistoryDays,
        fitter: this.fitter,
      },
      this.log,
      this.now,
    );
    // the first poll loads the champion (if any), which triggers the first run
    await this.watcher.start();
    if (d.forecastIntervalMs > 0) {
      this.timer = setInterval(() => this.trigger('schedule'), d.forecastIntervalMs);
      this.timer.unref();
    }
    this.log.info(
      {
        intervalMs: d.forecastIntervalMs,
        pollMs: this.config.scorer.modelPollMs,
        fitThreads: this.fitter.threads,
      },
      'demand forecast publisher started',
    );
  }

  /** Starts a run in the background (its outcome is in status(), the logs and the metrics). */
  trigger(trigger: RunTrigger): void {
    this.runOnce(trigger).catch(() => undefined);
  }

  /**
   * One run, after the one in progress (runs never overlap). A run requested while another is
   * already waiting joins the waiting one. Rejects with the run's error.
   */
  runOnce(trigger: RunTrigger = 'manual'): Promise<ForecastRunResult> {
    const publisher = this.publisher;
    if (!publisher)
      return Promise.reject(
        new Error(
          this.config.demand.enabled
            ? 'the demand forecast publisher is not started yet'
            : 'demand forecasts are disabled (DEMAND_ENABLED=false)',
        ),
      );
    if (this.pending) return this.pending;
    const run: Promise<ForecastRunResult> = this.chain
      .catch(() => undefined)
      .then(() => {
        if (this.pending === run) this.pending = undefined;
        return this.execute(publisher, trigger);
      });
    this.pending = run;
    this.chain = run;
    return run;
  }

  private async execute(
    publisher: ForecastPublisher,
    trigger: RunTrigger,
  ): Promise<ForecastRunResult> {
    this.active = true;
    const started = Date.now();
    try {
      const r = await publisher.run(trigger, (p) => (this.progress = p));
      this.lastRun = r;
      this.lastRunAtMs = Date.now();
      this.lastError = null;
      if (r.status === 'published') {
        this.runs.published++;
        this.lastSuccessAtMs = this.lastRunAtMs;
        this.lastPublishedRun = r;
        this.runDuration?.observe(r.durationMs / 1000);
      } else this.runs.skipped++;
      return r;
    } catch (e) {
      this.runs.failed++;
      this.lastRunAtMs = Date.now();
      this.lastError = e instanceof Error ? e.message : String(e);
      if (this.stopped)
        this.log.warn(
          { trigger, err: e, durationMs: Date.now() - started },
          'demand forecast run ended by the shutdown (nothing was published)',
        );
      else
        this.log.error(
          { trigger, err: e, durationMs: Date.now() - started },
          'demand forecast run failed; the next trigger retries it',
        );
      throw e;
    } finally {
      this.active = false;
      this.progress = null;
    }
  }

  status(): DemandForecastStatus {
    const c = this.watcher?.get() ?? null;
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    return {
      enabled: this.config.demand.enabled,
      intervalMs: this.config.demand.forecastIntervalMs,
      champion: c ? { name: c.name, version: c.version, method: c.method } : null,
      fitThreads: this.fitter?.threads ?? this.config.demand.forecastWorkers,
      running: this.active,
      progress: this.progress,
      lastRun: this.lastRun,
      lastRunAt: iso(this.lastRunAtMs),
      lastSuccessAt: iso(this.lastSuccessAtMs),
      lastError: this.lastError ?? this.watcher?.lastError ?? null,
      runs: { ...this.runs },
    };
  }

  /**
   * Not ok after a failed run or champion poll, or when the last successful run is older than two
   * intervals (plus a minute) while the schedule is on.
   */
  private health(): { ok: boolean; details: Record<string, unknown> } {
    const s = this.status();
    const ageS =
      this.lastSuccessAtMs === null ? null : Math.round((Date.now() - this.lastSuccessAtMs) / 1000);
    const interval = this.config.demand.forecastIntervalMs;
    const stale = interval > 0 && ageS !== null && ageS * 1000 > 2 * interval + 60_000;
    return {
      ok: s.lastError === null && !stale,
      details: {
        enabled: s.enabled,
        champion: s.champion ? `${s.champion.name}@${s.champion.version}` : 'none',
        lastRunAt: s.lastRunAt ?? '',
        lastSuccessAgeSeconds: ageS ?? -1,
        lastError: s.lastError ?? '',
        skus: s.lastRun?.skus ?? 0,
        coldStarts: s.lastRun?.coldStarts ?? 0,
        ...(stale ? { stale: `last successful run ${ageS} s ago, interval ${interval} ms` } : {}),
      },
    };
  }

  /**
   * Stops the schedule and terminates the fit workers: a run still fitting rejects at once
   * (PerSkuPoolClosedError; nothing of it was published, the transaction comes after the fits).
   */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.fitter?.close();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.watcher?.stop();
    await this.chain.catch(() => undefined);
    await this.sink?.close();
  }

  private registerMetrics(): void {
    const registry = this.metrics.registry;
    const svc = () => this;
    const runs = this.runs;
    new Counter({
      name: 'storepulse_demand_forecast_runs_total',
      help: 'Demand forecast runs by outcome (published, skipped: no champion, failed)',
      labelNames: ['outcome'],
      registers: [registry],
      collect() {
        this.reset();
        this.inc({ outcome: 'published' }, runs.published);
        this.inc({ outcome: 'skipped_no_champion' }, runs.skipped);
        this.inc({ outcome: 'failed' }, runs.failed);
      },
    });
    new Gauge({
      name: 'storepulse_demand_forecast_skus',
      help: 'SKUs in the last published run: all, cold starts (global model), rejected (contract), missing',
      labelNames: ['kind'],
      registers: [registry],
      collect() {
        const r = svc().lastPublishedRun;
        this.reset();
        if (!r) return;
        this.set({ kind: 'forecast' }, r.skus);
        this.set({ kind: 'cold_start' }, r.coldStarts);
        this.set({ kind: 'rejected' }, r.rejectedCount);
        this.set({ kind: 'missing' }, r.missingCount);
      },
    });
    this.runDuration = new Histogram({
      name: 'storepulse_demand_forecast_duration_seconds',
      help: 'Duration of a published demand forecast run (series, forecast, transaction, read model)',
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
      registers: [registry],
    });
    new Gauge({
      name: 'storepulse_demand_forecast_last_run_timestamp_seconds',
      help: 'When the last demand forecast run ended (any outcome)',
      registers: [registry],
      collect() {
        const ms = svc().lastRunAtMs;
        this.reset();
        if (ms !== null) this.set(ms / 1000);
      },
    });
    new Gauge({
      name: 'storepulse_demand_forecast_last_success_timestamp_seconds',
      help: 'When the last demand forecast run was published',
      registers: [registry],
      collect() {
        const ms = svc().lastSuccessAtMs;
        this.reset();
        if (ms !== null) this.set(ms / 1000);
      },
    });
    new Gauge({
      name: 'storepulse_demand_forecast_fit_threads',
      help: 'Threads fitting the per-SKU demand models (1 = the scorer thread, more = worker threads)',
      registers: [registry],
      collect() {
        this.set(svc().fitter?.threads ?? 0);
      },
    });
    new Gauge({
      name: 'storepulse_demand_forecast_champion_version',
      help: `Version of the ${DEMAND_MODEL_NAME} champion the publisher forecasts with`,
      registers: [registry],
      collect() {
        const c = svc().watcher?.get();
        this.reset();
        if (c) this.set(c.version);
      },
    });
  }
}
