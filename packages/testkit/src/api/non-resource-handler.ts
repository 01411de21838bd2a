import { statusErrors } from '../http/status.js';
import type { AnyRequest, AnyResponse } from '../server/dual-protocol-server.js';
import type { RequestContext, SimulatorContext } from '../simulator.js';
import {
  aggregatedDiscovery,
  discoveryContentType,
  legacyApiGroup,
  legacyApiGroupList,
  legacyApiVersions,
  legacyResourceList,
  negotiateDiscovery,
} from './discovery.js';
import { openApiV3Document, openApiV3Index } from './openapi.js';
import { send } from './request-helpers.js';
import type { RequestInfo } from './request-info.js';
import { servedGroupVersions } from './resource-types.js';

/** Non-resource paths: /version, health checks, discovery (negotiated per k8s-protocols §1.2) and OpenAPI v3. */
export function serveNonResource(
  sim: SimulatorContext,
  ctx: RequestContext,
  req: AnyRequest,
  res: AnyResponse,
  info: RequestInfo,
): undefined {
  const path = info.path.replace(/\/+$/, '') || '/';
  if (req.method !== 'GET' && req.method !== 'HEAD') throw statusErrors.methodNotAllowed();
  const accept = req.headers.accept as string | undefined;
  const parts = path.split('/').filter(Boolean);
  if (path === '/version') {
    const m = /^v(\d+)\.(\d+)/.exec(sim.gitVersion)!;
    return send(res, ctx, 200, {
      major: m[1],
      minor: m[2],
      gitVersion: sim.gitVersion,
      gitCommit: '0000000000000000000000000000000000000000',
      gitTreeState: 'clean',
      buildDate: '2025-05-15T00:00:00Z',
      goVersion: 'go1.24.2',
      compiler: 'gc',
      platform: 'linux/amd64',
    });
  }
  if (path === '/healthz' || path === '/livez' || path === '/readyz')
    return send(res, ctx, 200, 'ok', 'text/plain; charset=utf-8');
  if (path === '/api' || path === '/apis') {
    const format = negotiateDiscovery(accept);
    const core = path === '/api';
    const body =
      format === 'legacy'
        ? core
          ? legacyApiVersions(sim.serverAddress)
          : legacyApiGroupList()
        : aggregatedDiscovery(format, core);
    return send(res, ctx, 200, body, discoveryContentType(format));
  }
  if (parts[0] === 'api' && parts.length === 2) {
    const list = legacyResourceList('', parts[1]!);
    if (list) return send(res, ctx, 200, list);
  }
  if (parts[0] === 'apis' && parts.length === 2) {
    const g = servedGroupVersions().find((x) => x.group === parts[1]);
    if (g) return send(res, ctx, 200, legacyApiGroup(g.group, g.versions));
  }
  if (parts[0] === 'apis' && parts.length === 3) {
    const list = legacyResourceList(parts[1]!, parts[2]!);
    if (list) return send(res, ctx, 200, list);
  }
  if (path === '/openapi/v3') return send(res, ctx, 200, openApiV3Index());
  if (parts[0] === 'openapi' && parts[1] === 'v3') {
    const rest = parts.slice(2);
    const doc =
      rest[0] === 'api'
        ? openApiV3Document('', rest[1] ?? '')
        : rest[0] === 'apis'
          ? openApiV3Document(rest[1] ?? '', rest[2] ?? '')
          : undefined;
    if (doc) return send(res, ctx, 200, doc);
  }
  // /openapi/v2 is protobuf-only for kubectl (k8s-protocols §1.5): answering 404 makes 1.29+ fall
  // back to v3 and compiled-in types; 1.27/1.28 `apply` then needs --validate=false.
  throw statusErrors.pathNotFound();
}
