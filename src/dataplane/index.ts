export { DataPlane, type DataPlaneOptions, type ReloadResult, StartupError } from './server';
export { ConfigWatcher, type ConfigWatcherOptions, type ReloadCause } from './config-watcher';
export { FileAndEnvSecrets, secretEnvName, type SecretSource } from './secrets';
export { loadConfigDir, readConfigDir } from './config-dir';
export { PROVIDER_ADAPTERS, type ProviderAdapter } from './providers';
export { ENDPOINTS, type Endpoint, endpointOf } from './endpoints';
export { createLogger } from './access-log';
