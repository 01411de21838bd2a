import { defineErrors } from './define.js';

/** Errors raised by the policy engine when it refuses a Kubernetes request. */
export const POLICY_ERRORS = defineErrors({
  RMT_POLICY_CLUSTER_DENIED: {
    category: 'forbidden',
    summary: "None of the user's roles allows this Kubernetes cluster, or a deny rule matches its labels.",
    hint: 'Run `remoteler kube ls` to see the clusters you may use, or ask an administrator for a role whose kubernetes_labels match this cluster.',
  },
  RMT_POLICY_NO_PRINCIPALS: {
    category: 'forbidden',
    summary:
      "The user's roles allow this cluster but grant no Kubernetes user or group on it, so there is nobody to impersonate.",
    hint: 'Ask an administrator to add kubernetes_groups or kubernetes_users to a role that matches this cluster.',
  },
  RMT_POLICY_IMPERSONATION_DENIED: {
    category: 'forbidden',
    summary:
      'kubectl --as or --as-group asked for a Kubernetes user or group outside the set the roles allow on this cluster.',
    hint: 'Choose a user and groups from the allowed set named in the message, or drop --as/--as-group.',
  },
  RMT_POLICY_USER_AMBIGUOUS: {
    category: 'forbidden',
    summary: 'The roles allow several Kubernetes users on this cluster and the request did not choose one.',
    hint: 'Choose one with `kubectl --as <user>` (the allowed users are named in the message).',
  },
  RMT_POLICY_REQUEST_DENIED: {
    category: 'forbidden',
    summary: 'The roles do not allow this verb on this Kubernetes resource, or a deny rule matches it.',
    hint: 'Ask an administrator for a role whose kubernetes_resources allow the verb and resource named in the message.',
  },
  RMT_POLICY_REQUEST_UNPARSABLE: {
    category: 'input',
    summary:
      'A Kubernetes API path could not be resolved into request attributes (for example /api/v1/watch with nothing after it).',
    hint: 'Check the request path; kubectl never sends such a path, so a custom client is probably wrong.',
  },
});
