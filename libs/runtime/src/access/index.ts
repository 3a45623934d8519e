export * from './access.module';
export * from './api-key.guard';
export * from './decide';
export * from './listen';
export * from './routes';
