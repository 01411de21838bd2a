import type { AccessChecker, ClusterTarget, KubeRequestAttributes } from '@remoteler/core';
import { reviewedNonResourceAttributes, reviewedResourceAttributes } from './review-attributes.js';
import type { AccessReviewRequest } from './review-codec.js';
import { reviewKindOf } from './review-request.js';

// biome-ignore lint/suspicious/noExplicitAny: review objects from the API server, read defensively
type Json = any;

/** What the API server answered to the review the Proxy sent it (as the impersonated user). */
export interface UpstreamReviewAnswer {
  readonly status: number;
  readonly body: Json;
}

/** Sends a JSON review to the cluster with the request's impersonation headers. */
export type AskCluster = (review: Record<string, unknown>) => Promise<UpstreamReviewAnswer>;

/** The answer for the client: an HTTP status and a JSON body. */
export interface ReviewAnswer {
  readonly status: number;
  readonly body: Json;
}

const GROUP_VERSION = 'authorization.k8s.io/v1';

/** Whether Remoteler alone allows the whole request; a filtered collection is not the whole. */
function remotelerDecision(
  checker: AccessChecker,
  cluster: ClusterTarget,
  attributes: KubeRequestAttributes,
): { allowed: true } | { allowed: false; reason: string } {
  // The Proxy answers self-subject reviews for everyone (see the authorize step), so the roles
  // never stand in their way. They are cluster-scoped: a rules review's namespace does not matter.
  if (reviewKindOf({ ...attributes, namespace: '' }) !== undefined) return { allowed: true };
  const decision = checker.checkRequest(cluster, attributes);
  if (!decision.allowed) return { allowed: false, reason: `Remoteler roles: ${decision.error.message}` };
  if (decision.filter)
    return {
      allowed: false,
      reason: `Remoteler roles allow only some ${attributes.resource} of this collection (answers are filtered)`,
    };
  return { allowed: true };
}

function wireResourceAttributes(review: Extract<AccessReviewRequest, { kind: 'SelfSubjectAccessReview' }>) {
  const ra = review.resourceAttributes;
  if (ra) {
    const fields: Record<string, string> = {};
    for (const [key, value] of Object.entries(ra)) if (value) fields[key] = value;
    return { resourceAttributes: fields };
  }
  return { nonResourceAttributes: { ...review.nonResourceAttributes } };
}

/**
 * Answers a SelfSubjectAccessReview with Remoteler's rules AND the cluster's: allowed only when the
 * roles allow the whole request and the cluster, asked with the same impersonation as a real
 * request, allows it too; so `kubectl auth can-i` tells what a real request would meet. When the
 * roles already refuse, the cluster is not asked.
 */
export async function answerAccessReview(
  review: Extract<AccessReviewRequest, { kind: 'SelfSubjectAccessReview' }>,
  checker: AccessChecker,
  cluster: ClusterTarget,
  askCluster: AskCluster,
): Promise<ReviewAnswer> {
  const spec = wireResourceAttributes(review);
  const attributes = review.resourceAttributes
    ? reviewedResourceAttributes(review.resourceAttributes)
    : reviewedNonResourceAttributes(review.nonResourceAttributes!);
  const answer = (status: Record<string, unknown>): ReviewAnswer => ({
    status: 201,
    body: {
      kind: 'SelfSubjectAccessReview',
      apiVersion: GROUP_VERSION,
      metadata: { creationTimestamp: null },
      spec,
      status,
    },
  });
  const ours = remotelerDecision(checker, cluster, attributes);
  if (!ours.allowed) return answer({ allowed: false, reason: ours.reason });
  const theirs = await askCluster({
    kind: 'SelfSubjectAccessReview',
    apiVersion: GROUP_VERSION,
    metadata: {},
    spec,
  });
  if (theirs.status < 200 || theirs.status >= 300) return theirs;
  const status = theirs.body?.status ?? {};
  if (status.allowed === true)
    return answer({ allowed: true, ...(status.reason ? { reason: status.reason } : {}) });
  const { allowed: _allowed, ...rest } = status;
  return answer({ allowed: false, ...rest });
}

// Verbs a `*` in the cluster's rules is expanded to, to be judged one by one by the roles.
const STANDARD_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];

