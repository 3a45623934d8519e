export * from './trainer.module';
export * from './trainer.service';
export * from './models.controller';
export * from './runs/run-tracker';
export * from './propensity/cutoffs';
export * from './propensity/training-set';
export * from './propensity/train-propensity';
export * from './demand';
