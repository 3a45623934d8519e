import { Inject, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@storepulse/config';
import { CLICKHOUSE, type ClickHouseHandle } from '@storepulse/clickhouse';
import { LOGGER, type Logger } from '@storepulse/observability';
import { FeaturesController } from './features.controller';
import { applyRollupRetention } from './retention';
import { FeatureStore } from './store';

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
      provide: FeatureStore,
      useFactory: (ch: ClickHouseHandle) => new FeatureStore(ch.client),
      inject: [CLICKHOUSE],
    },
    FeaturesRetention,
  ],
  exports: [FeatureStore],
})
export class FeaturesModule {}
