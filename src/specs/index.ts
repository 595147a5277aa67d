export * from './catalog';
export * from './config';
export { checkGatewayConfig, MAX_CONFIG_NESTING } from './config-issues';
export * from './runtime';
export * from './sizing';
export * from './metrics';
export * from './shards';
export { LIBRARY_VERSION } from './version';
export * from './providers';
