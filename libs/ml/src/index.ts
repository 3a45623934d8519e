export * from './tf-provider';
export * from './tf-metrics';
export * from './model-io';
export * from './models';
export { readExpectNativeEnv, readTfBackendEnv } from './tf-env';
export * from './ml.module';
export * from './forecast';
