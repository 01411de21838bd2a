// The documented role semantics (design §4, Teleport's model in spirit) as a table: each case's name
// reads as a sentence of the specification.
import { describe, expect, it } from 'vitest';
import type { ClusterTarget, PrincipalRequest } from '../../src/policy/index.js';
import type { Role } from '../../src/roles/index.js';
import type { Traits } from '../../src/types/identity.js';
import { bare, checker, dev, prod, request, role, staging } from './fixtures.js';

interface ClusterCase {
  readonly name: string;
  readonly roles: Role[];
  readonly traits?: Traits;
  readonly cluster: ClusterTarget;
  readonly allowed: boolean;
}

const devRole = role('dev', { kubernetes_labels: { env: 'dev' }, kubernetes_groups: ['developers'] });

const clusterCases: ClusterCase[] = [
  {
    name: 'a role whose label value equals the cluster label allows the cluster',
    roles: [devRole],
    cluster: dev,
    allowed: true,
  },
  {
    name: 'a role whose label value differs does not allow the cluster',
    roles: [devRole],
    cluster: staging,
    allowed: false,
  },
  {
    name: 'a cluster without labels is not matched by a labelled role',
    roles: [devRole],
    cluster: bare,
    allowed: false,
  },
  {
    name: 'a list of label values matches any of them',
    roles: [role('r', { kubernetes_labels: { env: ['dev', 'staging'] } })],
    cluster: staging,
    allowed: true,
  },
  {
    name: 'a list of label values does not match a value outside it',
    roles: [role('r', { kubernetes_labels: { env: ['dev', 'staging'] } })],
    cluster: prod,
    allowed: false,
  },
  {
    name: 'a trailing glob matches by prefix',
    roles: [role('r', { kubernetes_labels: { region: 'eu-*' } })],
    cluster: dev,
    allowed: true,
  },
  {
    name: 'a trailing glob does not match another prefix',
    roles: [role('r', { kubernetes_labels: { region: 'eu-*' } })],
    cluster: staging,
    allowed: false,
  },
  {
    name: 'a leading glob matches by suffix',
    roles: [role('r', { kubernetes_labels: { region: '*-east' } })],
    cluster: staging,
    allowed: true,
  },
  {
    name: 'a glob in the middle matches both ends',
    roles: [role('r', { kubernetes_labels: { region: 'e*west' } })],
    cluster: prod,
    allowed: true,
  },
  {
    name: 'a regex label value matches the whole value',
    roles: [role('r', { kubernetes_labels: { env: '^(dev|staging)$' } })],
    cluster: dev,
    allowed: true,
  },
  {
    name: 'a regex label value never matches a mere substring',
    roles: [role('r', { kubernetes_labels: { env: '^prod$' } })],
    cluster: prod,
    allowed: false,
  },
  {
    name: "the wildcard selector '*': '*' matches a labelled cluster",
    roles: [role('r', { kubernetes_labels: { '*': '*' } })],
    cluster: prod,
    allowed: true,
  },
  {
    name: "the wildcard selector '*': '*' matches a cluster without labels",
    roles: [role('r', { kubernetes_labels: { '*': '*' } })],
    cluster: bare,
    allowed: true,
  },
  {
    name: 'the wildcard selector beside another key still requires that key',
    roles: [role('r', { kubernetes_labels: { '*': '*', env: 'staging' } })],
    cluster: dev,
    allowed: false,
  },
  {
    name: "a label value '*' needs the key to be present",
    roles: [role('r', { kubernetes_labels: { tier: '*' } })],
    cluster: dev,
    allowed: false,
  },
  {
    name: "a label value '*' matches any value of a present key",
    roles: [role('r', { kubernetes_labels: { tier: '*' } })],
    cluster: prod,
    allowed: true,
  },
  {
    name: 'every listed label key must match',
    roles: [role('r', { kubernetes_labels: { env: 'production', region: 'us-*' } })],
    cluster: prod,
    allowed: false,
  },
  {
    name: 'several listed label keys that all match allow the cluster',
    roles: [role('r', { kubernetes_labels: { env: 'production', region: 'eu-*' } })],
    cluster: prod,
    allowed: true,
  },
  {
    name: 'an empty label selector matches no cluster',
    roles: [role('r', { kubernetes_labels: {} })],
    cluster: dev,
    allowed: false,
  },
  {
    name: 'a role without kubernetes_labels allows no cluster',
    roles: [role('r', { kubernetes_groups: ['g'] })],
    cluster: dev,
    allowed: false,
  },
  { name: 'a user without roles may use no cluster', roles: [], cluster: dev, allowed: false },
  {
    name: 'a label template expands to the trait value',
    roles: [role('r', { kubernetes_labels: { env: '{{external.env}}' } })],
    traits: { 'external.env': ['staging'] },
    cluster: staging,
    allowed: true,
  },
  {
    name: 'a label template with a missing trait matches nothing',
    roles: [role('r', { kubernetes_labels: { env: '{{external.env}}' } })],
    cluster: staging,
    allowed: false,
  },
  {
    name: 'a label template with several trait values matches any of them',
    roles: [role('r', { kubernetes_labels: { env: '{{external.envs}}' } })],
    traits: { 'external.envs': ['dev', 'production'] },
    cluster: prod,
    allowed: true,
  },
  {
    name: 'a deny label match denies the cluster even when an allow matches',
    roles: [role('r', { kubernetes_labels: { '*': '*' } }, { kubernetes_labels: { env: 'production' } })],
    cluster: prod,
    allowed: false,
  },
  {
    name: 'a deny label in one role wins over an allow in another role',
    roles: [
      role('a', { kubernetes_labels: { '*': '*' } }),
      role('d', {}, { kubernetes_labels: { tier: 'gold' } }),
    ],
    cluster: prod,
    allowed: false,
  },
  {
    name: 'a deny label that does not match leaves the cluster allowed',
    roles: [role('r', { kubernetes_labels: { '*': '*' } }, { kubernetes_labels: { env: 'production' } })],
    cluster: dev,
    allowed: true,
  },
  {
    name: "a deny wildcard selector '*': '*' denies every cluster",
    roles: [
      role('a', { kubernetes_labels: { '*': '*' } }),
      role('d', {}, { kubernetes_labels: { '*': '*' } }),
    ],
    cluster: bare,
    allowed: false,
  },
  {
    name: 'a deny regex on labels denies the clusters it matches',
    roles: [role('r', { kubernetes_labels: { '*': '*' } }, { kubernetes_labels: { region: '^eu-.*$' } })],
    cluster: dev,
    allowed: false,
  },
  {
    name: 'a deny-only role grants nothing on its own',
    roles: [role('d', {}, { kubernetes_labels: { env: 'dev' } })],
    cluster: staging,
    allowed: false,
  },
  {
    name: 'two roles each matching different clusters together allow both',
    roles: [devRole, role('s', { kubernetes_labels: { env: 'staging' } })],
    cluster: staging,
    allowed: true,
  },
];

interface PrincipalCase {
  readonly name: string;
  readonly roles: Role[];
  readonly traits?: Traits;
  readonly username?: string;
  readonly cluster?: ClusterTarget;
  readonly ask?: PrincipalRequest;
  /** The request the principals are for (`attributes`), as method and path. */
  readonly for?: [string, string];
  readonly expected: { user: string; groups: string[] } | string;
}

const viewerRole = role('viewer', {
  kubernetes_labels: { env: 'dev' },
  kubernetes_groups: ['viewers'],
  kubernetes_resources: [{ kind: 'pod', namespace: 'a', verbs: ['get', 'list'] }],
});
const deployerRole = role('deployer', {
  kubernetes_labels: { env: 'dev' },
  kubernetes_groups: ['deployers'],
  kubernetes_users: ['ci'],
  kubernetes_resources: [{ kind: 'deployment', namespace: 'a', verbs: ['patch'] }],
});

