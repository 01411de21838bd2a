import type { ClusterRegistry } from '../../routing/cluster-registry.js';
import { guardRequestTarget } from '../../routing/path-guard.js';
import { clusterNotFound, routeRequest } from '../../routing/route-request.js';
import { established, type ProxyExchange } from '../exchange.js';
import type { ProxyStep } from '../pipeline.js';

/** Refuses unsafe paths (400), then picks the cluster from the `/k8s/<cluster>` prefix or the certificate pin. */
export function createRouteStep(registry: ClusterRegistry): ProxyStep {
  return {
    name: 'route',
    run(exchange: ProxyExchange) {
      const target = guardRequestTarget(exchange.req.url);
      const route = routeRequest(target, established(exchange, 'identity'));
      const cluster = registry.get(route.clusterName);
      if (!cluster) throw clusterNotFound(route.clusterName);
      exchange.route = route;
      exchange.cluster = cluster;
    },
  };
}
