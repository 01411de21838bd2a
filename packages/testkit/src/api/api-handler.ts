// biome-ignore-all lint/suspicious/noExplicitAny: objects are free-form JSON
import type { ServerResponse } from 'node:http';
import { decodeBody, mediaType, readBody } from '../http/body.js';
import { failure, type KubeStatus, qualified, StatusError, statusErrors } from '../http/status.js';
import { decodeProtobufObject, PROTOBUF_KINDS, ProtobufDecodeError } from '../proto/protobuf-decoder.js';
import type { AnyRequest, AnyResponse } from '../server/dual-protocol-server.js';
import type { RequestContext, SimulatorContext } from '../simulator.js';
import { ResourceVersionTooOldError } from '../store/object-store.js';
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
import { jsonPatch, mergePatch, strategicMergePatch } from './patch.js';
import { type PatchType, typeKey } from './registry.js';
import { parseRequestInfo, type RequestInfo } from './request-info.js';
import {
  findResourceType,
  groupVersion,
  type KubeObject,
  type ResourceType,
  servedGroupVersions,
} from './resource-types.js';
import { handleReview } from './reviews.js';
import { parseFieldSelector, parseLabelSelector, SelectorError } from './selectors.js';
import { acceptsTable, type IncludeObject, toTable } from './table.js';

function send(
  res: AnyResponse,
  ctx: RequestContext,
  status: number,
  body: unknown,
  contentType = 'application/json',
  verb?: string,
): undefined {
  ctx.recordStatus(status, verb);
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  (res as ServerResponse).writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-cache, private',
  });
  res.end(text);
}

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
  if (!info.resourceRequest) return nonResource(sim, ctx, req, res, info);
  return resource(sim, ctx, req, res, info);
}

