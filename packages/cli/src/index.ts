export { createServiceKey, hashServiceKey, SERVICE_KEY_PATTERN } from './service/service-keys.js';
