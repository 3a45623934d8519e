export * from './rollups';
export * from './catalog';
export * from './query';
export * from './store';
