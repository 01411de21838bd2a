import { parseKubeRequest } from '@remoteler/core';
import type { AccessCheckerSource } from '../../access/access-checker-source.js';
import { clusterVerdict, lockRefusal, requestRefusal } from '../../access/access-decision.js';
import type { LockSource } from '../../access/lock-source.js';
import { reviewKindOf } from '../../access-review/review-request.js';
import { established, type ProxyExchange } from '../exchange.js';
import type { ProxyStep } from '../pipeline.js';

/**
 * Asks the locks and then the policy engine, with the current role definitions, whether the
 * identity may make this request on the cluster, in the order of `decideAccess` (which re-decides
 * open sessions): a lock, then the cluster, then the verb on the resource. The verb of exec, attach, portforward and log comes from the subresource, never
 * from the HTTP method. List and watch requests the roles allow only in part pass on, to be
 * filtered by the forward step; self-subject access and rules reviews pass on to be answered there.
 */
export function createAuthorizeStep(access: AccessCheckerSource, locks?: LockSource): ProxyStep {
  return {
    name: 'authorize',
    run(exchange: ProxyExchange) {
      const cluster = established(exchange, 'cluster');
      const route = established(exchange, 'route');
      const identity = established(exchange, 'identity');
      // Locks first: they block even what the roles allow, on every request.
      const locked = lockRefusal(locks, identity, cluster, exchange.receivedAt.getTime());
      if (locked) throw locked;
      // A cluster the roles do not grant is refused before the path is even parsed.
      const verdict = clusterVerdict(access, identity, cluster);
      if (!verdict.allowed) throw verdict.refusal;
      const attributes = parseKubeRequest(
        exchange.req.method ?? '',
        route.path,
        new URLSearchParams(route.query),
      );
      // Known before the roles decide, so a refusal is audited with the verb and resource it refused.
      exchange.attributes = attributes;
      // A SelfSubjectAccessReview/RulesReview only tells users about themselves; the forward step
      // answers it from the roles and the cluster together, so the roles need not grant it.
      if (reviewKindOf(attributes) === undefined) {
        const refused = requestRefusal(verdict.checker, cluster, attributes);
        if (refused) throw refused;
      }
      exchange.checker = verdict.checker;
    },
  };
}
