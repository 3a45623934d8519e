// The batch microservice transport: BatchTransport (Nest custom transport), its message types and helpers.
export * from './types';
export * from './records';
export * from './io';
export * from './rdkafka-io';
export * from './batch-processor';
export * from './batch-transport';
export * from './pass-through-errors';
export { installReadCommittedFix } from './read-committed';
