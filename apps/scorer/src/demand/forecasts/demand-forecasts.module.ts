// The demand forecast publisher and the forecasts API, for the scorer (or the all-in-one platform).
// Needs the global APP_CONFIG, KAFKA, CLICKHOUSE, LOGGER, PipelineMetrics and HealthRegistry
// providers, and bindings of DEMAND_SERIES_SOURCE and DEMAND_FORECASTER_LOADER (tokens.ts): pass
// them to register(), or provide them globally and import the module as it is.
import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { RegistryModule } from '@storepulse/ml';
import { DemandForecastService } from './demand-forecast.service';
import { DemandForecastsController } from './forecasts.controller';

@Module({
  imports: [RegistryModule],
  controllers: [DemandForecastsController],
  providers: [DemandForecastService],
  exports: [DemandForecastService],
})
export class DemandForecastsModule {
  /**
   * @param deps.providers bind DEMAND_SERIES_SOURCE and DEMAND_FORECASTER_LOADER (and optionally
   *   DEMAND_FORECAST_CLOCK); deps.imports: the modules those providers inject from
   */
  static register(deps: {
    imports?: NonNullable<DynamicModule['imports']>;
    providers: Provider[];
  }): DynamicModule {
    return {
      module: DemandForecastsModule,
      imports: deps.imports ?? [],
      providers: deps.providers,
    };
  }
}
