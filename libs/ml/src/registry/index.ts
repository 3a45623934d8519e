// Model registry (ClickHouse tables models / model_events) and the promotion gate.
export * from './registry';
export * from './gate';
export * from './live-samples';
