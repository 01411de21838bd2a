export {
  type AllowedCluster,
  AuthService,
  type CreatedJoinToken,
  type IssuedHostCertificate,
  type IssuedUserCertificate,
  type JoinRequest,
  type JoinTokenRequest,
  type PasswordLoginRequest,
  type PingInfo,
  type ReissueRequest,
  type RequestContext,
  type SsoRedeemRequest,
  type SsoStartRequest,
} from './auth-service.js';
export { ADMIN_KINDS, type AdminKind } from './http/admin-resources.js';
export { AuthHttpServer, type AuthHttpServerOptions } from './http/auth-http-server.js';
export {
  AuthWebApi,
  type AuthWebApiOptions,
  CLIENT_CERTIFICATE_HEADER,
  CLIENT_IP_HEADER,
} from './http/auth-web-api.js';
export { headerLines, type WebApiRequest, type WebApiResponse } from './http/web-messages.js';
export { checkLoopbackRedirect } from './loopback-redirect.js';
export type { AuthServiceOptions, ConnectorRegistration, ProvisionedJoinToken } from './options.js';
export { s256Challenge } from './pkce.js';
export type { RateLimit } from './rate-limiter.js';