const G = (...groups: string[]) => ['system:authenticated', ...groups].sort();

const principalCases: PrincipalCase[] = [
  {
    name: 'for a given request only roles whose rules match it contribute groups',
    roles: [viewerRole, deployerRole],
    for: ['GET', '/api/v1/namespaces/a/pods/web'],
    expected: { user: 'alice', groups: G('viewers') },
  },
  {
    name: 'for a given request the users come from the roles that match it',
    roles: [viewerRole, deployerRole],
    for: ['PATCH', '/apis/apps/v1/namespaces/a/deployments/web'],
    expected: { user: 'ci', groups: G('deployers') },
  },
  {
    name: 'for a given list request roles that may match some object contribute',
    roles: [viewerRole, deployerRole],
    for: ['GET', '/api/v1/pods'],
    expected: { user: 'alice', groups: G('viewers') },
  },
  {
    name: 'for a request no role allows there are no principals',
    roles: [viewerRole, deployerRole],
    for: ['POST', '/api/v1/namespaces/a/pods/web/exec'],
    expected: 'RMT_POLICY_NO_PRINCIPALS',
  },
  {
    name: 'for a discovery request every role matching the cluster contributes',
    roles: [viewerRole, deployerRole],
    for: ['GET', '/apis'],
    expected: { user: 'ci', groups: G('deployers', 'viewers') },
  },
  {
    name: 'groups of a matching role are impersonated with system:authenticated added',
    roles: [devRole],
    expected: { user: 'alice', groups: G('developers') },
  },
  {
    name: 'groups without users impersonate the Remoteler username',
    roles: [devRole],
    username: 'bob',
    expected: { user: 'bob', groups: G('developers') },
  },
  {
    name: 'a single allowed user is impersonated',
    roles: [role('r', { kubernetes_labels: { env: 'dev' }, kubernetes_users: ['dev-admin'] })],
    expected: { user: 'dev-admin', groups: G() },
  },
  {
    name: 'users and groups are the union over matching roles',
    roles: [devRole, role('r2', { kubernetes_labels: { region: 'eu-*' }, kubernetes_groups: ['eu-ops'] })],
    expected: { user: 'alice', groups: G('developers', 'eu-ops') },
  },
  {
    name: 'roles whose labels do not match the cluster contribute nothing',
    roles: [
      devRole,
      role('p', { kubernetes_labels: { env: 'production' }, kubernetes_groups: ['prod-ops'] }),
    ],
    expected: { user: 'alice', groups: G('developers') },
  },
  {
    name: 'no user and no group from any matching role is denied with a reason that says so',
    roles: [role('r', { kubernetes_labels: { env: 'dev' } })],
    expected: 'RMT_POLICY_NO_PRINCIPALS',
  },
  {
    name: 'empty user and group lists grant no principals',
    roles: [role('r', { kubernetes_labels: { env: 'dev' }, kubernetes_users: [], kubernetes_groups: [] })],
    expected: 'RMT_POLICY_NO_PRINCIPALS',
  },
  {
    name: 'a cluster the roles do not allow yields a cluster denial, not principals',
    roles: [devRole],
    cluster: prod,
    expected: 'RMT_POLICY_CLUSTER_DENIED',
  },
  {
    name: 'a deny group removes that group from the allowed set',
    roles: [
      role(
        'r',
        { kubernetes_labels: { env: 'dev' }, kubernetes_groups: ['developers', 'admins'] },
        { kubernetes_groups: ['admins'] },
      ),
    ],
    expected: { user: 'alice', groups: G('developers') },
  },
  {
    name: 'a deny group in another role applies on every cluster',
    roles: [
      role('a', { kubernetes_labels: { env: 'dev' }, kubernetes_groups: ['developers', 'admins'] }),
      role('d', {}, { kubernetes_groups: ['admins'] }),
    ],
    expected: { user: 'alice', groups: G('developers') },
  },
  {
    name: 'a deny group glob removes every group it matches',
    roles: [
      role(
        'r',
        { kubernetes_labels: { env: 'dev' }, kubernetes_groups: ['ops-a', 'ops-b', 'dev'] },
        { kubernetes_groups: ['ops-*'] },
      ),
    ],
    expected: { user: 'alice', groups: G('dev') },
  },
  {
    name: 'denying every granted group leaves no principals',
    roles: [
      role(
        'r',
        { kubernetes_labels: { env: 'dev' }, kubernetes_groups: ['a'] },
        { kubernetes_groups: ['*'] },
      ),
    ],
    expected: 'RMT_POLICY_NO_PRINCIPALS',
  },
  {
    name: 'a deny user removes that user from the allowed set',
    roles: [
      role(
        'r',
        { kubernetes_labels: { env: 'dev' }, kubernetes_users: ['root', 'dev'] },
        { kubernetes_users: ['root'] },
      ),
    ],
    expected: { user: 'dev', groups: G() },
  },
  {
    name: 'a deny user pattern also stops the username fallback',
    roles: [
      role('r', { kubernetes_labels: { env: 'dev' }, kubernetes_groups: ['g'] }, { kubernetes_users: ['*'] }),
    ],
    expected: 'RMT_POLICY_NO_PRINCIPALS',
  },
  {
    name: 'deny rules that remove every granted user never fall back to the username',
    roles: [
      role(
        'r',
        { kubernetes_labels: { env: 'dev' }, kubernetes_users: ['root'], kubernetes_groups: ['g'] },
        { kubernetes_users: ['root'] },
      ),
    ],
    expected: 'RMT_POLICY_NO_PRINCIPALS',
  },
  {
    name: 'a system: username is never used as the fallback user',
    roles: [devRole],
    username: 'system:admin',
    expected: 'RMT_POLICY_NO_PRINCIPALS',
  },
  {
    name: 'several allowed users and no choice is an error that says how to choose',
    roles: [role('r', { kubernetes_labels: { env: 'dev' }, kubernetes_users: ['a', 'b'] })],
    expected: 'RMT_POLICY_USER_AMBIGUOUS',
  },
  {
    name: 'several allowed users and --as one of them impersonates that one',
    roles: [role('r', { kubernetes_labels: { env: 'dev' }, kubernetes_users: ['a', 'b'] })],
    ask: { requestedUser: 'b' },
    expected: { user: 'b', groups: G() },
  },
  {
    name: '--as a user outside the allowed set is forbidden',
    roles: [role('r', { kubernetes_labels: { env: 'dev' }, kubernetes_users: ['a', 'b'] })],
    ask: { requestedUser: 'admin' },
    expected: 'RMT_POLICY_IMPERSONATION_DENIED',
  },
  {
    name: '--as the only allowed user is accepted',
    roles: [role('r', { kubernetes_labels: { env: 'dev' }, kubernetes_users: ['a'] })],
    ask: { requestedUser: 'a' },
    expected: { user: 'a', groups: G() },
  },
  {
    name: '--as the username is accepted when it is the fallback user',
    roles: [devRole],
    ask: { requestedUser: 'alice' },
    expected: { user: 'alice', groups: G('developers') },
  },
  {
    name: '--as system:masters is forbidden',
    roles: [devRole],
    ask: { requestedUser: 'system:masters' },
    expected: 'RMT_POLICY_IMPERSONATION_DENIED',
  },
  {
    name: '--as-group inside the allowed set narrows the groups sent',
    roles: [role('r', { kubernetes_labels: { env: 'dev' }, kubernetes_groups: ['a', 'b', 'c'] })],
    ask: { requestedGroups: ['b'] },
    expected: { user: 'alice', groups: G('b') },
  },
  {
    name: '--as-group outside the allowed set is forbidden',
    roles: [role('r', { kubernetes_labels: { env: 'dev' }, kubernetes_groups: ['a'] })],
    ask: { requestedGroups: ['a', 'system:masters'] },
    expected: 'RMT_POLICY_IMPERSONATION_DENIED',
  },
  {
    name: '--as-group system:authenticated is always allowed',
    roles: [role('r', { kubernetes_labels: { env: 'dev' }, kubernetes_groups: ['a'] })],
    ask: { requestedGroups: ['system:authenticated'] },
    expected: { user: 'alice', groups: G() },
  },
  {
    name: '--as and --as-group together both narrow',
    roles: [
      role('r', {
        kubernetes_labels: { env: 'dev' },
        kubernetes_users: ['u1', 'u2'],
        kubernetes_groups: ['a', 'b'],
      }),
    ],
    ask: { requestedUser: 'u2', requestedGroups: ['a'] },
    expected: { user: 'u2', groups: G('a') },
  },
  {
    name: 'an empty --as-group list sends every allowed group',
    roles: [role('r', { kubernetes_labels: { env: 'dev' }, kubernetes_groups: ['a', 'b'] })],
    ask: { requestedGroups: [] },
    expected: { user: 'alice', groups: G('a', 'b') },
  },
  {
    name: 'an external trait template expands to one group per value',
    roles: [role('r', { kubernetes_labels: { env: 'dev' }, kubernetes_groups: ['{{external.groups}}'] })],
    traits: { 'external.groups': ['g1', 'g2'] },
    expected: { user: 'alice', groups: G('g1', 'g2') },
  },
  {
    name: 'an internal trait template expands like Teleport internal.kubernetes_groups',
    roles: [
      role('r', { kubernetes_labels: { env: 'dev' }, kubernetes_groups: ['{{internal.kubernetes_groups}}'] }),
    ],
    traits: { 'internal.kubernetes_groups': ['platform'] },
    expected: { user: 'alice', groups: G('platform') },
  },
  {
    name: 'email.local takes the part before @ for the Kubernetes user',
    roles: [
      role('r', { kubernetes_labels: { env: 'dev' }, kubernetes_users: ['{{email.local(external.email)}}'] }),
    ],
    traits: { 'external.email': ['alice.smith@example.com'] },
    expected: { user: 'alice.smith', groups: G() },
  },
  {
    name: 'regexp.replace rewrites matching values and keeps the capture group',
    roles: [
      role('r', {
        kubernetes_labels: { env: 'dev' },
        kubernetes_groups: ['{{regexp.replace(external.groups, "^team-(.*)$", "$1")}}'],
      }),
    ],
    traits: { 'external.groups': ['team-web', 'team-db'] },
    expected: { user: 'alice', groups: G('db', 'web') },
  },
  {
    name: 'regexp.replace accepts a regex with a {n,m} quantifier',
    roles: [
      role('r', {
        kubernetes_labels: { env: 'dev' },
        kubernetes_groups: ['{{regexp.replace(external.groups, "^team:(.{0,4}).*$", "t-$1")}}'],
      }),
    ],
    traits: { 'external.groups': ['team:platform'] },
    expected: { user: 'alice', groups: G('t-plat') },
  },
  {
    name: 'regexp.replace drops values that do not match',
    roles: [
      role('r', {
        kubernetes_labels: { env: 'dev' },
        kubernetes_groups: ['{{regexp.replace(external.groups, "^team-(.*)$", "$1")}}'],
      }),
    ],
    traits: { 'external.groups': ['team-web', 'everyone'] },
    expected: { user: 'alice', groups: G('web') },
  },
  {
    name: 'an external template never reads a trait stored without its namespace',
    roles: [role('r', { kubernetes_labels: { env: 'dev' }, kubernetes_groups: ['{{external.groups}}'] })],
    traits: { groups: ['g1'] },
    expected: 'RMT_POLICY_NO_PRINCIPALS',
  },
  {
    name: 'an internal template never reads the external trait of the same name',
    roles: [
      role('r', { kubernetes_labels: { env: 'dev' }, kubernetes_groups: ['{{internal.kubernetes_groups}}'] }),
    ],
    traits: { 'external.kubernetes_groups': ['cluster-admins'] },
    expected: 'RMT_POLICY_NO_PRINCIPALS',
  },
  {
    name: 'a bracketed trait name reads claims with dashes',
    roles: [
      role('r', { kubernetes_labels: { env: 'dev' }, kubernetes_groups: ['{{external["k8s-groups"]}}'] }),
    ],
    traits: { 'external.k8s-groups': ['ops'] },
    expected: { user: 'alice', groups: G('ops') },
  },
  {
    name: 'a template with a missing trait expands to nothing',
    roles: [role('r', { kubernetes_labels: { env: 'dev' }, kubernetes_groups: ['{{external.groups}}'] })],
    expected: 'RMT_POLICY_NO_PRINCIPALS',
  },
  {
    name: 'a template with literal text around it keeps the text',
    roles: [
      role('r', { kubernetes_labels: { env: 'dev' }, kubernetes_groups: ['team-{{external.team}}-view'] }),
    ],
    traits: { 'external.team': ['web'] },
    expected: { user: 'alice', groups: G('team-web-view') },
  },
  {
    name: 'a trait value system:masters never becomes a group',
    roles: [
      role('r', {
        kubernetes_labels: { env: 'dev' },
        kubernetes_groups: ['{{external.groups}}', 'developers'],
      }),
    ],
    traits: { 'external.groups': ['system:masters'] },
    expected: { user: 'alice', groups: G('developers') },
  },
  {
    name: 'a system: group listed literally by the role is granted',
    roles: [role('r', { kubernetes_labels: { env: 'dev' }, kubernetes_groups: ['system:masters'] })],
    expected: { user: 'alice', groups: G('system:masters') },
  },
  {
    name: 'a system: trait value is kept when the same role lists that name literally',
    roles: [
      role('r', {
        kubernetes_labels: { env: 'dev' },
        kubernetes_groups: ['{{external.groups}}', 'system:masters'],
      }),
    ],
    traits: { 'external.groups': ['system:masters'] },
    expected: { user: 'alice', groups: G('system:masters') },
  },
  {
    name: 'a trait value system:admin never becomes the user',
    roles: [
      role('r', {
        kubernetes_labels: { env: 'dev' },
        kubernetes_users: ['{{external.kube_user}}'],
        kubernetes_groups: ['g'],
      }),
    ],
    traits: { 'external.kube_user': ['system:admin'] },
    expected: { user: 'alice', groups: G('g') },
  },
  {
    name: 'a deny template removes the group named by the trait',
    roles: [
      role(
        'r',
        { kubernetes_labels: { env: 'dev' }, kubernetes_groups: ['a', 'b'] },
        { kubernetes_groups: ['{{external.blocked}}'] },
      ),
    ],
    traits: { 'external.blocked': ['b'] },
    expected: { user: 'alice', groups: G('a') },
  },
];

