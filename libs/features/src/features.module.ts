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
import { LOGGER, type Logger } from '@storepulse/observability';
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
  ) {}

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
