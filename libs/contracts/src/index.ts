export * from './topics';
export * from './schemas';
export * from './validate';
export * from './json-schema';
export * from './time';
export * from './predictions';
export * from './demand';
