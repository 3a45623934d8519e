// Wires the scorer: champion cache (hot swap), the scoring use case, the upstream-progress port and the
// exactly-once transport the app connects as its microservice.
import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { APP_CONFIG, type AppConfig } from '@storepulse/config';
import { TOPICS } from '@storepulse/contracts';
import { CLICKHOUSE, type ClickHouseHandle } from '@storepulse/clickhouse';
import {
  ClickHousePropensityHistory,
  FeatureStore,
  type PropensityHistory,
} from '@storepulse/features';
import { BatchTransport, KAFKA, KafkaGroupProgress } from '@storepulse/kafka';
import { getTf, LiveSamplesStore, ModelRegistry, psi } from '@storepulse/ml';
import { HealthRegistry, LOGGER, PipelineMetrics, type Logger } from '@storepulse/observability';
import { Counter, Gauge } from 'prom-client';
import { ChampionCache } from './champions';
import { resolveChampionLiveAuc } from './live-auc';
import { ClickHouseLiveMetrics, type LiveMetricsRepository } from './live-metrics';
import { transactionalTransport } from './transport-options';
import type { LiveModelStats } from './live-stats';
import { PropensityScorer } from './propensity-scorer';
import { ScoreEvents } from './score-events';

const modelName = (h: string) => `propensity_${h}`;
const LIVE_AUC_EVERY_MS = 60_000;

export interface LiveModelView extends LiveModelStats {
  drift: { feature: string; psi: number }[];
  liveAuc: { auc: number; n: number } | null;
}

