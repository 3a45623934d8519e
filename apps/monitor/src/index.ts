export * from './alerts';
export * from './monitor';
export * from './monitor.module';
export * from './monitor.service';
export * from './docs';
export * from './view';
export * from './dashboard/dashboard.controller';
export * from './dashboard/models-page';
