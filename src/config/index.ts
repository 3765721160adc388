export { loadConfig, parseConfig } from './load.js';
export { ConfigError, formatIssue, formatWarning, type ConfigIssue } from './errors.js';
export type * from './types.js';
export { clientKeyPreview, findClientKey, hashClientKey } from './client-key-hash.js';