@Injectable()
export class ScorerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log: Logger;
  private cache: ChampionCache | undefined;
  private scorerInstance: PropensityScorer | undefined;
  private eventsInstance: ScoreEvents | undefined;
  private readonly upstream: KafkaGroupProgress;
  private transportInstance: BatchTransport | undefined;
  private readonly history: PropensityHistory;
  private readonly liveMetrics: LiveMetricsRepository;
  private readonly liveSamples: Pick<LiveSamplesStore, 'append'>;
  private aucTimer: NodeJS.Timeout | undefined;
  private resolving: Promise<void> | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(LOGGER) logger: Logger,
    private readonly registry: ModelRegistry,
    private readonly features: FeatureStore,
    private readonly metrics: PipelineMetrics,
    health: HealthRegistry,
    @Inject(CLICKHOUSE) ch: ClickHouseHandle,
  ) {
    this.log = logger.child({ component: 'scorer' });
    this.history = new ClickHousePropensityHistory(ch.client);
    this.liveMetrics = new ClickHouseLiveMetrics(ch.client);
    this.liveSamples = new LiveSamplesStore(ch.client);
    this.upstream = new KafkaGroupProgress(kafka, config.aggregator.groupId);
    health.register({
      name: 'scorer',
      check: () => {
        const champions = this.cache?.all().map((c) => `${c.name}@${c.version}`) ?? [];
        const t = this.transportInstance?.health();
        // Before the first champion, batches are held on purpose (retried until a model exists, as
        // on a first `npm start`): that is waiting, not a stalled scorer.
        const waiting = champions.length === 0;
        return Promise.resolve({
          ok: t ? !t.stalled || waiting : true,
          details: {
            champions: champions.join(',') || 'none',
            waitingForChampion: waiting,
            ...(this.eventsInstance ? this.eventsInstance.counters : {}),
            ...(t
              ? { stalled: t.stalled, lastError: t.lastError ?? '', producers: t.producers }
              : {}),
          },
        });
      },
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    const { tf } = await getTf();
    const models = new Map(this.config.trainer.horizons.map((h) => [h.name, modelName(h.name)]));
    this.cache = new ChampionCache(
      tf,
      this.registry,
      models,
      new Map(this.config.trainer.horizons.map((h) => [h.name, h.ms])),
      this.config.scorer.modelPollMs,
      this.log,
    );
    this.scorerInstance = new PropensityScorer(tf, this.features, this.cache);
    this.eventsInstance = new ScoreEvents(
      this.scorerInstance,
      this.upstream,
      {
        aggregatorGroupId: this.config.aggregator.groupId,
        featuresWaitMs: this.config.scorer.featuresWaitMs,
        debounceMs: this.config.scorer.debounceMs,
        maxEventAgeMs: this.config.scorer.maxEventAgeMs,
        eventTime: {
          allowedLatenessMs: this.config.features.allowedLatenessMs,
          maxFutureMs: this.config.features.maxFutureMs,
        },
        maxPendingEvents: this.config.scorer.maxPendingEvents,
      },
      Date.now,
      this.features.online,
    );
    this.registerMetrics();
    await this.cache.start();
    this.aucTimer = setInterval(() => {
      this.resolving ??= this.resolveLiveAuc().finally(() => (this.resolving = undefined));
    }, LIVE_AUC_EVERY_MS);
    this.aucTimer.unref();
  }

  /**
   * Labels the live scores whose horizon has passed the data watermark: the live AUC per model, kept
   * in memory (metric storepulse_model_live_auc) and appended to model_live_metrics, its labelled
   * samples to model_live_samples (which the trainer's drift check and the Models page pool over a
   * window). A failed append is logged; the labelled samples are not retried.
   */
  async resolveLiveAuc(): Promise<void> {
    try {
      const bounds = await this.history.bounds();
      if (!bounds) return;
      for (const c of this.cache?.all() ?? []) {
        const resolved = await resolveChampionLiveAuc(
          c,
          bounds.watermarkMs,
          (from, to) => this.history.orderTimes(from, to),
          Date.now(),
        );
        if (!resolved) continue;
        const { record, samples } = resolved;
        try {
          await this.liveSamples.append({
            model: record.model,
            version: record.version,
            horizon: record.horizon,
            computedAtMs: record.computedAtMs,
            watermarkMs: record.watermarkMs,
            samples,
          });
        } catch (e) {
          this.log.warn(
            { err: e, model: c.name, version: c.version, samples: samples.length },
            'live samples not persisted to model_live_samples',
          );
        }
        try {
          await this.liveMetrics.record(record);
        } catch (e) {
          this.log.warn(
            { err: e, model: c.name, version: c.version, auc: record.auc, n: record.n },
            'live AUC not persisted to model_live_metrics',
          );
        }
      }
    } catch (e) {
      this.log.warn({ err: e }, 'live AUC resolution failed; retried next interval');
    }
  }

  /** Per model: what the scorer serves, its live score distribution, input drift, live AUC. */
  live(): LiveModelView[] {
    const champions = new Map((this.cache?.all() ?? []).map((c) => [c.name, c]));
    return this.scorer()
      .live.list()
      .map((m) => {
        const c = champions.get(m.name);
        const current = c && c.version === m.version ? c : undefined;
        return {
          ...m,
          drift:
            current?.profile && current.drift && current.drift.rows() > 0
              ? psi(current.profile, current.drift)
                  .slice(0, 10)
                  .map((p) => ({ feature: p.feature, psi: p.psi }))
              : [],
          liveAuc: current?.liveAuc ? { auc: current.liveAuc.auc, n: current.liveAuc.n } : null,
        };
      });
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.aucTimer) clearInterval(this.aucTimer);
    await this.resolving;
    await this.cache?.stop();
    await this.upstream.close();
  }

  scorer(): PropensityScorer {
    if (!this.scorerInstance) throw new Error('scorer not started yet');
    return this.scorerInstance;
  }

  events(): ScoreEvents {
    if (!this.eventsInstance) throw new Error('scorer not started yet');
    return this.eventsInstance;
  }

  champions(): ChampionCache {
    if (!this.cache) throw new Error('scorer not started yet');
    return this.cache;
  }

  /** The exactly-once transport of the scorer's @EventPattern handlers (connect it as the app's microservice). */
  transport(): BatchTransport {
    // old events are skipped by age (SCORER_MAX_EVENT_AGE_MS), so reading from the start is cheap
    this.transportInstance ??= transactionalTransport(this.config, this.kafka, {
      groupId: this.config.scorer.groupId,
      topics: [TOPICS.clickstream, TOPICS.orders],
      logger: this.log,
      metrics: this.metrics,
    });
    return this.transportInstance;
  }

  private registerMetrics(): void {
    const registry = this.metrics.registry;
    const counters = () => this.eventsInstance?.counters;
    new Counter({
      name: 'storepulse_scorer_events_total',
      help: 'Storefront events seen by the scorer, by outcome',
      labelNames: ['outcome'],
      registers: [registry],
      collect() {
        const c = counters();
        if (!c) return;
        this.reset();
        this.inc({ outcome: 'scored' }, c.events - c.debounced);
        this.inc({ outcome: 'dropped_invalid' }, c.dropped);
        this.inc({ outcome: 'too_old' }, c.tooOld);
        this.inc({ outcome: 'debounced' }, c.debounced);
      },
    });
    new Counter({
      name: 'storepulse_scorer_predictions_total',
      help: 'Predictions published (committed or pending in a transaction)',
      registers: [registry],
      collect() {
        const c = counters();
        if (!c) return;
        this.reset();
        this.inc(c.predictions);
      },
    });
    new Counter({
      name: 'storepulse_scorer_batches_total',
      help: 'Scorer partition batches by how their events got into the features: folded (not stored yet, no wait) or waited (for the aggregator to store them)',
      labelNames: ['path'],
      registers: [registry],
      collect() {
        const c = counters();
        if (!c) return;
        this.reset();
        this.inc({ path: 'folded' }, c.batchesFolded);
        this.inc({ path: 'waited' }, c.batchesWaited);
      },
    });
    const events = () => this.eventsInstance;
    new Gauge({
      name: 'storepulse_scorer_pending_events',
      help: 'Consumed events folded into features that the aggregator has not stored yet (SCORER_MAX_PENDING_EVENTS caps it)',
      registers: [registry],
      collect() {
        this.set(events()?.pendingEvents ?? 0);
      },
    });
    const live = () => (this.scorerInstance ? this.live() : []);
    new Gauge({
      name: 'storepulse_feature_psi',
      help: 'Population stability index of a model input, training vs live scoring (top 10 per model)',
      labelNames: ['model', 'feature'],
      registers: [registry],
      collect() {
        this.reset();
        for (const m of live())
          for (const d of m.drift) this.set({ model: m.name, feature: d.feature }, d.psi);
      },
    });
    new Gauge({
      name: 'storepulse_model_live_auc',
      help: 'ROC AUC of live scores whose labels have matured (horizon passed)',
      labelNames: ['model'],
      registers: [registry],
      collect() {
        this.reset();
        for (const m of live()) if (m.liveAuc) this.set({ model: m.name }, m.liveAuc.auc);
      },
    });
    const cache = () => this.cache;
    new Gauge({
      name: 'storepulse_scorer_champion_version',
      help: 'Model version the scorer serves, per model',
      labelNames: ['model'],
      registers: [registry],
      collect() {
        this.reset();
        for (const c of cache()?.all() ?? []) this.set({ model: c.name }, c.version);
      },
    });
  }
}
