export { type PlatformEnvironment, type PlatformSigners, readPlatformEnvironment } from './config/platform-env.js';
export {
  ConfigError,
  type LoadOptions,
  loadServiceConfig,
  type OidcSettings,
  type Policy,
  type ServiceConfig,
  type ServiceKeyEntry,
  type TokenName,
} from './config/service-config.js';
export { roleFromClaims, USER_HEADER } from './service/identity.js';
export { type RunningService, startService } from './service/server.js';
export { createServiceKey, hashServiceKey, matchServiceKey, SERVICE_KEY_PATTERN } from './service/service-keys.js';
