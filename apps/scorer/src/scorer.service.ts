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
import { FeatureStore } from '@storepulse/features';
import { BatchTransport, KAFKA, KafkaGroupProgress } from '@storepulse/kafka';
import { getTf, ModelRegistry } from '@storepulse/ml';
import { HealthRegistry, LOGGER, PipelineMetrics, type Logger } from '@storepulse/observability';
import { Counter, Gauge } from 'prom-client';
import { ChampionCache } from './champions';
import { PropensityScorer } from './propensity-scorer';
import { ScoreEvents } from './score-events';

const modelName = (h: string) => `propensity_${h}`;

@Injectable()
export class ScorerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log: Logger;
  private cache: ChampionCache | undefined;
  private scorerInstance: PropensityScorer | undefined;
  private eventsInstance: ScoreEvents | undefined;
  private readonly upstream: KafkaGroupProgress;
  private transportInstance: BatchTransport | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(LOGGER) logger: Logger,
    private readonly registry: ModelRegistry,
    private readonly features: FeatureStore,
    private readonly metrics: PipelineMetrics,
    health: HealthRegistry,
  ) {
    this.log = logger.child({ component: 'scorer' });
    this.upstream = new KafkaGroupProgress(kafka, config.aggregator.groupId);
    health.register({
      name: 'scorer',
      check: () => {
        const champions = this.cache?.all().map((c) => `${c.name}@${c.version}`) ?? [];
        const t = this.transportInstance?.health();
        return Promise.resolve({
          ok: t ? !t.stalled : true,
          details: {
            champions: champions.join(',') || 'none',
            ...(this.eventsInstance ? this.eventsInstance.counters : {}),
            ...(t ? { stalled: t.stalled, lastError: t.lastError ?? '' } : {}),
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
      this.config.scorer.modelPollMs,
      this.log,
    );
    this.scorerInstance = new PropensityScorer(tf, this.features, this.cache);
    this.eventsInstance = new ScoreEvents(this.scorerInstance, this.upstream, {
      aggregatorGroupId: this.config.aggregator.groupId,
      featuresWaitMs: this.config.scorer.featuresWaitMs,
      debounceMs: this.config.scorer.debounceMs,
      maxEventAgeMs: this.config.scorer.maxEventAgeMs,
    });
    this.registerMetrics();
    await this.cache.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
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
    this.transportInstance ??= new BatchTransport({
      kafka: this.kafka,
      groupId: this.config.scorer.groupId,
      topics: [TOPICS.clickstream, TOPICS.orders],
      mode: 'transactional',
      partitionsConcurrency: this.config.aggregator.partitionsConcurrency,
      maxBytesPerPartition: 1024 * 1024,
      retryMaxMs: 5_000,
      stallTimeoutMs: this.config.aggregator.stallTimeoutMs,
      drainTimeoutMs: this.config.shutdownDrainTimeoutMs,
      sessionTimeoutMs: this.config.aggregator.sessionTimeoutMs,
      // From the start: nothing is lost before the group's first commit; old events are skipped by age.
      fromBeginning: true,
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
