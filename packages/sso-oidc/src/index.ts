export { claimsToTraits } from './claims.js';
export { OidcConnector } from './oidc-connector.js';
export {
  type OidcConnectorOptions,
  type OidcFetch,
  type OidcFetchInit,
  oidcConnectorOptionsSchema,
  type ResolvedOidcConnectorOptions,
  resolveOidcConnectorOptions,
} from './options.js';
