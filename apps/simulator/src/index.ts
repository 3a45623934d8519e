export * from './simulator.module';
export * from './simulator.service';
export * from './message-sink';
export * from './kafka-message-sink';
export * from './storefront';
export * from './inventory-loop';
