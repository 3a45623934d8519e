export * from './rollups';
export * from './catalog';
export * from './query';
export * from './store';
export * from './retention';
export * from './features.controller';
export * from './features.module';
export * from './reference';
