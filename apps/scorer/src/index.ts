export * from './scorer.module';
export * from './scorer.service';
export * from './champions';
export * from './propensity-scorer';
export * from './score-events';
export * from './predictions.controller';
export {
  DemandForecastsModule,
  DemandForecastService,
  DEMAND_FORECASTER_LOADER,
  DEMAND_SERIES_SOURCE,
  DEMAND_FORECAST_CLOCK,
} from './demand/forecasts';
export { ReplenishmentModule, ReplenishmentService } from './demand/replenishment';
export * from './demand/demand.module';
export * from './live-metrics';
export * from './live-auc';
