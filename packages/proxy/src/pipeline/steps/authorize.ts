import type { AccessDecider } from '../../access/access-decider.js';
import { clusterNotFound } from '../../routing/route-request.js';
import { established, type ProxyExchange } from '../exchange.js';
import type { ProxyStep } from '../pipeline.js';

/**
 * Asks the policy whether the identity may use the cluster. A cluster the user may not use is
 * answered exactly like one that does not exist, so that cluster names do not leak.
 */
export function createAuthorizeStep(decider: AccessDecider): ProxyStep {
  return {
    name: 'authorize',
    async run(exchange: ProxyExchange) {
      const cluster = established(exchange, 'cluster');
      const allowed = await decider.canAccessCluster(established(exchange, 'identity'), cluster);
      if (allowed !== true) throw clusterNotFound(cluster.name);
    },
  };
}