interface RequestCase {
  readonly name: string;
  readonly roles: Role[];
  readonly traits?: Traits;
  readonly cluster?: ClusterTarget;
  readonly req: [string, string] | [string, string, string];
  readonly allowed: boolean;
  readonly filter?: boolean;
  readonly code?: string;
}

const L = { kubernetes_labels: { '*': '*' }, kubernetes_groups: ['g'] } as const;
const podReader = role('pod-reader', {
  ...L,
  kubernetes_resources: [{ kind: 'pod', namespace: 'team-a', name: '*', verbs: ['get', 'list', 'watch'] }],
});
const podExec = role('pod-exec', {
  ...L,
  kubernetes_resources: [{ kind: 'pod', namespace: 'team-a', name: '*', verbs: ['exec'] }],
});
const nsRule = (name: string, verbs: string[]) =>
  role(`ns-${name.replace(/\*/g, 'all')}`, {
    ...L,
    kubernetes_resources: [{ kind: 'namespace', name, verbs }],
  });
const crd = role('crd', {
  ...L,
  kubernetes_resources: [
    { kind: 'crontabs', api_group: 'stable.example.com', namespace: '*', name: '*', verbs: ['get', 'list'] },
  ],
});
const admin = role('admin', {
  ...L,
  kubernetes_resources: [{ kind: '*', namespace: '*', name: '*', verbs: ['*'] }],
});
const noSecrets = role(
  'no-secrets',
  {},
  { kubernetes_resources: [{ kind: 'secret', namespace: '*', name: '*', verbs: ['*'] }] },
);

