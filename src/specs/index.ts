export * from './catalog';
export * from './config';
export * from './runtime';
export * from './sizing';
export * from './shards';
export { LIBRARY_VERSION } from './version';
export * from './providers';
