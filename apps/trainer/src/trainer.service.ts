// Schedules and starts training runs: hourly (TRAINER_INTERVAL_MS) per model, on demand through the
// API, and every minute while a model has no champion yet (the first run after `npm start`).
import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { APP_CONFIG, type AppConfig, type Horizon } from '@storepulse/config';
import { ClickHousePropensityHistory, FeatureStore } from '@storepulse/features';
import { CLICKHOUSE, type ClickHouseHandle } from '@storepulse/clickhouse';
import { KAFKA } from '@storepulse/kafka';
import { aggregatorLag, INGEST_LAG_TOLERANCE, type IngestLag } from './ingest-lag';
import { getTf, ModelRegistry } from '@storepulse/ml';
import type { Kafka } from 'kafkajs';
import { LOGGER, PipelineMetrics, type Logger } from '@storepulse/observability';
import { Counter, Gauge } from 'prom-client';
import { DriftCheck, type DriftCheckResult } from './propensity/drift-check';
import {
  ClickHouseLiveAuc,
  ClickHouseLiveFeatureSampler,
  RegistryChampionProfiles,
} from './propensity/drift-sources';
import { NotEnoughHistoryError } from './propensity/cutoffs';
import { FeatureRowCache, TrainingSetBuilder } from './propensity/training-set';
import {
  PropensityTrainer,
  propensityModelName,
  type PropensityRunResult,
} from './propensity/train-propensity';
import { RunConflictError, RunTracker, type RunRecord } from './runs/run-tracker';
import { scheduleDecision, type LastRun } from './propensity/schedule';

export class UnknownHorizonError extends Error {
  constructor(
    readonly horizon: string,
    readonly known: string[],
  ) {
    super(`unknown horizon '${horizon}': configured horizons are ${known.join(', ')}`);
    this.name = 'UnknownHorizonError';
  }
}

/** While a model has no champion, a failed first run (e.g. history still arriving) is retried this often. */
const FIRST_RUN_RETRY_MS = 15_000;