const requestCases: RequestCase[] = [
  {
    name: 'a pod rule allows get of a pod in its namespace',
    roles: [podReader],
    req: ['GET', '/api/v1/namespaces/team-a/pods/web'],
    allowed: true,
  },
  {
    name: 'a pod rule denies get of a pod in another namespace',
    roles: [podReader],
    req: ['GET', '/api/v1/namespaces/team-b/pods/web'],
    allowed: false,
    code: 'RMT_POLICY_REQUEST_DENIED',
  },
  {
    name: 'a pod rule allows list of pods in its namespace without filtering',
    roles: [podReader],
    req: ['GET', '/api/v1/namespaces/team-a/pods'],
    allowed: true,
    filter: false,
  },
  {
    name: 'a pod rule allows watch with watch=true',
    roles: [podReader],
    req: ['GET', '/api/v1/namespaces/team-a/pods', 'watch=true'],
    allowed: true,
    filter: false,
  },
  {
    name: 'a pod rule allows the legacy /watch/ prefix',
    roles: [podReader],
    req: ['GET', '/api/v1/watch/namespaces/team-a/pods'],
    allowed: true,
  },
  {
    name: 'a pod rule without delete denies delete',
    roles: [podReader],
    req: ['DELETE', '/api/v1/namespaces/team-a/pods/web'],
    allowed: false,
  },
  {
    name: 'a pod rule without create denies create',
    roles: [podReader],
    req: ['POST', '/api/v1/namespaces/team-a/pods'],
    allowed: false,
  },
  {
    name: 'a pod rule does not allow deployments',
    roles: [podReader],
    req: ['GET', '/apis/apps/v1/namespaces/team-a/deployments/web'],
    allowed: false,
  },
  {
    name: 'a pod rule does not allow secrets',
    roles: [podReader],
    req: ['GET', '/api/v1/namespaces/team-a/secrets/db'],
    allowed: false,
  },
  {
    name: 'a pod rule allows a list across all namespaces, filtered',
    roles: [podReader],
    req: ['GET', '/api/v1/pods'],
    allowed: true,
    filter: true,
  },
  {
    name: 'get of pods does not allow exec over WebSocket (a GET)',
    roles: [podReader],
    req: ['GET', '/api/v1/namespaces/team-a/pods/web/exec', 'command=sh'],
    allowed: false,
  },
  {
    name: 'get of pods does not allow exec over SPDY (a POST)',
    roles: [podReader],
    req: ['POST', '/api/v1/namespaces/team-a/pods/web/exec', 'command=sh'],
    allowed: false,
  },
  {
    name: 'the exec verb allows exec over WebSocket (a GET)',
    roles: [podExec],
    req: ['GET', '/api/v1/namespaces/team-a/pods/web/exec', 'command=sh'],
    allowed: true,
  },
  {
    name: 'the exec verb allows exec over SPDY (a POST)',
    roles: [podExec],
    req: ['POST', '/api/v1/namespaces/team-a/pods/web/exec', 'command=sh'],
    allowed: true,
  },
  {
    name: 'the exec verb does not allow reading the pod',
    roles: [podExec],
    req: ['GET', '/api/v1/namespaces/team-a/pods/web'],
    allowed: false,
  },
  {
    name: 'the exec verb does not allow attach',
    roles: [podExec],
    req: ['POST', '/api/v1/namespaces/team-a/pods/web/attach'],
    allowed: false,
  },
  {
    name: 'the exec verb does not allow exec in another namespace',
    roles: [podExec],
    req: ['POST', '/api/v1/namespaces/team-b/pods/web/exec'],
    allowed: false,
  },
  {
    name: 'the attach verb allows attach over WebSocket',
    roles: [role('r', { ...L, kubernetes_resources: [{ kind: 'pod', namespace: '*', verbs: ['attach'] }] })],
    req: ['GET', '/api/v1/namespaces/x/pods/web/attach'],
    allowed: true,
  },
  {
    name: 'the portforward verb allows port-forward over SPDY',
    roles: [
      role('r', { ...L, kubernetes_resources: [{ kind: 'pod', namespace: '*', verbs: ['portforward'] }] }),
    ],
    req: ['POST', '/api/v1/namespaces/x/pods/web/portforward'],
    allowed: true,
  },
  {
    name: 'the portforward verb allows port-forward over WebSocket',
    roles: [
      role('r', { ...L, kubernetes_resources: [{ kind: 'pod', namespace: '*', verbs: ['portforward'] }] }),
    ],
    req: ['GET', '/api/v1/namespaces/x/pods/web/portforward', 'ports=80'],
    allowed: true,
  },
  {
    name: 'the log verb allows pods/log',
    roles: [role('r', { ...L, kubernetes_resources: [{ kind: 'pod', namespace: '*', verbs: ['log'] }] })],
    req: ['GET', '/api/v1/namespaces/x/pods/web/log'],
    allowed: true,
  },
  {
    name: 'get of pods does not allow pods/log',
    roles: [podReader],
    req: ['GET', '/api/v1/namespaces/team-a/pods/web/log'],
    allowed: false,
  },
  {
    name: "verb '*' allows exec as well",
    roles: [role('r', { ...L, kubernetes_resources: [{ kind: 'pod', namespace: '*', verbs: ['*'] }] })],
    req: ['POST', '/api/v1/namespaces/x/pods/web/exec'],
    allowed: true,
  },
  {
    name: 'get of pods does not allow the pods/status subresource',
    roles: [podReader],
    req: ['GET', '/api/v1/namespaces/team-a/pods/web/status'],
    allowed: false,
  },
  {
    name: 'a pods/status rule allows the status subresource',
    roles: [
      role('r', {
        ...L,
        kubernetes_resources: [{ kind: 'pods/status', namespace: '*', verbs: ['get', 'update'] }],
      }),
    ],
    req: ['PUT', '/api/v1/namespaces/x/pods/web/status'],
    allowed: true,
  },
  {
    name: 'a deployments/scale rule allows scaling in the apps group',
    roles: [
      role('r', {
        ...L,
        kubernetes_resources: [{ kind: 'deployments/scale', namespace: '*', verbs: ['update', 'patch'] }],
      }),
    ],
    req: ['PATCH', '/apis/apps/v1/namespaces/x/deployments/web/scale'],
    allowed: true,
  },
  {
    name: 'get of pods does not allow the legacy proxy verb',
    roles: [podReader],
    req: ['GET', '/api/v1/proxy/namespaces/team-a/pods/web'],
    allowed: false,
  },
  {
    name: 'get of pods does not allow pods/proxy',
    roles: [podReader],
    req: ['GET', '/api/v1/namespaces/team-a/pods/web/proxy'],
    allowed: false,
  },
  {
    name: 'a literal name allows that object only',
    roles: [
      role('r', {
        ...L,
        kubernetes_resources: [{ kind: 'pod', namespace: 'a', name: 'web', verbs: ['get'] }],
      }),
    ],
    req: ['GET', '/api/v1/namespaces/a/pods/web'],
    allowed: true,
  },
  {
    name: 'a literal name does not allow another object',
    roles: [
      role('r', {
        ...L,
        kubernetes_resources: [{ kind: 'pod', namespace: 'a', name: 'web', verbs: ['get'] }],
      }),
    ],
    req: ['GET', '/api/v1/namespaces/a/pods/db'],
    allowed: false,
  },
  {
    name: 'a glob name allows objects by prefix',
    roles: [
      role('r', {
        ...L,
        kubernetes_resources: [{ kind: 'pod', namespace: 'a', name: 'web-*', verbs: ['get'] }],
      }),
    ],
    req: ['GET', '/api/v1/namespaces/a/pods/web-7'],
    allowed: true,
  },
  {
    name: 'a regex name allows objects it fully matches',
    roles: [
      role('r', {
        ...L,
        kubernetes_resources: [{ kind: 'pod', namespace: 'a', name: '^web-[0-9]+$', verbs: ['get'] }],
      }),
    ],
    req: ['GET', '/api/v1/namespaces/a/pods/web-12'],
    allowed: true,
  },
  {
    name: 'a regex name does not allow objects it only partly matches',
    roles: [
      role('r', {
        ...L,
        kubernetes_resources: [{ kind: 'pod', namespace: 'a', name: '^web-[0-9]+$', verbs: ['get'] }],
      }),
    ],
    req: ['GET', '/api/v1/namespaces/a/pods/web-12x'],
    allowed: false,
  },
  {
    name: 'a glob namespace allows namespaces by prefix',
    roles: [
      role('r', { ...L, kubernetes_resources: [{ kind: 'pod', namespace: 'team-*', verbs: ['get'] }] }),
    ],
    req: ['GET', '/api/v1/namespaces/team-z/pods/web'],
    allowed: true,
  },
  {
    name: 'a regex namespace allows the namespaces it matches',
    roles: [
      role('r', { ...L, kubernetes_resources: [{ kind: 'pod', namespace: '^(a|b)$', verbs: ['get'] }] }),
    ],
    req: ['GET', '/api/v1/namespaces/b/pods/web'],
    allowed: true,
  },
  {
    name: 'a namespace template allows the namespace named by the trait',
    roles: [
      role('r', {
        ...L,
        kubernetes_resources: [{ kind: 'pod', namespace: '{{external.team}}', verbs: ['get'] }],
      }),
    ],
    traits: { 'external.team': ['payments'] },
    req: ['GET', '/api/v1/namespaces/payments/pods/web'],
    allowed: true,
  },
  {
    name: 'a namespace template with a missing trait allows nothing',
    roles: [
      role('r', {
        ...L,
        kubernetes_resources: [{ kind: 'pod', namespace: '{{external.team}}', verbs: ['get'] }],
      }),
    ],
    req: ['GET', '/api/v1/namespaces/payments/pods/web'],
    allowed: false,
  },
  {
    name: 'a namespace template with a glob suffix keeps the glob',
    roles: [
      role('r', {
        ...L,
        kubernetes_resources: [{ kind: 'pod', namespace: '{{external.team}}-*', verbs: ['get'] }],
      }),
    ],
    traits: { 'external.team': ['pay'] },
    req: ['GET', '/api/v1/namespaces/pay-prod/pods/web'],
    allowed: true,
  },
  {
    name: 'a deployment rule allows deployments in the apps group',
    roles: [
      role('r', { ...L, kubernetes_resources: [{ kind: 'deployment', namespace: '*', verbs: ['get'] }] }),
    ],
    req: ['GET', '/apis/apps/v1/namespaces/x/deployments/web'],
    allowed: true,
  },
  {
    name: 'a deployment rule does not allow a deployments resource of another group',
    roles: [
      role('r', { ...L, kubernetes_resources: [{ kind: 'deployment', namespace: '*', verbs: ['get'] }] }),
    ],
    req: ['GET', '/apis/extensions.example.com/v1/namespaces/x/deployments/web'],
    allowed: false,
  },
  {
    name: 'a plural built-in kind works like the singular',
    roles: [
      role('r', { ...L, kubernetes_resources: [{ kind: 'deployments', namespace: '*', verbs: ['get'] }] }),
    ],
    req: ['GET', '/apis/apps/v1/namespaces/x/deployments/web'],
    allowed: true,
  },
  {
    name: "api_group '*' on a built-in kind allows every group serving that resource",
    roles: [
      role('r', {
        ...L,
        kubernetes_resources: [{ kind: 'event', api_group: '*', namespace: '*', verbs: ['list'] }],
      }),
    ],
    req: ['GET', '/apis/events.k8s.io/v1/namespaces/x/events'],
    allowed: true,
  },
  {
    name: 'a custom resource rule allows its kind in its API group',
    roles: [crd],
    req: ['GET', '/apis/stable.example.com/v1/namespaces/x/crontabs/nightly'],
    allowed: true,
  },
  {
    name: 'a custom resource rule does not allow the same kind in another group',
    roles: [crd],
    req: ['GET', '/apis/evil.example.com/v1/namespaces/x/crontabs/nightly'],
    allowed: false,
  },
  {
    name: 'a custom resource rule does not allow verbs it does not list',
    roles: [crd],
    req: ['DELETE', '/apis/stable.example.com/v1/namespaces/x/crontabs/nightly'],
    allowed: false,
  },
  {
    name: 'a custom resource group glob allows every matching group',
    roles: [
      role('r', {
        ...L,
        kubernetes_resources: [
          { kind: 'crontabs', api_group: '*.example.com', namespace: '*', verbs: ['get'] },
        ],
      }),
    ],
    req: ['GET', '/apis/batch.example.com/v1/namespaces/x/crontabs/n'],
    allowed: true,
  },
  {
    name: 'a cluster-scoped custom resource rule without namespace allows cluster-scoped objects',
    roles: [
      role('r', {
        ...L,
        kubernetes_resources: [{ kind: 'clusterissuers', api_group: 'cert-manager.io', verbs: ['get'] }],
      }),
    ],
    req: ['GET', '/apis/cert-manager.io/v1/clusterissuers/letsencrypt'],
    allowed: true,
  },
  {
    name: 'a custom resource rule without namespace does not allow namespaced objects',
    roles: [
      role('r', {
        ...L,
        kubernetes_resources: [{ kind: 'issuers', api_group: 'cert-manager.io', verbs: ['get'] }],
      }),
    ],
    req: ['GET', '/apis/cert-manager.io/v1/namespaces/x/issuers/ca'],
    allowed: false,
  },
  {
    name: "kind '*' on every namespace allows any namespaced resource",
    roles: [admin],
    req: ['DELETE', '/apis/apps/v1/namespaces/x/deployments/web'],
    allowed: true,
  },
  {
    name: "kind '*' on every namespace allows cluster-scoped nodes",
    roles: [admin],
    req: ['GET', '/api/v1/nodes/n1'],
    allowed: true,
  },
  {
    name: "kind '*' on every namespace allows custom resources",
    roles: [admin],
    req: ['GET', '/apis/stable.example.com/v1/namespaces/x/crontabs/n'],
    allowed: true,
  },
  {
    name: "kind '*' in one namespace does not allow cluster-scoped resources",
    roles: [role('r', { ...L, kubernetes_resources: [{ kind: '*', namespace: 'team-a', verbs: ['*'] }] })],
    req: ['GET', '/api/v1/nodes/n1'],
    allowed: false,
  },
  {
    name: "kind '*' in one namespace allows any resource inside it",
    roles: [role('r', { ...L, kubernetes_resources: [{ kind: '*', namespace: 'team-a', verbs: ['*'] }] })],
    req: ['GET', '/api/v1/namespaces/team-a/secrets/db'],
    allowed: true,
  },
  {
    name: "kind '*' with an api_group restricts to that group",
    roles: [
      role('r', {
        ...L,
        kubernetes_resources: [{ kind: '*', api_group: 'apps', namespace: '*', verbs: ['get'] }],
      }),
    ],
    req: ['GET', '/api/v1/namespaces/x/pods/p'],
    allowed: false,
  },
  {
    name: 'a node rule allows a cluster-scoped node',
    roles: [role('r', { ...L, kubernetes_resources: [{ kind: 'node', verbs: ['get', 'list'] }] })],
    req: ['GET', '/api/v1/nodes/n1'],
    allowed: true,
  },
  {
    name: 'a node rule allows listing nodes without filtering',
    roles: [role('r', { ...L, kubernetes_resources: [{ kind: 'node', verbs: ['list'] }] })],
    req: ['GET', '/api/v1/nodes'],
    allowed: true,
    filter: false,
  },
  {
    name: 'a clusterrole rule allows cluster roles in the rbac group',
    roles: [
      role('r', { ...L, kubernetes_resources: [{ kind: 'clusterrole', name: 'view', verbs: ['get'] }] }),
    ],
    req: ['GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles/view'],
    allowed: true,
  },
  {
    name: 'a namespace rule allows getting the namespace object',
    roles: [nsRule('team-a', ['get'])],
    req: ['GET', '/api/v1/namespaces/team-a'],
    allowed: true,
  },
  {
    name: 'a namespace rule does not allow another namespace object',
    roles: [nsRule('team-a', ['get'])],
    req: ['GET', '/api/v1/namespaces/team-b'],
    allowed: false,
  },
  {
    name: 'a namespace rule allows its verbs on pods inside the namespace',
    roles: [nsRule('team-a', ['get'])],
    req: ['GET', '/api/v1/namespaces/team-a/pods/web'],
    allowed: true,
  },
  {
    name: 'a namespace rule allows its verbs on any kind inside the namespace',
    roles: [nsRule('team-a', ['get'])],
    req: ['GET', '/apis/apps/v1/namespaces/team-a/deployments/web'],
    allowed: true,
  },
  {
    name: 'a namespace rule allows custom resources inside the namespace',
    roles: [nsRule('team-a', ['list'])],
    req: ['GET', '/apis/stable.example.com/v1/namespaces/team-a/crontabs'],
    allowed: true,
    filter: false,
  },
  {
    name: 'a namespace rule does not allow verbs it does not list inside',
    roles: [nsRule('team-a', ['get'])],
    req: ['DELETE', '/api/v1/namespaces/team-a/pods/web'],
    allowed: false,
  },
  {
    name: 'a namespace rule with exec allows exec inside the namespace',
    roles: [nsRule('team-a', ['exec'])],
    req: ['POST', '/api/v1/namespaces/team-a/pods/web/exec'],
    allowed: true,
  },
  {
    name: 'a namespace rule does not allow resources in other namespaces',
    roles: [nsRule('team-a', ['get'])],
    req: ['GET', '/api/v1/namespaces/team-b/pods/web'],
    allowed: false,
  },
  {
    name: 'a namespace rule does not allow cluster-scoped nodes',
    roles: [nsRule('*', ['get'])],
    req: ['GET', '/api/v1/nodes/n1'],
    allowed: false,
  },
  {
    name: 'a namespace glob rule allows the namespaces it matches',
    roles: [nsRule('team-*', ['get'])],
    req: ['GET', '/api/v1/namespaces/team-q/configmaps/c'],
    allowed: true,
  },
  {
    name: 'a namespace rule allows listing namespaces, filtered by name',
    roles: [nsRule('team-a', ['list'])],
    req: ['GET', '/api/v1/namespaces'],
    allowed: true,
    filter: true,
  },
  {
    name: "a namespace rule '*' allows listing namespaces without filtering",
    roles: [nsRule('*', ['list'])],
    req: ['GET', '/api/v1/namespaces'],
    allowed: true,
    filter: false,
  },
  {
    name: 'a namespace rule does not allow the namespace finalize subresource',
    roles: [nsRule('team-a', ['*'])],
    req: ['PUT', '/api/v1/namespaces/team-a/finalize'],
    allowed: false,
  },
  {
    name: 'a namespace rule in a list across namespaces needs filtering',
    roles: [nsRule('team-a', ['list'])],
    req: ['GET', '/api/v1/pods'],
    allowed: true,
    filter: true,
  },
  {
    name: 'a namespace rule with create allows creating that namespace only when named',
    roles: [nsRule('team-a', ['create'])],
    req: ['POST', '/api/v1/namespaces'],
    allowed: false,
  },
  {
    name: "a namespace rule '*' with create allows creating namespaces",
    roles: [nsRule('*', ['create'])],
    req: ['POST', '/api/v1/namespaces'],
    allowed: true,
  },
  {
    name: 'a deny rule on secrets wins over kind * allow',
    roles: [admin, noSecrets],
    req: ['GET', '/api/v1/namespaces/x/secrets/db'],
    allowed: false,
  },
  {
    name: 'a deny rule on secrets leaves other kinds allowed',
    roles: [admin, noSecrets],
    req: ['GET', '/api/v1/namespaces/x/configmaps/c'],
    allowed: true,
  },
  {
    name: 'a deny rule covering a collection denies the list',
    roles: [admin, noSecrets],
    req: ['GET', '/api/v1/namespaces/x/secrets'],
    allowed: false,
  },
  {
    name: 'a deny rule covering a collection denies the list across namespaces',
    roles: [admin, noSecrets],
    req: ['GET', '/api/v1/secrets'],
    allowed: false,
  },
  {
    name: 'a deny rule for one name lets the list through, filtered',
    roles: [
      admin,
      role(
        'd',
        {},
        { kubernetes_resources: [{ kind: 'secret', namespace: '*', name: 'root-ca', verbs: ['*'] }] },
      ),
    ],
    req: ['GET', '/api/v1/namespaces/x/secrets'],
    allowed: true,
    filter: true,
  },
  {
    name: 'a deny rule applies even when its role labels do not match the cluster',
    roles: [
      admin,
      role(
        'd',
        { kubernetes_labels: { env: 'nothing' } },
        { kubernetes_resources: [{ kind: 'pod', namespace: '*', verbs: ['exec'] }] },
      ),
    ],
    req: ['POST', '/api/v1/namespaces/x/pods/p/exec'],
    allowed: false,
  },
  {
    name: 'a deny rule only removes the verbs it lists',
    roles: [
      admin,
      role('d', {}, { kubernetes_resources: [{ kind: 'pod', namespace: '*', verbs: ['exec'] }] }),
    ],
    req: ['GET', '/api/v1/namespaces/x/pods/p'],
    allowed: true,
  },
  {
    name: 'a deny namespace rule denies everything inside that namespace',
    roles: [
      admin,
      role('d', {}, { kubernetes_resources: [{ kind: 'namespace', name: 'kube-system', verbs: ['*'] }] }),
    ],
    req: ['GET', '/api/v1/namespaces/kube-system/configmaps/c'],
    allowed: false,
  },
  {
    name: 'allow rules of roles whose labels do not match the cluster do not apply',
    roles: [
      role('r', {
        kubernetes_labels: { env: 'dev' },
        kubernetes_groups: ['g'],
        kubernetes_resources: [{ kind: 'pod', namespace: '*', verbs: ['get'] }],
      }),
      role('s', { kubernetes_labels: { env: 'staging' }, kubernetes_groups: ['g'] }),
    ],
    cluster: staging,
    req: ['GET', '/api/v1/namespaces/x/pods/p'],
    allowed: false,
  },
  {
    name: 'rules from several roles add up',
    roles: [podReader, podExec],
    req: ['POST', '/api/v1/namespaces/team-a/pods/web/exec'],
    allowed: true,
  },
  {
    name: 'a role without resource rules allows no resource',
    roles: [role('r', { ...L })],
    req: ['GET', '/api/v1/namespaces/x/pods/p'],
    allowed: false,
  },
  {
    name: 'an empty resource rule list allows no resource',
    roles: [role('r', { ...L, kubernetes_resources: [] })],
    req: ['GET', '/api/v1/namespaces/x/pods'],
    allowed: false,
  },
  {
    name: 'a request on a denied cluster is a cluster denial',
    roles: [podReader, role('d', {}, { kubernetes_labels: { env: 'dev' } })],
    req: ['GET', '/api/v1/namespaces/team-a/pods/web'],
    allowed: false,
    code: 'RMT_POLICY_CLUSTER_DENIED',
  },
  {
    name: 'deletecollection is allowed when a rule covers the whole namespace',
    roles: [
      role('r', {
        ...L,
        kubernetes_resources: [{ kind: 'pod', namespace: 'a', verbs: ['deletecollection'] }],
      }),
    ],
    req: ['DELETE', '/api/v1/namespaces/a/pods'],
    allowed: true,
  },
  {
    name: 'deletecollection is denied when the rule only names some objects',
    roles: [
      role('r', {
        ...L,
        kubernetes_resources: [{ kind: 'pod', namespace: 'a', name: 'web-*', verbs: ['deletecollection'] }],
      }),
    ],
    req: ['DELETE', '/api/v1/namespaces/a/pods'],
    allowed: false,
  },
  {
    name: 'deletecollection is denied when a deny rule could match one object',
    roles: [
      admin,
      role('d', {}, { kubernetes_resources: [{ kind: 'pod', namespace: 'a', name: 'keep', verbs: ['*'] }] }),
    ],
    req: ['DELETE', '/api/v1/namespaces/a/pods'],
    allowed: false,
  },
  {
    name: 'create without a name is allowed by a rule for any name',
    roles: [
      role('r', { ...L, kubernetes_resources: [{ kind: 'configmap', namespace: 'a', verbs: ['create'] }] }),
    ],
    req: ['POST', '/api/v1/namespaces/a/configmaps'],
    allowed: true,
  },
  {
    name: 'create without a name is denied by a rule for some names only',
    roles: [
      role('r', {
        ...L,
        kubernetes_resources: [{ kind: 'configmap', namespace: 'a', name: 'app-*', verbs: ['create'] }],
      }),
    ],
    req: ['POST', '/api/v1/namespaces/a/configmaps'],
    allowed: false,
  },
  {
    name: 'create is denied when a deny rule could match the new object',
    roles: [
      admin,
      role(
        'd',
        {},
        { kubernetes_resources: [{ kind: 'configmap', namespace: 'a', name: 'locked', verbs: ['create'] }] },
      ),
    ],
    req: ['POST', '/api/v1/namespaces/a/configmaps'],
    allowed: false,
  },
  {
    name: 'a list with a metadata.name field selector is checked as that object',
    roles: [
      role('r', {
        ...L,
        kubernetes_resources: [{ kind: 'pod', namespace: 'a', name: 'web', verbs: ['list', 'watch'] }],
      }),
    ],
    req: ['GET', '/api/v1/namespaces/a/pods', 'fieldSelector=metadata.name%3Dweb&watch=true'],
    allowed: true,
    filter: false,
  },
  {
    name: 'a list with a field selector for another name is denied',
    roles: [
      role('r', {
        ...L,
        kubernetes_resources: [{ kind: 'pod', namespace: 'a', name: 'web', verbs: ['list'] }],
      }),
    ],
    req: ['GET', '/api/v1/namespaces/a/pods', 'fieldSelector=metadata.name%3Ddb'],
    allowed: false,
  },
  {
    name: 'discovery /api is allowed on an allowed cluster',
    roles: [role('r', { ...L })],
    req: ['GET', '/api'],
    allowed: true,
  },
  {
    name: 'discovery /apis/apps/v1 is allowed on an allowed cluster',
    roles: [role('r', { ...L })],
    req: ['GET', '/apis/apps/v1'],
    allowed: true,
  },
  {
    name: '/version is allowed on an allowed cluster',
    roles: [role('r', { ...L })],
    req: ['GET', '/version'],
    allowed: true,
  },
  {
    name: '/openapi/v3 is allowed on an allowed cluster',
    roles: [role('r', { ...L })],
    req: ['GET', '/openapi/v3'],
    allowed: true,
  },
  {
    name: 'discovery is denied on a cluster the roles do not allow',
    roles: [devRole],
    cluster: prod,
    req: ['GET', '/api'],
    allowed: false,
    code: 'RMT_POLICY_CLUSTER_DENIED',
  },
  {
    name: 'a non-discovery path like /metrics is denied to ordinary roles',
    roles: [podReader],
    req: ['GET', '/metrics'],
    allowed: false,
  },
  {
    name: 'a non-discovery path like /metrics is allowed to a full wildcard role',
    roles: [admin],
    req: ['GET', '/metrics'],
    allowed: true,
  },
  {
    name: 'writing to a discovery path is denied',
    roles: [podReader],
    req: ['POST', '/api'],
    allowed: false,
  },
];

