export * from './local-broker';
export * from './infra';
export * from './lifecycle';
export * from './main';
export * from './access';