interface ResourceRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
}

/**
 * Narrows one of the cluster's rules to what the roles allow in `namespace`: each (group,
 * resource[/subresource], name) keeps the verbs the roles allow for it. A wildcard group or resource
 * is kept only where the roles allow it as such (rules with kind `*`); where they allow less, the
 * pieces the cluster grants by wildcard cannot be listed without discovery, so the answer is marked
 * incomplete rather than overstated.
 */
function narrowRule(
  rule: ResourceRule,
  checker: AccessChecker,
  cluster: ClusterTarget,
  namespace: string,
): { rules: ResourceRule[]; narrowed: boolean } {
  const rules: ResourceRule[] = [];
  let narrowed = false;
  const verbs = rule.verbs.includes('*') ? STANDARD_VERBS : rule.verbs;
  const names = rule.resourceNames?.length ? rule.resourceNames : [''];
  for (const group of rule.apiGroups)
    for (const full of rule.resources) {
      const [resource = '', subresource = ''] = full.split('/');
      for (const name of names) {
        const kept = verbs.filter((verb) => {
          const attributes = reviewedResourceAttributes({
            namespace,
            verb,
            group: group === '*' ? '' : group,
            version: '',
            resource,
            subresource,
            name,
          });
          return remotelerDecision(checker, cluster, attributes).allowed;
        });
        if (kept.length < verbs.length && (group === '*' || resource === '*')) narrowed = true;
        if (kept.length === 0) continue;
        const allVerbs = rule.verbs.includes('*') && kept.length === STANDARD_VERBS.length;
        rules.push({
          verbs: allVerbs ? ['*'] : kept,
          apiGroups: [group],
          resources: [full],
          ...(name ? { resourceNames: [name] } : {}),
        });
      }
    }
  return { rules, narrowed };
}

/**
 * Answers a SelfSubjectRulesReview (`kubectl auth can-i --list`) with the cluster's rules for the
 * impersonated user, narrowed to what the Remoteler roles allow; `incomplete` is set when
 * wildcards had to be narrowed without a complete expansion.
 */
export async function answerRulesReview(
  review: Extract<AccessReviewRequest, { kind: 'SelfSubjectRulesReview' }>,
  checker: AccessChecker,
  cluster: ClusterTarget,
  askCluster: AskCluster,
): Promise<ReviewAnswer> {
  const spec = { namespace: review.namespace };
  const theirs = await askCluster({
    kind: 'SelfSubjectRulesReview',
    apiVersion: GROUP_VERSION,
    metadata: {},
    spec,
  });
  if (theirs.status < 200 || theirs.status >= 300) return theirs;
  const status = theirs.body?.status ?? {};
  let incomplete = status.incomplete === true;
  const resourceRules: ResourceRule[] = [];
  for (const rule of Array.isArray(status.resourceRules) ? status.resourceRules : []) {
    const narrowed = narrowRule(
      {
        verbs: rule.verbs ?? [],
        apiGroups: rule.apiGroups ?? [''],
        resources: rule.resources ?? [],
        resourceNames: rule.resourceNames,
      },
      checker,
      cluster,
      review.namespace,
    );
    resourceRules.push(...narrowed.rules);
    incomplete ||= narrowed.narrowed;
  }
  const nonResourceRules: { verbs: string[]; nonResourceURLs: string[] }[] = [];
  for (const rule of Array.isArray(status.nonResourceRules) ? status.nonResourceRules : [])
    for (const url of rule.nonResourceURLs ?? []) {
      const verbs = (rule.verbs ?? []).filter(
        (verb: string) =>
          remotelerDecision(checker, cluster, reviewedNonResourceAttributes({ path: url, verb })).allowed,
      );
      if (verbs.length > 0) nonResourceRules.push({ verbs, nonResourceURLs: [url] });
    }
  return {
    status: 201,
    body: {
      kind: 'SelfSubjectRulesReview',
      apiVersion: GROUP_VERSION,
      metadata: { creationTimestamp: null },
      spec,
      status: {
        resourceRules,
        nonResourceRules,
        incomplete: Boolean(incomplete),
        ...(status.evaluationError ? { evaluationError: status.evaluationError } : {}),
      },
    },
  };
}
