// Public surface of the replenishment computation (quantile forecast → reorder recommendation).
export * from './types';
export * from './daily-distribution';
export * from './replenish';
export * from './normal-scores';
