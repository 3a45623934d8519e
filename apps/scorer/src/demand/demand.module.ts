// The scorer's demand half: the hourly forecast publisher (forecasts.demand.v1) and the
// replenishment consumer (inventory.replenishment.v1), with the trainer's series reader and
// artifact loader bound to the publisher's ports. Needs the global APP_CONFIG, KAFKA, CLICKHOUSE,
// LOGGER, PipelineMetrics and HealthRegistry providers; the app connects
// ReplenishmentService.transport() as a microservice when config.replenishment.enabled.
import { Module, type DynamicModule } from '@nestjs/common';
import type { AppConfig } from '@storepulse/config';
import { CLICKHOUSE, type ClickHouseHandle } from '@storepulse/clickhouse';
import { ClickHouseDemandSeries } from '@storepulse/features';
import { loadDemandForecaster } from '@storepulse/ml';
import { DEMAND_FORECASTER_LOADER, DEMAND_SERIES_SOURCE, DemandForecastsModule } from './forecasts';
import { ReplenishmentModule } from './replenishment';

@Module({})
export class DemandModule {
  static forConfig(config: AppConfig): DynamicModule {
    return {
      module: DemandModule,
      imports: [
        ...(config.demand.enabled
          ? [
              DemandForecastsModule.register({
                providers: [
                  {
                    provide: DEMAND_SERIES_SOURCE,
                    inject: [CLICKHOUSE],
                    useFactory: (ch: ClickHouseHandle) => new ClickHouseDemandSeries(ch.client),
                  },
                  { provide: DEMAND_FORECASTER_LOADER, useValue: loadDemandForecaster },
                ],
              }),
            ]
          : []),
        ...(config.replenishment.enabled ? [ReplenishmentModule] : []),
      ],
    };
  }
}
