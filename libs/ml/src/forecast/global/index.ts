// Public surface of the global TF.js quantile demand model (feature-row internals stay private).
export {
  MIN_TRAIN_HISTORY,
  Vocabulary,
  decoderFeatureCount,
  encoderFeatureNames,
  type DemandSeries,
  type FeatureLayout,
} from './features';
export { QUANTILES, type NetworkShape } from './network';
export * from './model';
export * from './calibration';
export * from './backtest';
export * from './synthetic';