interface FilterCase {
  readonly name: string;
  readonly roles: Role[];
  readonly traits?: Traits;
  readonly req: [string, string] | [string, string, string];
  readonly needed: boolean;
  readonly objects: Array<[string, string, boolean]>;
}

const filterCases: FilterCase[] = [
  {
    name: 'a list across namespaces keeps only pods in allowed namespaces',
    roles: [podReader],
    req: ['GET', '/api/v1/pods'],
    needed: true,
    objects: [
      ['team-a', 'web', true],
      ['team-b', 'web', false],
      ['kube-system', 'dns', false],
    ],
  },
  {
    name: 'a list in a namespace keeps only allowed names',
    roles: [
      role('r', {
        ...L,
        kubernetes_resources: [{ kind: 'pod', namespace: 'a', name: 'web-*', verbs: ['list'] }],
      }),
    ],
    req: ['GET', '/api/v1/namespaces/a/pods'],
    needed: true,
    objects: [
      ['a', 'web-1', true],
      ['a', 'db-1', false],
    ],
  },
  {
    name: 'a list fully covered by a rule needs no filtering',
    roles: [podReader],
    req: ['GET', '/api/v1/namespaces/team-a/pods'],
    needed: false,
    objects: [['team-a', 'anything', true]],
  },
  {
    name: 'a deny rule for one name removes that object from the list',
    roles: [
      admin,
      role(
        'd',
        {},
        { kubernetes_resources: [{ kind: 'secret', namespace: '*', name: 'root-ca', verbs: ['*'] }] },
      ),
    ],
    req: ['GET', '/api/v1/secrets'],
    needed: true,
    objects: [
      ['a', 'root-ca', false],
      ['a', 'app', true],
      ['b', 'root-ca', false],
    ],
  },
  {
    name: 'a namespace rule keeps objects of that namespace in a list across namespaces',
    roles: [nsRule('team-*', ['list'])],
    req: ['GET', '/apis/apps/v1/deployments'],
    needed: true,
    objects: [
      ['team-a', 'web', true],
      ['prod', 'web', false],
      ['', 'cluster-thing', false],
    ],
  },
  {
    name: 'a namespace rule keeps only the named namespaces in a namespace list',
    roles: [nsRule('team-a', ['list'])],
    req: ['GET', '/api/v1/namespaces'],
    needed: true,
    objects: [
      ['', 'team-a', true],
      ['', 'team-b', false],
    ],
  },
  {
    name: 'regex, glob and literal rules combine in one filter',
    roles: [
      role('r', {
        ...L,
        kubernetes_resources: [
          { kind: 'pod', namespace: '^ns-[0-9]+$', name: '^api-.*$', verbs: ['list'] },
          { kind: 'pod', namespace: 'ops-*', verbs: ['list'] },
          { kind: 'pod', namespace: 'lit', name: 'one', verbs: ['list'] },
        ],
      }),
    ],
    req: ['GET', '/api/v1/pods'],
    needed: true,
    objects: [
      ['ns-12', 'api-x', true],
      ['ns-12', 'web', false],
      ['ops-eu', 'x', true],
      ['lit', 'one', true],
      ['lit', 'two', false],
      ['ns-x', 'api-x', false],
    ],
  },
  {
    name: 'a regex with a backreference keeps its meaning beside other patterns',
    roles: [
      role('r', {
        ...L,
        kubernetes_resources: [
          { kind: 'pod', namespace: 'a', name: '^(x+)-\\1$', verbs: ['list'] },
          { kind: 'pod', namespace: 'a', name: '^(y+)-z$', verbs: ['list'] },
          { kind: 'pod', namespace: 'a', name: 'w*', verbs: ['list'] },
        ],
      }),
    ],
    req: ['GET', '/api/v1/namespaces/a/pods'],
    needed: true,
    objects: [
      ['a', 'xx-xx', true],
      ['a', 'xx-x', false],
      ['a', 'yy-z', true],
      ['a', 'web', true],
      ['a', 'yy-yy', false],
    ],
  },
  {
    name: 'a watch is filtered like a list',
    roles: [podReader],
    req: ['GET', '/api/v1/pods', 'watch=true'],
    needed: true,
    objects: [
      ['team-a', 'web', true],
      ['team-b', 'web', false],
    ],
  },
  {
    name: 'a denied list filters everything out',
    roles: [podReader],
    req: ['GET', '/api/v1/namespaces/x/secrets'],
    needed: true,
    objects: [['x', 'a', false]],
  },
  {
    name: 'a trait-expanded namespace filters as a literal',
    roles: [
      role('r', {
        ...L,
        kubernetes_resources: [{ kind: 'pod', namespace: '{{external.team}}', verbs: ['list'] }],
      }),
    ],
    traits: { 'external.team': ['pay'] },
    req: ['GET', '/api/v1/pods'],
    needed: true,
    objects: [
      ['pay', 'x', true],
      ['payroll', 'x', false],
    ],
  },
];

