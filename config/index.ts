export { configSchema, type Config, type ConfigInput } from './schema';
export { loadConfig, ConfigError, sipDomain, sipRealm } from './load';
export { envBindings } from './env';
