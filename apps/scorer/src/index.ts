export * from './scorer.module';
export * from './scorer.service';
export * from './champions';
export * from './propensity-scorer';
export * from './score-events';
export * from './predictions.controller';
