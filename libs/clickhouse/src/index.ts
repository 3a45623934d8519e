export * from './client';
export * from './migrations';
export * from './insert';
export * from './clickhouse.module';
export * from './chunk';
export * from './gateway';
export * from './range-counts';
export * from './disk-full';
