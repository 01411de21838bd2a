// biome-ignore-all lint/suspicious/noExplicitAny: objects are free-form JSON
import { mediaType } from '../http/body.js';
import { statusErrors } from '../http/status.js';
import type { AnyRequest, AnyResponse } from '../server/dual-protocol-server.js';
import type { RequestContext, SimulatorContext } from '../simulator.js';
import { serveLogs } from './log-handler.js';
import { jsonPatch, mergePatch, strategicMergePatch } from './patch.js';
import { body, dryRun, managerOf, patchType, respondObject, send } from './request-helpers.js';
import type { RequestInfo } from './request-info.js';
import type { KubeObject, ResourceType } from './resource-types.js';
import { serveTokenRequest } from './token-request.js';

/** Subresources: status and scale reads and writes, pods/log, serviceaccounts/token, and the 400 for exec/attach/portforward without an upgrade. */
export async function serveSubresource(
  sim: SimulatorContext,
  ctx: RequestContext,
  req: AnyRequest,
  res: AnyResponse,
  info: RequestInfo,
  t: ResourceType,
): Promise<undefined> {
  const q = ctx.url.searchParams;
  const ns = t.namespaced ? (info.namespace ?? '') : '';
  const name = info.name!;
  const reg = sim.registry;
  const fieldManager = managerOf(req, q);
  switch (info.subresource) {
    case 'exec':
    case 'attach':
    case 'portforward':
      reg.get(t, ns, name);
      // apiserver: these need a connection upgrade (SPDY or WebSocket).
      throw statusErrors.badRequest('Upgrade request required');
    case 'log':
      return serveLogs(sim, ctx, res, ns, name);
    case 'token':
      return serveTokenRequest(sim, ctx, req, res, t, ns, name, info.verb);
    case 'status': {
      if (info.verb === 'get') return respondObject(res, ctx, req, t, 200, reg.get(t, ns, name), info.verb);
      const object = await body(sim, req, t);
      if (info.verb === 'update') {
        return respondObject(
          res,
          ctx,
          req,
          t,
          200,
          reg.update(t, ns, name, object, {
            subresource: 'status',
            dryRun: dryRun(q),
            ...(fieldManager ? { fieldManager } : {}),
          }),
          info.verb,
        );
      }
      if (info.verb === 'patch') {
        const type = patchType(mediaType(req.headers['content-type'] as string | undefined), t);
        const result = reg.patch(t, ns, name, type, object, {
          subresource: 'status',
          dryRun: dryRun(q),
          ...(fieldManager ? { fieldManager } : {}),
          force: q.get('force') === 'true',
        });
        return respondObject(res, ctx, req, t, 200, result.object, info.verb);
      }
      throw statusErrors.methodNotAllowed();
    }
    case 'scale': {
      const current = reg.get(t, ns, name);
      const scale = (o: KubeObject) => ({
        kind: 'Scale',
        apiVersion: 'autoscaling/v1',
        metadata: {
          name,
          namespace: ns,
          uid: o.metadata?.uid,
          resourceVersion: o.metadata?.resourceVersion,
          creationTimestamp: o.metadata?.creationTimestamp,
        },
        spec: { replicas: (o.spec as any)?.replicas ?? 1 },
        status: {
          replicas: (o.status as any)?.replicas ?? 0,
          selector: Object.entries((o.spec as any)?.selector?.matchLabels ?? {})
            .map(([k, v]) => `${k}=${v}`)
            .join(','),
        },
      });
      if (info.verb === 'get') return send(res, ctx, 200, scale(current), 'application/json', info.verb);
      const input = (await body(sim, req, t)) as any;
      let replicas: unknown;
      if (info.verb === 'update') replicas = input?.spec?.replicas;
      else if (info.verb === 'patch') {
        const type = patchType(mediaType(req.headers['content-type'] as string | undefined), t);
        const base = scale(current);
        const patched = (
          type === 'json'
            ? jsonPatch(base, input)
            : type === 'merge'
              ? mergePatch(base, input)
              : strategicMergePatch(base, input)
        ) as any;
        replicas = patched?.spec?.replicas;
      } else throw statusErrors.methodNotAllowed();
      if (typeof replicas !== 'number' || replicas < 0) {
        throw statusErrors.invalid('Scale', 'autoscaling', name, [
          {
            reason: 'FieldValueInvalid',
            message: 'Invalid value: must be greater than or equal to 0',
            field: 'spec.replicas',
          },
        ]);
      }
      const next = { ...current, spec: { ...(current.spec as object), replicas } };
      const updated = reg.update(t, ns, name, next, {
        dryRun: dryRun(q),
        ...(fieldManager ? { fieldManager } : {}),
      });
      return send(res, ctx, 200, scale(updated), 'application/json', info.verb);
    }
    default:
      throw statusErrors.pathNotFound();
  }
}
