// biome-ignore-all lint/suspicious/noExplicitAny: objects are free-form JSON
import { decodeBody, mediaType, readBody } from '../http/body.js';
import { failure, type KubeStatus, qualified, StatusError, statusErrors } from '../http/status.js';
import type { AnyRequest, AnyResponse } from '../server/dual-protocol-server.js';
import type { RequestContext, SimulatorContext } from '../simulator.js';
import { serveList } from './list-handler.js';
import { serveNonResource } from './non-resource-handler.js';
import {
  body,
  checkFieldValidation,
  dryRun,
  listKind,
  managerOf,
  patchType,
  respondObject,
  select,
  send,
} from './request-helpers.js';
import { parseRequestInfo, type RequestInfo } from './request-info.js';
import { findResourceType } from './resource-types.js';
import { handleReview } from './reviews.js';
import { serveSubresource } from './subresource-handler.js';
import { serveWatch } from './watch-handler.js';

function forbidden(info: RequestInfo, user: string): StatusError {
  if (!info.resourceRequest) {
    return new StatusError(
      failure(403, 'Forbidden', `forbidden: User "${user}" cannot ${info.verb} path "${info.path}"`, {}),
    );
  }
  const res = info.subresource ? `${info.resource}/${info.subresource}` : info.resource!;
  const scope = info.namespace ? `in the namespace "${info.namespace}"` : 'at the cluster scope';
  const subject = info.name
    ? `${qualified(info.resource!, info.group)} "${info.name}"`
    : qualified(info.resource!, info.group);
  return new StatusError(
    failure(
      403,
      'Forbidden',
      `${subject} is forbidden: User "${user}" cannot ${info.verb} resource "${res}" in API group "${info.group}" ${scope}`,
      {
        ...(info.name ? { name: info.name } : {}),
        group: info.group,
        kind: info.resource,
      },
    ),
  );
}

/** Serves one (non-upgrade) request after authentication and impersonation. */
export async function handleApiRequest(
  sim: SimulatorContext,
  ctx: RequestContext,
  req: AnyRequest,
  res: AnyResponse,
): Promise<undefined> {
  const method = req.method ?? 'GET';
  const info = parseRequestInfo(method, ctx.url.pathname, ctx.url.searchParams);
  const allowed = sim.authorize({
    user: ctx.user,
    verb: info.verb,
    resourceRequest: info.resourceRequest,
    ...(info.resourceRequest
      ? {
          apiGroup: info.group,
          ...(info.resource !== undefined ? { resource: info.resource } : {}),
          ...(info.subresource !== undefined ? { subresource: info.subresource } : {}),
          ...(info.namespace !== undefined ? { namespace: info.namespace } : {}),
          ...(info.name !== undefined ? { name: info.name } : {}),
        }
      : { path: info.path }),
  });
  // The real server resolves the type after authorization, so unknown types are still a 403 for
  // users without rights, and a 404 for those who have them.
  if (!allowed) throw forbidden(info, ctx.user.name);
  if (!info.resourceRequest) return serveNonResource(sim, ctx, req, res, info);
  return resource(sim, ctx, req, res, info);
}

async function resource(
  sim: SimulatorContext,
  ctx: RequestContext,
  req: AnyRequest,
  res: AnyResponse,
  info: RequestInfo,
): Promise<undefined> {
  const t = info.resource ? findResourceType(info.group, info.version, info.resource) : undefined;
  if (!t || info.extra.length > 0) throw statusErrors.pathNotFound();
  if (info.namespace !== undefined && !t.namespaced && t.resource !== 'namespaces')
    throw statusErrors.pathNotFound();
  if (info.subresource && !(t.subresources ?? []).some((s) => s.name === info.subresource))
    throw statusErrors.pathNotFound();
  const q = ctx.url.searchParams;
  const ns = t.namespaced ? (info.namespace ?? '') : '';
  const reg = sim.registry;
  const fieldManager = managerOf(req, q);
  checkFieldValidation(q);

  if (!t.stored) {
    if (req.method !== 'POST') throw statusErrors.methodNotAllowed();
    const review = await body(sim, req, t);
    return send(res, ctx, 201, handleReview(sim, ctx.user, t, review), 'application/json', info.verb);
  }

  if (info.subresource) return serveSubresource(sim, ctx, req, res, info, t);

  switch (info.verb) {
    case 'get':
      return respondObject(res, ctx, req, t, 200, reg.get(t, ns, info.name!), info.verb);
    case 'list':
      return serveList(sim, ctx, req, res, t, info);
    case 'watch':
      return serveWatch(sim, ctx, req, res, t, info);
    case 'create': {
      if (t.namespaced && !info.namespace) throw statusErrors.methodNotAllowed();
      const object = await body(sim, req, t);
      const created = reg.create(t, ns, object, {
        dryRun: dryRun(q),
        ...(fieldManager ? { fieldManager } : {}),
      });
      return respondObject(res, ctx, req, t, 201, created, info.verb);
    }
    case 'update': {
      const object = await body(sim, req, t);
      return respondObject(
        res,
        ctx,
        req,
        t,
        200,
        reg.update(t, ns, info.name!, object, {
          dryRun: dryRun(q),
          ...(fieldManager ? { fieldManager } : {}),
        }),
        info.verb,
      );
    }
    case 'patch': {
      const type = patchType(mediaType(req.headers['content-type'] as string | undefined), t);
      const patch = await body(sim, req, t);
      const force = q.get('force');
      if (force !== null && type !== 'apply')
        throw statusErrors.badRequest('force: Forbidden: may not be specified for non-apply patch');
      const result = reg.patch(t, ns, info.name!, type, patch, {
        dryRun: dryRun(q),
        ...(fieldManager ? { fieldManager } : {}),
        force: force === 'true',
      });
      return respondObject(res, ctx, req, t, result.created ? 201 : 200, result.object, info.verb);
    }
    case 'delete': {
      const raw = await readBody(req, sim.maxBodyBytes);
      const options = raw.length ? (decodeBody(raw, 'application/json') as any) : {};
      const deleted = reg.delete(t, ns, info.name!, {
        dryRun: dryRun(q) || (Array.isArray(options?.dryRun) && options.dryRun.includes('All')),
        resourceVersion: options?.preconditions?.resourceVersion,
        uid: options?.preconditions?.uid,
      });
      // Immediate deletion answers a Success Status; kubectl prints `<kind> "<name>" deleted` either way.
      const status: KubeStatus = {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: { name: info.name!, group: t.group, kind: t.resource, uid: deleted.metadata?.uid ?? '' },
        code: 200,
      };
      return send(res, ctx, 200, status, 'application/json', info.verb);
    }
    case 'deletecollection': {
      const { items } = select(sim, t, ns || undefined, q);
      const dry = dryRun(q);
      if (!dry) for (const o of items) reg.remove(t, o.metadata?.namespace ?? '', o.metadata!.name!);
      return send(
        res,
        ctx,
        200,
        { ...listKind(t), metadata: { resourceVersion: String(sim.store.resourceVersion) }, items },
        'application/json',
        info.verb,
      );
    }
    default:
      throw statusErrors.methodNotAllowed();
  }
}