interface TtlCase {
  readonly name: string;
  readonly roles: Role[];
  readonly requestedMs?: number;
  readonly expectedMs: number;
}

const H = 3_600_000;
const ttlRole = (name: string, ttl?: string) =>
  role(name, {}, {}, ttl === undefined ? {} : { max_session_ttl: ttl });
const ttlCases: TtlCase[] = [
  { name: 'without a request the TTL is the role cap', roles: [ttlRole('a', '8h')], expectedMs: 8 * H },
  {
    name: 'a shorter request is granted as asked',
    roles: [ttlRole('a', '8h')],
    requestedMs: H,
    expectedMs: H,
  },
  {
    name: 'a longer request is capped by max_session_ttl',
    roles: [ttlRole('a', '8h')],
    requestedMs: 24 * H,
    expectedMs: 8 * H,
  },
  {
    name: 'the smallest max_session_ttl among the roles wins',
    roles: [ttlRole('a', '8h'), ttlRole('b', '1h30m')],
    expectedMs: 1.5 * H,
  },
  {
    name: 'a role without max_session_ttl counts as the 12h default',
    roles: [ttlRole('a', '30h'), ttlRole('b')],
    expectedMs: 12 * H,
  },
  { name: 'no roles at all yields the 12h default', roles: [], expectedMs: 12 * H },
  { name: 'fractional Go durations are understood', roles: [ttlRole('a', '1.5h')], expectedMs: 1.5 * H },
  { name: 'minutes and seconds are understood', roles: [ttlRole('a', '45m30s')], expectedMs: 45.5 * 60_000 },
  {
    name: 'a non-positive request is ignored',
    roles: [ttlRole('a', '2h')],
    requestedMs: -5,
    expectedMs: 2 * H,
  },
];

