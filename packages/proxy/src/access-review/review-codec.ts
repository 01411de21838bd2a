import { RemotelerError } from '@remoteler/core';
import { type ProtoField, protoMessage, protoString, readProtoFields } from './protobuf-reader.js';

/** `spec.resourceAttributes` of a SelfSubjectAccessReview (authorization.k8s.io/v1). */
export interface ReviewResourceAttributes {
  readonly namespace: string;
  readonly verb: string;
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly subresource: string;
  readonly name: string;
}

/** `spec.nonResourceAttributes` of a SelfSubjectAccessReview. */
export interface ReviewNonResourceAttributes {
  readonly path: string;
  readonly verb: string;
}

/** A review request as the Proxy needs it, whatever encoding the client used. */
export type AccessReviewRequest =
  | {
      readonly kind: 'SelfSubjectAccessReview';
      readonly resourceAttributes?: ReviewResourceAttributes | undefined;
      readonly nonResourceAttributes?: ReviewNonResourceAttributes | undefined;
    }
  | { readonly kind: 'SelfSubjectRulesReview'; readonly namespace: string };

/** The review kinds the Proxy answers, by plural resource name. */
export const REVIEW_RESOURCES: Readonly<Record<string, AccessReviewRequest['kind']>> = {
  selfsubjectaccessreviews: 'SelfSubjectAccessReview',
  selfsubjectrulesreviews: 'SelfSubjectRulesReview',
};

function invalid(message: string): RemotelerError {
  return new RemotelerError('RMT_PROXY_ACCESS_REVIEW_INVALID', message);
}

// The envelope of a Kubernetes protobuf body: magic "k8s\0", then runtime.Unknown
// {1 typeMeta, 2 raw} (k8s-protocols §9.1, apimachinery protobuf serializer).
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

function fromProtobuf(kind: AccessReviewRequest['kind'], body: Buffer): AccessReviewRequest {
  if (!body.subarray(0, 4).equals(MAGIC))
    throw invalid('the protobuf review lacks the Kubernetes "k8s\\0" prefix');
  const unknown = readProtoFields(body.subarray(4));
  const typeMeta = protoMessage(unknown, 1) ?? [];
  const sentKind = protoString(typeMeta, 2);
  if (sentKind !== kind) throw invalid(`expected a ${kind}, got ${JSON.stringify(sentKind)}`);
  const object = protoMessage(unknown, 2) ?? [];
  const spec = protoMessage(object, 2) ?? [];
  if (kind === 'SelfSubjectRulesReview') return { kind, namespace: protoString(spec, 1) };
  const ra = protoMessage(spec, 1);
  const nra = protoMessage(spec, 2);
  const resource = (f: ProtoField[]): ReviewResourceAttributes => ({
    namespace: protoString(f, 1),
    verb: protoString(f, 2),
    group: protoString(f, 3),
    version: protoString(f, 4),
    resource: protoString(f, 5),
    subresource: protoString(f, 6),
    name: protoString(f, 7),
  });
  return {
    kind,
    resourceAttributes: ra && resource(ra),
    nonResourceAttributes: nra && { path: protoString(nra, 1), verb: protoString(nra, 2) },
  };
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

function fromJson(kind: AccessReviewRequest['kind'], body: Buffer): AccessReviewRequest {
  // biome-ignore lint/suspicious/noExplicitAny: a client-sent review, read defensively
  let review: any;
  try {
    review = JSON.parse(body.toString('utf8'));
  } catch {
    throw invalid('the review body is not valid JSON');
  }
  if (review?.kind !== undefined && review.kind !== kind)
    throw invalid(`expected a ${kind}, got ${JSON.stringify(String(review.kind).slice(0, 60))}`);
  const spec = review?.spec ?? {};
  if (kind === 'SelfSubjectRulesReview') return { kind, namespace: text(spec.namespace) };
  const ra = spec.resourceAttributes;
  const nra = spec.nonResourceAttributes;
  return {
    kind,
    resourceAttributes: ra
      ? {
          namespace: text(ra.namespace),
          verb: text(ra.verb),
          group: text(ra.group),
          version: text(ra.version),
          resource: text(ra.resource),
          subresource: text(ra.subresource),
          name: text(ra.name),
        }
      : undefined,
    nonResourceAttributes: nra ? { path: text(nra.path), verb: text(nra.verb) } : undefined,
  };
}

/**
 * Decodes a review request body: JSON (kubectl up to 1.31) or the Kubernetes protobuf envelope
 * (kubectl 1.32+, which does not retry as JSON after a 415, k8s-protocols §9.1). A
 * SelfSubjectAccessReview must carry exactly one of resource or non-resource attributes, as the
 * API server demands.
 */
export function decodeAccessReview(
  kind: AccessReviewRequest['kind'],
  contentType: string | undefined,
  body: Buffer,
): AccessReviewRequest {
  const type = (contentType ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  let review: AccessReviewRequest;
  if (type === 'application/vnd.kubernetes.protobuf') review = fromProtobuf(kind, body);
  else if (type === 'application/json') review = fromJson(kind, body);
  else
    throw invalid(
      `reviews are read as JSON or Kubernetes protobuf, not ${JSON.stringify(type.slice(0, 60))}`,
    );
  if (
    review.kind === 'SelfSubjectAccessReview' &&
    (review.resourceAttributes === undefined) === (review.nonResourceAttributes === undefined)
  )
    throw invalid('exactly one of spec.resourceAttributes or spec.nonResourceAttributes must be set');
  return review;
}
