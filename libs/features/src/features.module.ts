import {
  Inject,
  Injectable,
  Module,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@storepulse/config';
import { CLICKHOUSE, type ClickHouseHandle } from '@storepulse/clickhouse';
import { Gauge } from 'prom-client';
import { LOGGER, PipelineMetrics, type Logger } from '@storepulse/observability';
import { FeaturesController } from './features.controller';
import { applyRollupRetention } from './retention';
import { FeatureStore } from './store';
import { OnlineFeatureStore } from './online';

/** The online tier (OnlineFeatureStore), or null when FEATURES_ONLINE resolves to off. */
export const ONLINE_FEATURES = Symbol('ONLINE_FEATURES');

/**
 * How often the online tier re-reads its lifetime accumulators from the hour rollups (follows the
 * rollup TTL; makes users with a late pre-horizon row exact in the tier again).
 */
export const LIFETIME_REFRESH_MS = 3_600_000;

/**
 * Warms the online tier up in the background (lookups use ClickHouse meanwhile), evicts old buckets
 * every minute and refreshes the lifetime accumulators every {@link LIFETIME_REFRESH_MS}.
 */
@Injectable()
export class OnlineFeaturesLifecycle implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private warming: Promise<void> | undefined;

  constructor(
    @Inject(ONLINE_FEATURES) private readonly online: OnlineFeatureStore | null,
    @Inject(LOGGER) private readonly logger: Logger,
    metrics: PipelineMetrics,
  ) {
    if (online) registerOnlineTierGauges(metrics, online);
  }

  onApplicationBootstrap(): void {
    const online = this.online;
    if (!online) return;
    this.warming = online.warmUp().then(
      () => this.logger.info({ ...online.status() }, 'online feature tier ready'),
      (e: unknown) =>
        this.logger.error(
          { err: e },
          'online feature tier warm-up failed; serving from ClickHouse',
        ),
    );
    this.timer = setInterval(() => online.evict(), 60_000);
    this.timer.unref();
    this.refreshTimer = setInterval(() => {
      online.refreshLifetimeBase().then(
        (done) => {
          if (done) this.logger.debug('online lifetime accumulators refreshed');
        },
        (e: unknown) =>
          this.logger.warn(
            { err: e },
            'online lifetime accumulators: refresh failed; keeping the previous ones',
          ),
      );
    }, LIFETIME_REFRESH_MS);
    this.refreshTimer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.online?.stop();
    await this.warming;
  }
}

/**
 * `storepulse_online_tier_bytes` and `storepulse_online_tier_buckets{granularity}`: the tier's size,
 * read at scrape time (its buckets are kept for the whole horizon, so under a steady load both grow
 * until the oldest live bucket leaves it; docs/reliability.md, "Soak").
 */
export function registerOnlineTierGauges(
  metrics: PipelineMetrics,
  online: OnlineFeatureStore,
): void {
  if (metrics.registry.getSingleMetric('storepulse_online_tier_bytes')) return;
  new Gauge({
    name: 'storepulse_online_tier_bytes',
    help: 'Bytes of the online feature tier’s bucket arrays (allocated)',
    registers: [metrics.registry],
    collect() {
      this.set(online.status().bytes);
    },
  });
  new Gauge({
    name: 'storepulse_online_tier_buckets',
    help: 'Buckets the online feature tier holds, per granularity (minute, hour)',
    labelNames: ['granularity'] as const,
    registers: [metrics.registry],
    collect() {
      const s = online.status();
      this.set({ granularity: 'minute' }, s.buckets);
      this.set({ granularity: 'hour' }, s.hourBuckets);
    },
  });
}

/** Applies the rollup TTL from config at start-up (the migrations created the rollups). */
@Injectable()
export class FeaturesRetention implements OnModuleInit {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLICKHOUSE) private readonly ch: ClickHouseHandle,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    const changed = await applyRollupRetention(
      this.ch.client,
      this.ch.database,
      this.config.features.rollupTtlDays,
    );
    if (changed.length > 0)
      this.logger.info(
        { tables: changed, days: this.config.features.rollupTtlDays },
        'rollup TTL set',
      );
  }
}

/**
 * Feature serving over the rollups (GET /api/features/..., POST /api/features/batch). Needs the global
 * ConfigModule, ClickHouseModule and ObservabilityModule, like the other app modules.
 */
@Module({
  controllers: [FeaturesController],
  providers: [
    {
      provide: ONLINE_FEATURES,
      useFactory: (config: AppConfig, ch: ClickHouseHandle, logger: Logger) =>
        config.features.online
          ? new OnlineFeatureStore(ch.client, {
              pipeline: 'aggregator',
              onProgress: (line) => logger.info(line),
            })
          : null,
      inject: [APP_CONFIG, CLICKHOUSE, LOGGER],
    },
    {
      provide: FeatureStore,
      useFactory: (ch: ClickHouseHandle, online: OnlineFeatureStore | null) =>
        new FeatureStore(ch.client, online ?? undefined),
      inject: [CLICKHOUSE, ONLINE_FEATURES],
    },
    FeaturesRetention,
    OnlineFeaturesLifecycle,
  ],
  exports: [FeatureStore, ONLINE_FEATURES, OnlineFeaturesLifecycle],
})
export class FeaturesModule {}
