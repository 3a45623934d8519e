export * from './demand-trainer';
export * from './demand-trainer.service';
