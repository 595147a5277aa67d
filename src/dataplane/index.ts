export { DataPlane, type DataPlaneOptions, StartupError } from './server';
export { FileAndEnvSecrets, secretEnvName, type SecretSource } from './secrets';
export { loadConfigDir, readConfigDir } from './config-dir';
export { PROVIDER_ADAPTERS, type ProviderAdapter, type Endpoint } from './providers';
export { createLogger } from './access-log';
