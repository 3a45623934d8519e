// Public surface of the demand-forecast baselines, metrics and backtest.
export * from './types';
export * from './seasonal-naive';
export * from './croston';
export * from './tsb';
export * from './ets-core';
export * from './ets';
export * from './auto-ets';
export * from './nelder-mead';
export * from './intermittent';
export * from './ensemble';
export * from './metrics';
export * from './backtest';
export * from './global';
export * from './demand-forecaster';
export * from './demand-model';
export * from './per-sku-fit';
export * from './per-sku-pool';
