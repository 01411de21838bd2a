// `@remoteler/custom-gateway-example`: how a host Node service embeds Remoteler with its own plugins.
// reflect-metadata must be evaluated before tsyringe (which @remoteler/core/di and the audit bridge load).
import 'reflect-metadata';

export {
  API_KEY_PREFIX,
  ApiKeyConnector,
  type ApiKeyConnectorOptions,
  createApiKey,
  type HostAccount,
  type HostAccountLookup,
  hashApiKey,
} from './api-key-connector.js';
export { type Gateway, startGateway } from './gateway.js';
export {
  type GatewayCluster,
  type GatewayConfig,
  type GatewayOptions,
  resolveGatewayConfig,
} from './gateway-config.js';
export { JsonLinesAuditSink, type JsonLinesAuditSinkOptions } from './json-lines-audit-sink.js';
export { ListenerCertificate, type ListenerCertificateOptions } from './listener-certificate.js';
export { ProxyAuditBridge, toKubeRequestEvent } from './proxy-audit-bridge.js';
export {
  ACCESS_CHECKERS,
  API_KEY_CONNECTOR,
  AUTH_SERVER,
  AUTH_SERVICE,
  CLUSTER_REGISTRY,
  ERROR_HANDLER,
  GATEWAY_CONFIG,
  HOST_ACCOUNTS,
  HOST_CA,
  IDENTITY_DECODER,
  LISTENER_CERTIFICATE,
  LOCK_SOURCE,
  PROXY,
  PROXY_AUDIT,
  USER_CA,
} from './tokens.js';
