// biome-ignore-all lint/suspicious/noExplicitAny: review bodies are free-form JSON
import { type PolicyRule, rulesFor } from '../auth/rbac.js';
import type { UserInfo } from '../auth/user-info.js';
import { statusErrors } from '../http/status.js';
import type { SimulatorContext } from '../simulator.js';
import { groupVersion, type ResourceType } from './resource-types.js';

/**
 * Answers SelfSubjectAccessReview (`kubectl auth can-i`), SelfSubjectRulesReview (`can-i --list`)
 * and SelfSubjectReview (`auth whoami`) for the effective user (k8s-protocols §9). The answer is
 * the request object with `status` filled in, returned with 201.
 */
export function handleReview(
  sim: SimulatorContext,
  user: UserInfo,
  t: ResourceType,
  input: unknown,
): Record<string, unknown> {
  const review = (typeof input === 'object' && input !== null ? input : {}) as any;
  const head = {
    kind: t.kind,
    apiVersion: groupVersion(t),
    metadata: { creationTimestamp: null, ...(review.metadata ?? {}) },
  };
  switch (t.kind) {
    case 'SelfSubjectAccessReview': {
      const spec = review.spec ?? {};
      const ra = spec.resourceAttributes;
      const nra = spec.nonResourceAttributes;
      if (!ra && !nra) {
        throw statusErrors.invalid(t.kind, t.group, '', [
          {
            reason: 'FieldValueRequired',
            message:
              'Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified',
            field: 'spec.resourceAttributes',
          },
        ]);
      }
      const allowed = ra
        ? sim.authorize({
            user,
            verb: ra.verb ?? '',
            resourceRequest: true,
            apiGroup: ra.group ?? '',
            resource: ra.resource ?? '',
            ...(ra.subresource ? { subresource: ra.subresource } : {}),
            ...(ra.namespace ? { namespace: ra.namespace } : {}),
            ...(ra.name ? { name: ra.name } : {}),
          })
        : sim.authorize({ user, verb: nra.verb ?? '', resourceRequest: false, path: nra.path ?? '' });
      return {
        ...head,
        spec,
        status: { allowed, ...(allowed ? { reason: "allowed by the simulator's RBAC" } : {}) },
      };
    }
    case 'SelfSubjectRulesReview': {
      const namespace = review.spec?.namespace ?? '';
      const masters = user.groups.includes('system:masters');
      const rules: PolicyRule[] = masters
        ? [
            { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
            { verbs: ['*'], nonResourceURLs: ['*'] },
          ]
        : rulesFor(sim.rbac, user, namespace || undefined);
      return {
        ...head,
        spec: { namespace },
        status: {
          resourceRules: rules
            .filter((r) => r.resources?.length)
            .map((r) => ({
              verbs: r.verbs,
              apiGroups: r.apiGroups ?? [],
              resources: r.resources ?? [],
              ...(r.resourceNames?.length ? { resourceNames: r.resourceNames } : {}),
            })),
          nonResourceRules: rules
            .filter((r) => r.nonResourceURLs?.length)
            .map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs })),
          incomplete: false,
        },
      };
    }
    case 'SelfSubjectReview':
      return {
        ...head,
        status: {
          userInfo: {
            username: user.name,
            ...(user.uid ? { uid: user.uid } : {}),
            groups: user.groups,
            ...(user.extra && Object.keys(user.extra).length ? { extra: user.extra } : {}),
          },
        },
      };
    default:
      throw statusErrors.pathNotFound();
  }
}
