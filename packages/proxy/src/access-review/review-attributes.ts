import { type KubeRequestAttributes, VERB_SUBRESOURCES } from '@remoteler/core';
import type { ReviewNonResourceAttributes, ReviewResourceAttributes } from './review-codec.js';

/**
 * The request a review asks about, as the policy engine sees requests. Kubernetes names exec,
 * attach, portforward and log as a verb (`create`/`get`) on a subresource; Remoteler's rules name
 * them as verbs, so the subresource becomes the verb, exactly as for a real request.
 */
export function reviewedResourceAttributes(ra: ReviewResourceAttributes): KubeRequestAttributes {
  const verb = VERB_SUBRESOURCES.has(ra.subresource) ? ra.subresource : ra.verb;
  const version = ra.version || (ra.group ? '*' : 'v1');
  const segments = [ra.group ? `/apis/${ra.group}/${version}` : `/api/${version}`];
  if (ra.namespace) segments.push(`namespaces/${ra.namespace}`);
  segments.push(ra.resource);
  if (ra.name) segments.push(ra.name);
  if (ra.subresource) segments.push(ra.subresource);
  return {
    isResourceRequest: true,
    verb,
    path: segments.join('/'),
    apiPrefix: ra.group ? 'apis' : 'api',
    apiGroup: ra.group,
    apiVersion: ra.version,
    resource: ra.resource,
    subresource: ra.subresource,
    namespace: ra.namespace,
    name: ra.name,
  };
}

/** The non-resource request a review asks about (`kubectl auth can-i get /logs/`). */
export function reviewedNonResourceAttributes(nra: ReviewNonResourceAttributes): KubeRequestAttributes {
  return {
    isResourceRequest: false,
    verb: nra.verb,
    path: nra.path,
    apiPrefix: '',
    apiGroup: '',
    apiVersion: '',
    resource: '',
    subresource: '',
    namespace: '',
    name: '',
  };
}
