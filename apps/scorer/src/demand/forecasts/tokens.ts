// Nest injection tokens for the parts the demand trainer provides (bound by the app that imports
// DemandForecastsModule): the daily series from the order rollups and the artifact loader.
/** A `DemandSeriesSource` (libs/features/src/demand-series.ts), e.g. ClickHouseDemandSeries. */
export const DEMAND_SERIES_SOURCE = Symbol('DEMAND_SERIES_SOURCE');
/** A `LoadDemandForecaster` (libs/ml/src/forecast/demand-forecaster.ts) for registry artifacts. */
export const DEMAND_FORECASTER_LOADER = Symbol('DEMAND_FORECASTER_LOADER');
/** Optional: the clock (epoch ms) of the publisher; Date.now when not bound (tests pin the hour). */
export const DEMAND_FORECAST_CLOCK = Symbol('DEMAND_FORECAST_CLOCK');