function nonResource(
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

/**
 * The field manager of a write: `fieldManager`, else the User-Agent up to its first `/`, as the
 * API server's field manager defaults it (`prefixFromUserAgent`); kubectl's scale and label send none.
 */
function managerOf(req: AnyRequest, q: URLSearchParams): string | undefined {
  const explicit = q.get('fieldManager');
  if (explicit) return explicit;
  const ua = req.headers['user-agent'];
  return typeof ua === 'string' && ua ? ua.split('/')[0]!.slice(0, 128) : undefined;
}

function boolParam(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v === 'true' || v === '1';
}

function dryRun(q: URLSearchParams): boolean {
  const values = q.getAll('dryRun');
  for (const v of values)
    if (v !== 'All') throw statusErrors.badRequest(`Invalid dryRun value: ${v}: supported values: "All"`);
  return values.length > 0;
}

function checkFieldValidation(q: URLSearchParams): void {
  const v = q.get('fieldValidation');
  if (v !== null && !['Strict', 'Warn', 'Ignore', ''].includes(v)) {
    throw statusErrors.badRequest(`fieldValidation ${v} is invalid: valid values are Ignore, Warn or Strict`);
  }
}

function patchType(contentType: string, t: ResourceType): PatchType {
  const types: Record<string, PatchType> = {
    'application/json-patch+json': 'json',
    'application/merge-patch+json': 'merge',
    'application/apply-patch+yaml': 'apply',
    'application/apply-patch+cbor': 'apply',
    ...(t.custom ? {} : { 'application/strategic-merge-patch+json': 'strategic' as PatchType }),
  };
  const type = types[contentType];
  if (!type) {
    // apiserver handlers/patch.go: the accepted list per resource (CRDs have no strategic merge).
    const accepted = [
      'application/json-patch+json',
      'application/merge-patch+json',
      ...(t.custom ? [] : ['application/strategic-merge-patch+json']),
      'application/apply-patch+yaml',
    ];
    throw statusErrors.unsupportedMediaType(
      `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    );
  }
  return type;
}

async function body(sim: SimulatorContext, req: AnyRequest, t: ResourceType): Promise<unknown> {
  const raw = await readBody(req, sim.maxBodyBytes);
  const type = mediaType(req.headers['content-type'] as string | undefined) || 'application/json';
  if (type === 'application/vnd.kubernetes.protobuf') {
    // A real API server decodes protobuf for every built-in kind; the simulator knows the few that
    // kubectl 1.32+ typed clients send in tests (reviews, create namespace/configmap/secret/sa).
    if (!PROTOBUF_KINDS.has(t.kind)) {
      throw statusErrors.unsupportedMediaType(
        `the simulator decodes protobuf bodies only for ${[...PROTOBUF_KINDS].join(', ')}; send ${t.resource} as application/json`,
      );
    }
    try {
      return decodeProtobufObject(raw);
    } catch (error) {
      if (error instanceof ProtobufDecodeError) throw statusErrors.badRequest(error.message);
      throw error;
    }
  }
  if (
    type !== 'application/json' &&
    type !== 'application/yaml' &&
    !type.endsWith('+json') &&
    !type.endsWith('+yaml')
  ) {
    throw statusErrors.unsupportedMediaType(
      `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`,
    );
  }
  return decodeBody(raw, type);
}

function listKind(t: ResourceType) {
  return { kind: `${t.kind}List`, apiVersion: groupVersion(t) };
}

function includeObject(q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject');
  if (v === 'None' || v === 'Object' || v === 'Metadata') return v;
  if (v)
    throw statusErrors.badRequest(
      `includeObject: Unsupported value: "${v}": supported values: "Metadata", "None", "Object"`,
    );
  return 'Metadata';
}

function respondObject(
  res: AnyResponse,
  ctx: RequestContext,
  req: AnyRequest,
  t: ResourceType,
  status: number,
  object: KubeObject,
  verb: string,
): undefined {
  const table = acceptsTable(req.headers.accept as string | undefined);
  if (table) {
    const q = ctx.url.searchParams;
    return send(
      res,
      ctx,
      status,
      toTable(t, [object], {
        include: includeObject(q),
        apiVersion: table,
        listMeta: { resourceVersion: object.metadata?.resourceVersion },
      }),
      'application/json',
      verb,
    );
  }
  send(res, ctx, status, object, 'application/json', verb);
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

  if (info.subresource) return subresource(sim, ctx, req, res, info, t);

  switch (info.verb) {
    case 'get':
      return respondObject(res, ctx, req, t, 200, reg.get(t, ns, info.name!), info.verb);
    case 'list':
      return list(sim, ctx, req, res, t, info);
    case 'watch':
      return watch(sim, ctx, req, res, t, info);
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

function select(sim: SimulatorContext, t: ResourceType, namespace: string | undefined, q: URLSearchParams) {
  let labels: (o: KubeObject) => boolean;
  let fields: (o: KubeObject) => boolean;
  try {
    labels = parseLabelSelector(q.get('labelSelector'));
    fields = parseFieldSelector(q.get('fieldSelector'), t.kind);
  } catch (error) {
    if (error instanceof SelectorError) throw statusErrors.badRequest(error.message);
    throw error;
  }
  const match = (o: KubeObject) => labels(o) && fields(o);
  return { items: sim.registry.list(t, namespace).filter(match), match };
}

interface ContinueToken {
  rv: number;
  start: string;
}

function list(
  sim: SimulatorContext,
  ctx: RequestContext,
  req: AnyRequest,
  res: AnyResponse,
  t: ResourceType,
  info: RequestInfo,
): undefined {
  const q = ctx.url.searchParams;
  const ns = t.namespaced ? info.namespace : undefined;
  const { items: all } = select(sim, t, ns, q);
  const limit = Number(q.get('limit') ?? 0);
  let start = '';
  let rv = sim.store.resourceVersion;
  const token = q.get('continue');
  if (token) {
    let parsed: ContinueToken;
    try {
      parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as ContinueToken;
    } catch {
      throw statusErrors.badRequest('continue key is not valid: illegal base64 data');
    }
    start = parsed.start;
    rv = parsed.rv;
  }
  const key = (o: KubeObject) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
  const remaining = all.filter((o) => key(o) > start);
  const page = limit > 0 ? remaining.slice(0, limit) : remaining;
  const more = limit > 0 && remaining.length > limit;
  const listMeta: Record<string, unknown> = { resourceVersion: String(rv) };
  if (more) {
    listMeta.continue = Buffer.from(
      JSON.stringify({ rv, start: key(page[page.length - 1]!) } satisfies ContinueToken),
    ).toString('base64url');
    listMeta.remainingItemCount = remaining.length - page.length;
  }
  const table = acceptsTable(req.headers.accept as string | undefined);
  if (table)
    return send(
      res,
      ctx,
      200,
      toTable(t, page, { include: includeObject(q), apiVersion: table, listMeta }),
      'application/json',
      'list',
    );
  send(res, ctx, 200, { ...listKind(t), metadata: listMeta, items: page }, 'application/json', 'list');
}

function watch(
  sim: SimulatorContext,
  ctx: RequestContext,
  req: AnyRequest,
  res: AnyResponse,
  t: ResourceType,
  info: RequestInfo,
): undefined {
  const q = ctx.url.searchParams;
  const ns = t.namespaced ? info.namespace : undefined;
  const { items, match } = select(sim, t, ns, q);
  const rvParam = q.get('resourceVersion');
  const sendInitial = q.get('sendInitialEvents') === 'true';
  const bookmarks = boolParam(q, 'allowWatchBookmarks');
  const table = acceptsTable(req.headers.accept as string | undefined);
  const include = includeObject(q);
  if (rvParam && rvParam !== '0' && !/^\d+$/.test(rvParam))
    throw statusErrors.badRequest(`invalid resource version: ${rvParam}`);

  ctx.recordStatus(200, 'watch');
  (res as ServerResponse).writeHead(200, {
    'content-type': 'application/json',
    'cache-control': 'no-cache, private',
  });
  // Headers go out at once: a client awaits them before it reads a stream that may stay quiet.
  (res as ServerResponse).flushHeaders?.();
  let headersSent = false;
  const render = (object: KubeObject) => {
    if (!table) return object;
    const rendered = toTable(t, [object], {
      include,
      apiVersion: table,
      noHeaders: headersSent,
      listMeta: { resourceVersion: object.metadata?.resourceVersion },
    });
    headersSent = true;
    return rendered;
  };
  // One JSON document per event, newline-terminated and flushed at once (k8s-protocols §3.2).
  const write = (type: string, object: unknown) => {
    if (!res.writableEnded && !res.destroyed)
      (res as ServerResponse).write(`${JSON.stringify({ type, object })}\n`);
  };

  let stop: (() => void) | undefined;
  const timers: NodeJS.Timeout[] = [];
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    stop?.();
    for (const timer of timers) clearInterval(timer);
    untrack();
    if (!res.writableEnded) res.end();
  };
  const untrack = sim.track(end);
  res.on('close', end);

  const initial = !rvParam || rvParam === '0' || sendInitial;
  const from = initial ? sim.store.resourceVersion : Number(rvParam);
  if (initial) for (const o of items) write('ADDED', render(o));
  const bookmark = (annotations?: Record<string, string>) =>
    write('BOOKMARK', {
      kind: t.kind,
      apiVersion: groupVersion(t),
      metadata: {
        resourceVersion: String(sim.store.resourceVersion),
        ...(annotations ? { annotations } : {}),
      },
    });
  if (sendInitial && bookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });

  try {
    stop = sim.store.watch(from, (event) => {
      if (event.typeKey !== typeKey(t)) return;
      if (ns !== undefined && event.namespace !== ns) return;
      // As the watch cache filters: an object that enters the selector is ADDED for this watcher,
      // one that leaves it is DELETED (apiserver storage/cacher `watchCacheEvent` prev/cur match).
      const now = match(event.object);
      const before = event.previous !== undefined && match(event.previous);
      if (event.type === 'MODIFIED' && event.previous !== undefined) {
        if (now && !before) write('ADDED', render(event.object));
        else if (!now && before) write('DELETED', render(event.object));
        else if (now) write('MODIFIED', render(event.object));
        return;
      }
      if (now) write(event.type, render(event.object));
    });
  } catch (error) {
    if (error instanceof ResourceVersionTooOldError) {
      write('ERROR', failure(410, 'Expired', error.message));
      end();
      return;
    }
    throw error;
  }
  // Bookmarks only when asked: an unrequested one shows up as a garbage row in `get -w` (§3.2).
  if (bookmarks) {
    const timer = setInterval(() => bookmark(), sim.bookmarkIntervalMs);
    timer.unref();
    timers.push(timer);
  }
  const timeout = Number(q.get('timeoutSeconds') ?? 0);
  if (timeout > 0) {
    const timer = setTimeout(end, timeout * 1000);
    timer.unref();
    timers.push(timer);
  }
}

async function subresource(
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
      return logs(sim, ctx, res, ns, name);
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

function logs(
  sim: SimulatorContext,
  ctx: RequestContext,
  res: AnyResponse,
  ns: string,
  name: string,
): undefined {
  const q = ctx.url.searchParams;
  const pod = sim.registry.get(findResourceType('', 'v1', 'pods')!, ns, name);
  const containers: string[] = ((pod.spec as any)?.containers ?? []).map((c: any) => c.name);
  let container = q.get('container') ?? undefined;
  if (!container) {
    if (containers.length !== 1) {
      throw statusErrors.badRequest(
        `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`,
      );
    }
    container = containers[0]!;
  }
  if (!containers.includes(container))
    throw statusErrors.badRequest(`container ${container} is not valid for pod ${name}`);
  if (boolParam(q, 'previous')) {
    throw statusErrors.badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
  }
  const tail = q.get('tailLines');
  const tailLines = tail === null ? undefined : Number(tail);
  if (tailLines !== undefined && !(Number.isInteger(tailLines) && tailLines >= 0)) {
    throw statusErrors.badRequest(`tailLines: Invalid value: ${tail}: must be greater than or equal to 0`);
  }
  const options = {
    ...(tailLines !== undefined ? { tailLines } : {}),
    timestamps: boolParam(q, 'timestamps'),
  };
  const text = sim.logs.read(ns, name, container, options);
  if (!boolParam(q, 'follow')) return send(res, ctx, 200, text, 'text/plain', 'get');

  ctx.recordStatus(200, 'get');
  (res as ServerResponse).writeHead(200, {
    'content-type': 'text/plain',
    'cache-control': 'no-cache, private',
  });
  // Headers go out at once: a client awaits them before it reads a stream that may stay quiet.
  (res as ServerResponse).flushHeaders?.();
  if (text) (res as ServerResponse).write(text);
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    follower.stop();
    untrack();
    if (!res.writableEnded) res.end();
  };
  const follower = sim.logs.follow(
    ns,
    name,
    container,
    (chunk) => {
      if (!res.writableEnded) (res as ServerResponse).write(chunk);
    },
    end,
  );
  const untrack = sim.track(end);
  res.on('close', end);
}
