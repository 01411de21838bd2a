import { type KubeRequestAttributes, RemotelerError } from '@remoteler/core';
import type { ProxyRequest } from '../listener/http-messages.js';
import { type AccessReviewRequest, decodeAccessReview, REVIEW_RESOURCES } from './review-codec.js';

/** The largest review body read, in bytes (kubectl's are under 1 KiB). */
export const MAX_REVIEW_BODY_BYTES = 64 * 1024;

/**
 * Which review a request creates: `POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews`
 * or `…/selfsubjectrulesreviews` (cluster-scoped, no name), else undefined.
 */
export function reviewKindOf(attributes: KubeRequestAttributes): AccessReviewRequest['kind'] | undefined {
  if (
    !attributes.isResourceRequest ||
    attributes.verb !== 'create' ||
    attributes.apiGroup !== 'authorization.k8s.io' ||
    attributes.namespace !== '' ||
    attributes.name !== '' ||
    attributes.subresource !== '' ||
    !Object.hasOwn(REVIEW_RESOURCES, attributes.resource)
  )
    return undefined;
  return REVIEW_RESOURCES[attributes.resource];
}

/** Reads and decodes a review request body, at most {@link MAX_REVIEW_BODY_BYTES}. */
export async function readAccessReview(
  kind: AccessReviewRequest['kind'],
  req: ProxyRequest,
): Promise<AccessReviewRequest> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REVIEW_BODY_BYTES)
      throw new RemotelerError(
        'RMT_PROXY_ACCESS_REVIEW_INVALID',
        `the review body is larger than ${MAX_REVIEW_BODY_BYTES} bytes`,
      );
    chunks.push(chunk);
  }
  const contentType = req.headers['content-type'];
  return decodeAccessReview(kind, contentType, Buffer.concat(chunks));
}
