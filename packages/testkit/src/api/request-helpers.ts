// biome-ignore-all lint/suspicious/noExplicitAny: objects are free-form JSON
import type { ServerResponse } from 'node:http';
import { decodeBody, mediaType, readBody } from '../http/body.js';
import { statusErrors } from '../http/status.js';
import { decodeProtobufObject, PROTOBUF_KINDS, ProtobufDecodeError } from '../proto/protobuf-decoder.js';
import type { AnyRequest, AnyResponse } from '../server/dual-protocol-server.js';
import type { RequestContext, SimulatorContext } from '../simulator.js';
import type { PatchType } from './registry.js';
import { groupVersion, type KubeObject, type ResourceType } from './resource-types.js';
import { parseFieldSelector, parseLabelSelector, SelectorError } from './selectors.js';
import { acceptsTable, type IncludeObject, toTable } from './table.js';

/** Pieces every handler shares: answering, reading bodies and query parameters, selecting objects. */

/** Answers with a body (JSON unless told) and records the status. */
export function send(
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

/**
 * The field manager of a write: `fieldManager`, else the User-Agent up to its first `/`, as the
 * API server's field manager defaults it (`prefixFromUserAgent`); kubectl's scale and label send none.
 */
export function managerOf(req: AnyRequest, q: URLSearchParams): string | undefined {
  const explicit = q.get('fieldManager');
  if (explicit) return explicit;
  const ua = req.headers['user-agent'];
  return typeof ua === 'string' && ua ? ua.split('/')[0]!.slice(0, 128) : undefined;
}

/** A boolean query parameter: `true` or `1`, as the API server accepts both. */
export function boolParam(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v === 'true' || v === '1';
}

/** `dryRun=All` (any other value is a 400). */
export function dryRun(q: URLSearchParams): boolean {
  const values = q.getAll('dryRun');
  for (const v of values)
    if (v !== 'All') throw statusErrors.badRequest(`Invalid dryRun value: ${v}: supported values: "All"`);
  return values.length > 0;
}

/** Refuses an unknown `fieldValidation` value with 400; the simulator does not enforce Strict. */
export function checkFieldValidation(q: URLSearchParams): void {
  const v = q.get('fieldValidation');
  if (v !== null && !['Strict', 'Warn', 'Ignore', ''].includes(v)) {
    throw statusErrors.badRequest(`fieldValidation ${v} is invalid: valid values are Ignore, Warn or Strict`);
  }
}

/** The patch type of a PATCH Content-Type, or 415 with the accepted list (no strategic merge for custom resources). */
export function patchType(contentType: string, t: ResourceType): PatchType {
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

/** Reads and decodes a request body: JSON, YAML for apply patches, protobuf for the few kinds kubectl 1.32+ sends. */
export async function body(sim: SimulatorContext, req: AnyRequest, t: ResourceType): Promise<unknown> {
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

/** `kind`/`apiVersion` of a type's List. */
export function listKind(t: ResourceType) {
  return { kind: `${t.kind}List`, apiVersion: groupVersion(t) };
}

/** The Table `includeObject` parameter; Metadata when absent. */
export function includeObject(q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject');
  if (v === 'None' || v === 'Object' || v === 'Metadata') return v;
  if (v)
    throw statusErrors.badRequest(
      `includeObject: Unsupported value: "${v}": supported values: "Metadata", "None", "Object"`,
    );
  return 'Metadata';
}

/** Answers one object, as a one-row Table when the client asked for Tables. */
export function respondObject(
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

/** The objects of a type matching the request's label and field selectors (400 for bad selectors), and the matcher. */
export function select(
  sim: SimulatorContext,
  t: ResourceType,
  namespace: string | undefined,
  q: URLSearchParams,
) {
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