describe('cluster access (labels, deny wins)', () => {
  it.each(clusterCases)('$name', ({ roles, traits, cluster, allowed }) => {
    const c = checker(roles, traits);
    expect(c.canAccessCluster(cluster)).toBe(allowed);
    const decision = c.checkCluster(cluster);
    expect(decision.allowed).toBe(allowed);
    if (!decision.allowed) expect(decision.error.code).toBe('RMT_POLICY_CLUSTER_DENIED');
  });
});

describe('Kubernetes principals (users, groups, --as)', () => {
  it.each(principalCases)('$name', ({ roles, traits, username, cluster, ask, for: target, expected }) => {
    const attributes = target ? { attributes: request(target[0], target[1]) } : {};
    const result = checker(roles, traits, username).kubernetesPrincipals(cluster ?? dev, {
      ...ask,
      ...attributes,
    });
    if (typeof expected === 'string') {
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.error.code).toBe(expected);
        expect(result.error.status).toBe(403);
      }
    } else {
      expect(result).toEqual({ ok: true, ...expected });
    }
  });
});

describe('requests (kubernetes_resources)', () => {
  it.each(requestCases)('$name', ({ roles, traits, cluster, req, allowed, filter, code }) => {
    const decision = checker(roles, traits).checkRequest(cluster ?? dev, request(req[0], req[1], req[2]));
    expect(decision.allowed).toBe(allowed);
    if (decision.allowed && filter !== undefined) expect(decision.filter).toBe(filter);
    if (!decision.allowed) expect(decision.error.code).toBe(code ?? 'RMT_POLICY_REQUEST_DENIED');
  });
});

describe('list and watch filtering', () => {
  it.each(filterCases)('$name', ({ roles, traits, req, needed, objects }) => {
    const filter = checker(roles, traits).objectFilter(dev, request(req[0], req[1], req[2]));
    expect(filter.needed).toBe(needed);
    for (const [namespace, name, kept] of objects)
      expect(filter.test({ namespace, name }), `${namespace}/${name}`).toBe(kept);
  });
});

describe('session TTL (max_session_ttl)', () => {
  it.each(ttlCases)('$name', ({ roles, requestedMs, expectedMs }) => {
    expect(checker(roles).sessionTtl(requestedMs)).toBe(expectedMs);
  });
});

it('the table holds at least 150 cases', () => {
  const total =
    clusterCases.length + principalCases.length + requestCases.length + filterCases.length + ttlCases.length;
  expect(total).toBeGreaterThanOrEqual(150);
});
