export * from './group-lag';
export * from './offset-timestamps';
export * from './cluster-lag';
export * from './status';
