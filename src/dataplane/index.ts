export { DataPlane, StartupError } from './server';
export { ConfigWatcher } from './config-watcher';
export { FileAndEnvSecrets, secretEnvName, type SecretSource } from './secrets';
export { loadConfigDir } from './config-dir';
export { createLogger } from './access-log';
