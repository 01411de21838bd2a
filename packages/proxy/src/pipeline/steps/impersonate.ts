import { readRequestedPrincipals } from '../../impersonation/impersonation.js';
import { buildUpstreamHeaders } from '../../impersonation/upstream-headers.js';
import { headersDistinctOf } from '../../listener/http-messages.js';
import { established, type ProxyExchange } from '../exchange.js';
import type { ProxyStep } from '../pipeline.js';

/**
 * Decides who the request acts as upstream (the policy engine narrows the client's `--as` /
 * `--as-group` inside what the roles allow) and builds the upstream header set from the allowlist.
 * The result is frozen: nothing after this step can change what goes upstream.
 */
export function createImpersonateStep(): ProxyStep {
  return {
    name: 'impersonate',
    run(exchange: ProxyExchange) {
      // Each header line separately (Node joins repeated ones in `headers`).
      const clientHeaders = headersDistinctOf(exchange.req);
      // Read first: a forbidden client header is refused whatever the roles say.
      const requested = readRequestedPrincipals(clientHeaders);
      const result = established(exchange, 'checker').kubernetesPrincipals(established(exchange, 'cluster'), {
        requestedUser: requested.user,
        requestedGroups: requested.groups.length > 0 ? requested.groups : undefined,
      });
      if (!result.ok) throw result.error;
      const principals = Object.freeze({ user: result.user, groups: Object.freeze([...result.groups]) });
      const headers = buildUpstreamHeaders({
        clientHeaders,
        kind: exchange.kind,
        principals,
        clientAddress: exchange.clientAddress,
      });
      for (const value of Object.values(headers)) if (Array.isArray(value)) Object.freeze(value);
      exchange.principals = principals;
      exchange.upstreamHeaders = Object.freeze(headers);
    },
  };
}
