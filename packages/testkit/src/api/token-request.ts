// biome-ignore-all lint/suspicious/noExplicitAny: objects are free-form JSON

import { TOKEN_REQUEST_MAX_SECONDS, TOKEN_REQUEST_MIN_SECONDS } from '../auth/service-account-tokens.js';
import { decodeBody, mediaType, readBody } from '../http/body.js';
import { statusErrors } from '../http/status.js';
import { decodeProtobufObject, ProtobufDecodeError } from '../proto/protobuf-decoder.js';
import type { AnyRequest, AnyResponse } from '../server/dual-protocol-server.js';
import type { RequestContext, SimulatorContext } from '../simulator.js';
import { timestamp } from './registry.js';
import { dryRun, send } from './request-helpers.js';
import type { ResourceType } from './resource-types.js';

/** The audience the API server puts in tokens when the request names none (its `--api-audiences`). */
export const DEFAULT_TOKEN_AUDIENCE = 'https://kubernetes.default.svc.cluster.local';

/**
 * `POST /api/v1/namespaces/NS/serviceaccounts/NAME/token` (authentication.k8s.io/v1 TokenRequest):
 * 404 for a missing service account, 422 for a lifetime outside 10 minutes..2^32 seconds, else 201
 * with `status.token` and `status.expirationTimestamp`. A dry run issues nothing (no side effects).
 */
export async function serveTokenRequest(
  sim: SimulatorContext,
  ctx: RequestContext,
  req: AnyRequest,
  res: AnyResponse,
  t: ResourceType,
  namespace: string,
  name: string,
  verb: string,
): Promise<undefined> {
  if (verb !== 'create') throw statusErrors.methodNotAllowed();
  const account = sim.registry.get(t, namespace, name);
  const raw = await readBody(req, sim.maxBodyBytes);
  const request = decodeRequest(raw, mediaType(req.headers['content-type'] as string | undefined)) as any;
  if (request?.kind !== undefined && request.kind !== 'TokenRequest')
    throw statusErrors.badRequest(
      `the kind in the data (${String(request.kind)}) does not match the expected kind (TokenRequest)`,
    );
  const spec = (request?.spec ?? {}) as any;
  const seconds = spec.expirationSeconds ?? 3600;
  const causes: { reason: string; message: string; field: string }[] = [];
  if (!Number.isInteger(seconds) || seconds < TOKEN_REQUEST_MIN_SECONDS)
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${JSON.stringify(seconds)}: may not specify a duration less than 10 minutes`,
      field: 'spec.expirationSeconds',
    });
  else if (seconds > TOKEN_REQUEST_MAX_SECONDS)
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${seconds}: may not specify a duration larger than 2^32 seconds`,
      field: 'spec.expirationSeconds',
    });
  if (causes.length) throw statusErrors.invalid('TokenRequest', 'authentication.k8s.io', name, causes);
  const audiences: string[] =
    Array.isArray(spec.audiences) && spec.audiences.length ? spec.audiences : [DEFAULT_TOKEN_AUDIENCE];
  const issued = dryRun(ctx.url.searchParams)
    ? { token: '', expiresAt: Date.now() + seconds * 1000 }
    : sim.serviceAccountTokens.issue(namespace, name, account.metadata?.uid, seconds);
  return send(
    res,
    ctx,
    201,
    {
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { name, namespace, creationTimestamp: timestamp() },
      spec: { audiences, expirationSeconds: seconds, boundObjectRef: spec.boundObjectRef ?? null },
      status: { token: issued.token, expirationTimestamp: timestamp(issued.expiresAt) },
    },
    'application/json',
    verb,
  );
}

/** kubectl 1.32+ sends `create token` as protobuf (OBS 1.33); older ones and other clients send JSON. */
function decodeRequest(raw: Buffer, type: string): unknown {
  if (raw.length === 0) return {};
  if (type !== 'application/vnd.kubernetes.protobuf') return decodeBody(raw, 'application/json');
  try {
    return decodeProtobufObject(raw);
  } catch (error) {
    if (error instanceof ProtobufDecodeError) throw statusErrors.badRequest(error.message);
    throw error;
  }
}
