export * from './client';
export * from './topics';
export * from './lag';
export * from './dead-letter';
export * from './batch-consumer';
export * from './kafka.module';
export * from './health';
export * from './transport';
