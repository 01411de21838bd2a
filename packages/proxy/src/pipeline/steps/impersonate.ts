import type { AccessDecider } from '../../access/access-decider.js';
import { choosePrincipals, readRequestedPrincipals } from '../../impersonation/impersonation.js';
import { buildUpstreamHeaders } from '../../impersonation/upstream-headers.js';
import { established, type ProxyExchange } from '../exchange.js';
import type { ProxyStep } from '../pipeline.js';

/**
 * Decides who the request acts as upstream and builds the upstream header set from the allowlist.
 * The result is frozen: nothing after this step can change what goes upstream.
 */
export function createImpersonateStep(decider: AccessDecider): ProxyStep {
  return {
    name: 'impersonate',
    async run(exchange: ProxyExchange) {
      // Read first: a forbidden client header is refused whatever the roles say.
      const requested = readRequestedPrincipals(exchange.req.headersDistinct);
      const allowed = await decider.allowedPrincipals(
        established(exchange, 'identity'),
        established(exchange, 'cluster'),
      );
      const principals = choosePrincipals(allowed, requested);
      const headers = buildUpstreamHeaders({
        clientHeaders: exchange.req.headersDistinct,
        kind: exchange.kind,
        principals,
        clientAddress: exchange.clientAddress,
      });
      for (const value of Object.values(headers)) if (Array.isArray(value)) Object.freeze(value);
      exchange.principals = Object.freeze({
        user: principals.user,
        groups: Object.freeze([...principals.groups]),
      });
      exchange.upstreamHeaders = Object.freeze(headers);
    },
  };
}
