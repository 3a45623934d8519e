export * from './parse';
export * from './importer';
export * from './counters';