/** The aggregator's consumer lag could not be read: the scheduler tick fails (retried in 15 s). */
export class IngestLagUnavailableError extends Error {
  constructor(override readonly cause: unknown) {
    super(
      `cannot read the aggregator's consumer lag, so scheduled training cannot tell whether ingest has caught up: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
    this.name = 'IngestLagUnavailableError';
  }
}

/** The scheduler's view of a propensity run. */
export function lastRunOf(r: RunRecord<PropensityRunResult>): LastRun {
  return {
    status: r.status,
    startedAtMs: Date.parse(r.startedAt),
    finishedAtMs: r.finishedAt === null ? null : Date.parse(r.finishedAt),
    outcome:
      r.status === 'succeeded' && r.result
        ? { promoted: r.result.promoted, watermarkMs: r.result.watermarkMs }
        : null,
  };
}

@Injectable()
export class TrainerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly runs = new RunTracker();
  private readonly log: Logger;
  private readonly builder: TrainingSetBuilder;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly inflight = new Set<Promise<unknown>>();
  readonly drift: DriftCheck;
  private driftTimer: NodeJS.Timeout | undefined;
  private readonly driftPsi: Gauge<'model' | 'feature'>;
  private readonly driftChecks: Counter<'model' | 'action'>;
  private readonly driftLiveAuc: Gauge<'model' | 'version' | 'use'>;
  /** The last drift check per model (GET-able through the service). */
  readonly lastDrift = new Map<string, DriftCheckResult & { checkedAt: string }>();
  private readonly ingestLag: IngestLag;
  private readonly history: ClickHousePropensityHistory;
  /** Per model, the rejected run whose "retraining backed off" line was logged (once per run). */
  private readonly backoffLogged = new Map<string, string>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLICKHOUSE) ch: ClickHouseHandle,
    @Inject(LOGGER) logger: Logger,
    private readonly registry: ModelRegistry,
    features: FeatureStore,
    @Inject(KAFKA) kafka: Kafka,
    metrics: PipelineMetrics,
  ) {
    this.log = logger.child({ component: 'trainer' });
    this.ingestLag = aggregatorLag(kafka, config);
    this.history = new ClickHousePropensityHistory(ch.client);
    this.builder = new TrainingSetBuilder(this.history, features);
    const d = config.trainer.drift;
    this.drift = new DriftCheck(
      new RegistryChampionProfiles(registry),
      new ClickHouseLiveFeatureSampler(ch.client, features),
      new ClickHouseLiveAuc(ch.client, {
        windowMs: d.liveAucWindowMs,
        maxSamples: d.liveAucMaxSamples,
      }),
      {
        psiThreshold: d.psiThreshold,
        minSamples: d.minSamples,
        maxUsers: d.maxUsers,
        activeWindowMs: d.activeWindowMs,
        cooldownMs: d.cooldownMs,
        minLiveLabels: d.minLiveLabels,
        aucDrop: d.aucDrop,
      },
    );
    const metricsRegistry = metrics.registry;
    this.driftPsi =
      (metricsRegistry.getSingleMetric('storepulse_trainer_drift_psi') as
        Gauge<'model' | 'feature'> | undefined) ??
      new Gauge({
        name: 'storepulse_trainer_drift_psi',
        help: "PSI of each input feature: live feature vectors of recently active users vs the champion's training profile (trainer drift check)",
        labelNames: ['model', 'feature'] as const,
        registers: [metricsRegistry],
      });
    this.driftChecks =
      (metricsRegistry.getSingleMetric('storepulse_trainer_drift_checks_total') as
        Counter<'model' | 'action'> | undefined) ??
      new Counter({
        name: 'storepulse_trainer_drift_checks_total',
        help: 'Trainer drift checks per model and outcome (retrain, stable, cooldown, running, no-champion, no-data)',
        labelNames: ['model', 'action'] as const,
        registers: [metricsRegistry],
      });
    this.driftLiveAuc =
      (metricsRegistry.getSingleMetric('storepulse_trainer_drift_live_auc') as
        Gauge<'model' | 'version' | 'use'> | undefined) ??
      new Gauge({
        name: 'storepulse_trainer_drift_live_auc',
        help: "The champion version's live AUC pooled over TRAINER_DRIFT_LIVE_AUC_WINDOW_MS (model_live_samples) the last drift check saw; use = counted, too-few-labels, no-validation-auc",
        labelNames: ['model', 'version', 'use'] as const,
        registers: [metricsRegistry],
      });
  }

  get horizons(): Horizon[] {
    return this.config.trainer.horizons;
  }

  horizon(name: string | undefined): Horizon {
    const h =
      name === undefined ? this.horizons[0] : this.horizons.find((x) => x.name === name.trim());
    if (!h)
      throw new UnknownHorizonError(
        name ?? '',
        this.horizons.map((x) => x.name),
      );
    return h;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.trainer.enabled) return;
    // a trainer killed mid-change left an orphaned candidate, two champions or a missing
    // promotion event: repaired before any run (a failure here fails the start, precisely)
    const repairs = await this.registry.recover('trainer');
    for (const r of repairs)
      this.log.warn({ ...r }, `model registry repaired at start: ${r.reason}`);
    this.schedule(5_000);
    if (this.config.trainer.drift.checkMs > 0)
      this.scheduleDrift(this.config.trainer.drift.checkMs);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.driftTimer) clearTimeout(this.driftTimer);
    await Promise.allSettled([...this.inflight]);
  }

  /** Starts a run for one horizon; RunConflictError when that model is already training. */
  trainPropensity(
    horizonName: string | undefined,
    trigger: RunRecord['trigger'],
    opts: { forceScratch?: boolean; reason?: string; featureCache?: FeatureRowCache } = {},
  ): { run: RunRecord<PropensityRunResult>; done: Promise<RunRecord<PropensityRunResult>> } {
    const horizon = this.horizon(horizonName);
    const model = propensityModelName(horizon.name);
    const meta = { kind: 'propensity', model, trigger, reason: opts.reason ?? null };
    const started = this.runs.start(meta, async (progress) => {
      const { tf } = await getTf();
      const trainer = new PropensityTrainer(
        tf,
        this.registry,
        this.builder,
        this.config.trainer,
        this.log,
      );
      return trainer.run(horizon, progress, {
        ...(opts.forceScratch !== undefined ? { forceScratch: opts.forceScratch } : {}),
        ...(opts.reason !== undefined ? { triggerReason: opts.reason } : {}),
        ...(opts.featureCache ? { featureCache: opts.featureCache } : {}),
      });
    });
    const tracked = started.done.then((r) => {
      if (r.status === 'failed')
        this.log.warn({ model, run: r.id, trigger, error: r.error }, 'training run failed');
      return r;
    });
    this.inflight.add(tracked);
    void tracked.finally(() => this.inflight.delete(tracked));
    return { run: started.run, done: tracked };
  }

  /**
   * One scheduler tick: every model due (scheduleDecision) is trained, one after the other; returns
   * how many models have no champion. Throws IngestLagUnavailableError when the lag is unreadable.
   */
  async tick(): Promise<number> {
    let missing = 0;
    // Scheduled runs train on complete data: while the aggregator is still catching up (a first-run
    // history, a backlog) the watermark would cut the window short, so they wait (API runs do not).
    // An unreadable lag fails the tick (logged, retried): it is not "no lag".
    let lag: number;
    try {
      lag = await this.ingestLag();
    } catch (e) {
      throw new IngestLagUnavailableError(e);
    }
    if (lag > INGEST_LAG_TOLERANCE) {
      this.log.info({ lag }, 'waiting for ingest to catch up before scheduled training');
      return this.horizons.length;
    }
    // The horizons' runs of one tick share their feature rows (same cut-off grid and user samples).
    const featureCache = new FeatureRowCache();
    for (const h of this.horizons) {
      const name = propensityModelName(h.name);
      const champion = await this.registry.champion(name);
      if (!champion) missing++;
      const record = this.runs.list().find((r) => r.model === name);
      const last = record ? lastRunOf(record as RunRecord<PropensityRunResult>) : null;
      // the data watermark matters only after a rejected run (one bounds query then)
      const watermarkMs =
        last?.outcome && !last.outcome.promoted
          ? ((await this.history.bounds())?.watermarkMs ?? null)
          : null;
      const decision = scheduleDecision(
        {
          nowMs: Date.now(),
          championCreatedAtMs: champion ? Date.parse(champion.createdAt) : null,
          last,
          watermarkMs,
        },
        {
          firstRunRetryMs: FIRST_RUN_RETRY_MS,
          intervalMs: this.config.trainer.intervalMs,
          rejectedRetry: this.config.trainer.rejectedRetry,
        },
      );
      if (!decision.due) {
        if (decision.backoff && record && this.backoffLogged.get(name) !== record.id) {
          this.backoffLogged.set(name, record.id);
          this.log.info({ model: name, reason: decision.reason }, 'retraining backed off');
        }
        continue;
      }
      const { done } = this.trainPropensity(h.name, decision.trigger, {
        featureCache,
        ...(decision.afterRejection ? { reason: decision.reason } : {}),
      });
      const r = await done;
      if (r.status === 'failed' && /history|no events|no positive/i.test(r.error ?? ''))
        this.log.info({ model: name, reason: r.error }, 'not enough data to train yet');
    }
    return missing;
  }

  /**
   * Null once every propensity model's first run is settled (a champion, or a finished run: the
   * gate rejected it or the history is too short), else why not: a first demand run waits for it so
   * the two do not share the CPU (README, first run).
   */
  async firstRunsPending(): Promise<string | null> {
    if (!this.config.trainer.enabled) return null;
    const pending: string[] = [];
    for (const h of this.horizons) {
      const name = propensityModelName(h.name);
      if (await this.registry.champion(name)) continue;
      const last = this.runs.list().find((r) => r.model === name);
      if (!last) pending.push(`${name} has not run yet`);
      else if (last.status === 'running') pending.push(`${name} is training`);
    }
    return pending.length > 0 ? pending.join(', ') : null;
  }

  /**
   * One drift check of every propensity model: PSI of live feature vectors against the champion's
   * training profile (metric storepulse_trainer_drift_psi) and the champion's persisted live AUC
   * against its validation AUC (storepulse_trainer_drift_live_auc), and a retraining run (trigger
   * 'drift', the reason in the run and the registry event) where the trigger fires outside the cooldown.
   */
  async checkDrift(): Promise<DriftCheckResult[]> {
    const out: DriftCheckResult[] = [];
    this.driftPsi.reset();
    this.driftLiveAuc.reset();
    for (const h of this.horizons) {
      const model = propensityModelName(h.name);
      const r = await this.drift.check(model, this.runs.isRunning(model));
      for (const p of r.psi) this.driftPsi.set({ model, feature: p.feature }, p.psi);
      const la = r.liveAuc;
      if (la && la.auc !== null)
        this.driftLiveAuc.set({ model, version: String(la.version), use: la.use }, la.auc);
      this.driftChecks.inc({ model, action: r.action });
      this.lastDrift.set(model, { ...r, checkedAt: new Date().toISOString() });
      const worst = r.psi[0];
      this.log.info(
        {
          model,
          version: r.version,
          action: r.action,
          rows: r.rows,
          worst: worst ? { feature: worst.feature, psi: worst.psi } : null,
          liveAuc: la
            ? {
                auc: la.auc,
                n: la.n,
                validationAuc: la.validationAuc,
                use: la.use,
                computedAt: new Date(la.computedAtMs).toISOString(),
              }
            : null,
          reason: r.reason,
          cooldownLeftMs: this.drift.cooldownLeftMs(model),
        },
        'drift check',
      );
      if (r.action === 'retrain' && r.reason) {
        try {
          const { run } = this.trainPropensity(h.name, 'drift', { reason: r.reason });
          this.drift.triggered(model);
          this.log.warn({ model, run: run.id, reason: r.reason }, 'drift: retraining started');
        } catch (e) {
          if (!(e instanceof RunConflictError)) throw e;
        }
      }
      out.push(r);
    }
    return out;
  }

  private scheduleDrift(everyMs: number): void {
    if (this.stopped) return;
    this.driftTimer = setTimeout(() => {
      const t = this.checkDrift().then(
        () => this.scheduleDrift(everyMs),
        (e: unknown) => {
          this.log.error({ err: e }, 'drift check failed; retried next interval');
          this.scheduleDrift(everyMs);
        },
      );
      this.inflight.add(t);
      void t.finally(() => this.inflight.delete(t));
    }, everyMs);
    this.driftTimer.unref();
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const t = this.tick().then(
        (missing) => this.schedule(missing > 0 ? 10_000 : 60_000),
        (e: unknown) => {
          this.log.error({ err: e }, 'trainer schedule tick failed');
          this.schedule(FIRST_RUN_RETRY_MS);
        },
      );
      this.inflight.add(t);
      void t.finally(() => this.inflight.delete(t));
    }, delayMs);
    this.timer.unref();
  }
}

export { NotEnoughHistoryError };
