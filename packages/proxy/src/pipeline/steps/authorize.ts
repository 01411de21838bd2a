import { parseKubeRequest } from '@remoteler/core';
import type { AccessCheckerSource } from '../../access/access-checker-source.js';
import { findLock, type LockSource, lockedError } from '../../access/lock-source.js';
import { reviewKindOf } from '../../access-review/review-request.js';
import { clusterNotFound } from '../../routing/route-request.js';
import { established, type ProxyExchange } from '../exchange.js';
import type { ProxyStep } from '../pipeline.js';

/**
 * Asks the policy engine, with the current role definitions, whether the identity may use the
 * cluster and then whether this verb on this resource is allowed. A cluster the user may not use
 * is answered exactly like one that does not exist, so that cluster names do not leak. The verb of
 * exec, attach, portforward and log comes from the subresource, never from the HTTP method. List
 * and watch requests the roles allow only in part pass on, to be filtered by the forward step;
 * self-subject access and rules reviews pass on to be answered there.
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
      // Known before the decision, so a refusal is audited with the verb and resource it refused.
      exchange.attributes = attributes;
      // A SelfSubjectAccessReview/RulesReview only tells users about themselves; the forward step
      // answers it from the roles and the cluster together, so the roles need not grant it.
      if (reviewKindOf(attributes) === undefined) {
        const decision = checker.checkRequest(cluster, attributes);
        if (!decision.allowed) throw decision.error;
        // decision.filter: the forward step filters the list or watch answer object by object.
      }
      exchange.checker = checker;
    },
  };
}
