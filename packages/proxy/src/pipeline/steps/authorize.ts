import { parseKubeRequest, RemotelerError } from '@remoteler/core';
import type { AccessCheckerSource } from '../../access/access-checker-source.js';
import { findLock, type LockSource, lockedError } from '../../access/lock-source.js';
import { clusterNotFound } from '../../routing/route-request.js';
import { established, type ProxyExchange } from '../exchange.js';
import type { ProxyStep } from '../pipeline.js';

/**
 * Asks the policy engine, with the current role definitions, whether the identity may use the
 * cluster and then whether this verb on this resource is allowed. A cluster the user may not use
 * is answered exactly like one that does not exist, so that cluster names do not leak. The verb of
 * exec, attach, portforward and log comes from the subresource, never from the HTTP method.
 */
export function createAuthorizeStep(access: AccessCheckerSource, locks?: LockSource): ProxyStep {
  return {
    name: 'authorize',
    run(exchange: ProxyExchange) {
      const cluster = established(exchange, 'cluster');
      const route = established(exchange, 'route');
      const identity = established(exchange, 'identity');
      // Locks first: they block even what the roles allow, on every request.
      const lock = locks && findLock(locks.current(), identity, cluster.name, exchange.receivedAt.getTime());
      if (lock) throw lockedError(lock);
      const checker = access.forIdentity(identity);
      if (checker.canAccessCluster(cluster) !== true) throw clusterNotFound(cluster.name);
      const attributes = parseKubeRequest(
        exchange.req.method ?? '',
        route.path,
        new URLSearchParams(route.query),
      );
      const decision = checker.checkRequest(cluster, attributes);
      if (!decision.allowed) throw decision.error;
      // Filtering list and watch answers item by item is not built yet; forwarding them unfiltered
      // would show objects the roles hide, so such requests are refused (fail closed).
      if (decision.filter)
        throw new RemotelerError(
          'RMT_PROXY_FILTER_UNSUPPORTED',
          `your roles allow only some ${attributes.resource || 'objects'} of this collection, and this Proxy cannot filter ${attributes.verb} answers yet`,
        );
      exchange.checker = checker;
      exchange.attributes = attributes;
    },
  };
}
