export * from './server';
export { GatewayError } from './protocol';
