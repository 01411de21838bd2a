// The reference server's composition, exported for tests and for hosts that want the same wiring.
export { type ConfigProblem, describeGot, formatConfigProblems } from './config/config-problems.js';
export { CONFIG_SCHEMA_ID, configJsonSchema, configJsonSchemaText } from './config/json-schema.js';
export {
  type LoadedConfig,
  loadServerConfig,
  parseServerConfig,
  parseServerConfigYaml,
} from './config/load-config.js';
export {
  type ClusterConfig,
  durationSchema,
  listenAddressSchema,
  type SecretRef,
  type ServerConfig,
  type ServerConfigInput,
  secretRefSchema,
  serverConfigSchema,
} from './config/schema.js';
export { DEMO_USERS, type DemoCredential, demoStateDir } from './demo/demo-state.js';
export { DEMO_SSO, type DemoOptions, quickStart, type RunningDemo, startDemo } from './demo/start-demo.js';
export type { HostCredentials } from './server/host-credentials.js';
export { type RunningServer, type StartServerOptions, startServer } from './server/start-server.js';
