export * from './local-broker';
export * from './infra';
export * from './lifecycle';
