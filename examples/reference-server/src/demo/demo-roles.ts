/**
 * The demo's roles, as an operator would write them in a roles file: `developer` reaches clusters
 * labelled env=dev only, and there a few namespaces, with exec; `admin` reaches every cluster as
 * `system:masters`.
 */
export const DEMO_ROLES_YAML = `# Written by remoteler-server's demo at every start.
kind: role
version: v1
metadata: { name: developer }
spec:
  options: { max_session_ttl: 8h }
  allow:
    kubernetes_labels: { env: dev }
    kubernetes_groups: [developers]
    kubernetes_resources:
      - { kind: pod, namespace: default, name: "*", verbs: [get, list, watch, exec, log] }
      - { kind: pod, namespace: team-a, name: "*", verbs: [get, list, watch, exec, log] }
      - { kind: deployment, namespace: default, name: "*", verbs: [get, list, watch] }
  deny: {}
---
kind: role
version: v1
metadata: { name: admin }
spec:
  options: { max_session_ttl: 8h }
  allow:
    kubernetes_labels: { "*": "*" }
    kubernetes_groups: ["system:masters"]
    kubernetes_resources:
      - { kind: "*", namespace: "*", name: "*", verbs: ["*"] }
  deny: {}
`;
