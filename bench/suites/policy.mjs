// Policy engine: (1) filtering a list of 5,000 objects against 2,000 resource rules, the whole
// per-request cost (objectFilter construction + one test per object), target <= 100 ms; (2) one
// authorization decision for a user with 50 roles, target <= 5 µs. The naive baseline for (1) is a
// full authorization decision per object (every candidate rule tested in turn), which is what a
// filter without an index does.
import { createAccessChecker, parseKubeRequest, validateRole } from '@remoteler/core';
import { measure, printTable, ratio, writeResults } from '../lib/harness.mjs';

const durationMs = Number(process.env.BENCH_DURATION_MS ?? 2000);

// A deterministic generator, so every run measures the same rules and objects.
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = mulberry32(42);
const int = (n) => Math.floor(random() * n);

const labels = { kubernetes_labels: { '*': '*' }, kubernetes_groups: ['developers'] };
const cluster = { name: 'prod-1', labels: { env: 'production', region: 'eu-west' } };

// --- (1) 2,000 resource rules over 200 namespaces ----------------------------------------------
// Mix: literal namespace + literal name (typical "this app in this namespace"), literal namespace
// + glob name, glob namespace, and ^regex$ in namespace or name.
const RULES = 2000;
const REGEX_SHARE = 0.2;
const rules = [];
let regexRules = 0;
for (let i = 0; i < RULES; i++) {
  const ns = `team-${int(200)}`;
  const app = `app-${int(50)}`;
  const roll = random();
  let rule;
  if (roll < REGEX_SHARE) {
    regexRules++;
    rule =
      random() < 0.5
        ? {
            kind: 'pod',
            namespace: `^team-${int(20)}[0-9]$`,
            name: `^${app}-[a-z0-9]+$`,
            verbs: ['list', 'get'],
          }
        : { kind: 'pod', namespace: ns, name: `^(${app}|svc-${int(50)})-[0-9]+$`, verbs: ['list', 'get'] };
  } else if (roll < 0.6) {
    rule = { kind: 'pod', namespace: ns, name: `${app}-${int(100)}`, verbs: ['list', 'get'] };
  } else if (roll < 0.9) {
    rule = { kind: 'pod', namespace: ns, name: `${app}-*`, verbs: ['list', 'get'] };
  } else {
    rule = { kind: 'pod', namespace: `${ns.slice(0, 6)}${int(10)}*`, name: `${app}-*`, verbs: ['list'] };
  }
  rules.push(rule);
}
// 40 roles of 50 rules, as an admin would split them.
const filterRoles = Array.from({ length: 40 }, (_, r) =>
  validateRole({
    kind: 'role',
    version: 'v1',
    metadata: { name: `team-role-${r}` },
    spec: { allow: { ...labels, kubernetes_resources: rules.slice(r * 50, r * 50 + 50) } },
  }),
);
const objects = Array.from({ length: 5000 }, () => ({
  namespace: `team-${int(220)}`,
  name: `${random() < 0.5 ? 'app' : 'svc'}-${int(60)}-${int(200)}`,
}));
const listAll = parseKubeRequest('GET', '/api/v1/pods', new URLSearchParams());
const filterChecker = createAccessChecker({ username: 'alice', roles: filterRoles, traits: {} });

let kept = 0;
function filterWithIndex() {
  const filter = filterChecker.objectFilter(cluster, listAll);
  let n = 0;
  for (const object of objects) if (filter.test(object)) n++;
  kept = n;
}
function filterNaive() {
  let n = 0;
  for (const object of objects) {
    const attributes = { ...listAll, namespace: object.namespace, name: object.name };
    if (filterChecker.checkRequest(cluster, attributes).allowed) n++;
  }
  return n;
}
filterWithIndex();
const naiveKept = filterNaive();
if (naiveKept !== kept) throw new Error(`index and naive filters disagree: ${kept} vs ${naiveKept}`);

// Cold: a new identity (or a role change) builds the checker, then the first list compiles the
// filter for its request shape; later lists of the same shape reuse it.
function coldFirstList() {
  const fresh = createAccessChecker({ username: 'alice', roles: filterRoles, traits: {} });
  const filter = fresh.objectFilter(cluster, listAll);
  let n = 0;
  for (const object of objects) if (filter.test(object)) n++;
  return n;
}
coldFirstList();
const coldRuns = 10;
const coldStart = performance.now();
for (let i = 0; i < coldRuns; i++) coldFirstList();
const coldMs = (performance.now() - coldStart) / coldRuns;

const indexed = await measure(filterWithIndex, { durationMs, warmupMs: 300 });
const naive = await measure(() => filterNaive(), { durationMs, warmupMs: 300 });

printTable(
  `List filtering: 5,000 objects x ${RULES} rules (${regexRules} are ^regex$), ${kept} objects kept; target <= 100 ms`,
  [
    {
      path: 'objectFilter, warm (filter cached)',
      'ms/list': indexed.meanUs / 1000,
      'p99 ms': indexed.p99Us / 1000,
      'vs naive': ratio(naive.meanUs, indexed.meanUs),
    },
    {
      path: 'new checker + first list (cold)',
      'ms/list': coldMs,
      'p99 ms': '',
      'vs naive': ratio(naive.meanUs / 1000, coldMs),
    },
    {
      path: 'naive: decision per object',
      'ms/list': naive.meanUs / 1000,
      'p99 ms': naive.p99Us / 1000,
      'vs naive': '1.00x',
    },
  ],
);

// --- (2) a decision for a user with 50 roles ----------------------------------------------------
const decisionRoles = Array.from({ length: 50 }, (_, r) =>
  validateRole({
    kind: 'role',
    version: 'v1',
    metadata: { name: `role-${r}` },
    spec: {
      allow: {
        kubernetes_labels: r % 5 === 0 ? { '*': '*' } : { env: ['production', 'staging'], region: 'eu-*' },
        kubernetes_groups: [`group-${r}`, '{{external.groups}}'],
        kubernetes_resources: [
          { kind: 'pod', namespace: `team-${r}`, name: '*', verbs: ['get', 'list', 'watch'] },
          { kind: 'deployment', namespace: `^team-${r}-[a-z]+$`, name: 'web-*', verbs: ['get', 'patch'] },
          { kind: 'namespace', name: `sandbox-${r}`, verbs: ['*'] },
        ],
      },
      deny:
        r % 10 === 0
          ? { kubernetes_resources: [{ kind: 'secret', namespace: '*', name: 'root-*', verbs: ['*'] }] }
          : {},
    },
  }),
);
const decisionChecker = createAccessChecker({
  username: 'alice',
  roles: decisionRoles,
  traits: { 'external.groups': ['devs', 'ops'] },
});
const requests = [
  parseKubeRequest('GET', '/api/v1/namespaces/team-42/pods/web-0', new URLSearchParams()),
  parseKubeRequest('POST', '/api/v1/namespaces/team-7/pods/web-0/exec', new URLSearchParams('command=sh')),
  parseKubeRequest('PATCH', '/apis/apps/v1/namespaces/team-3-eu/deployments/web-api', new URLSearchParams()),
  parseKubeRequest('GET', '/api/v1/namespaces/sandbox-9/secrets/app', new URLSearchParams()),
];
let i = 0;
const BATCH = 1000;
const decision = await measure(
  () => {
    for (let k = 0; k < BATCH; k++) decisionChecker.checkRequest(cluster, requests[i++ & 3]);
  },
  { durationMs, warmupMs: 300 },
);
const principals = await measure(
  () => {
    for (let k = 0; k < BATCH; k++) decisionChecker.kubernetesPrincipals(cluster);
  },
  { durationMs, warmupMs: 300 },
);
const parse = await measure(
  () => {
    for (let k = 0; k < BATCH; k++)
      parseKubeRequest('GET', '/api/v1/namespaces/team-42/pods/web-0', new URLSearchParams());
  },
  { durationMs, warmupMs: 300 },
);
printTable('Decisions for a user with 50 roles (150 allow rules, 5 deny rules); target <= 5 µs', [
  {
    operation: 'checkRequest (4 mixed requests)',
    'µs/op': decision.meanUs / BATCH,
    'ops/s': decision.perSecond * BATCH,
  },
  {
    operation: 'kubernetesPrincipals',
    'µs/op': principals.meanUs / BATCH,
    'ops/s': principals.perSecond * BATCH,
  },
  { operation: 'parseKubeRequest', 'µs/op': parse.meanUs / BATCH, 'ops/s': parse.perSecond * BATCH },
]);

writeResults('policy', {
  filter: {
    objects: objects.length,
    rules: RULES,
    regexRules,
    kept,
    indexedMs: indexed.meanUs / 1000,
    indexedP99Ms: indexed.p99Us / 1000,
    naiveMs: naive.meanUs / 1000,
    coldFirstListMs: coldMs,
    targetMs: 100,
  },
  decision: {
    roles: decisionRoles.length,
    checkRequestUs: decision.meanUs / BATCH,
    principalsUs: principals.meanUs / BATCH,
    parseKubeRequestUs: parse.meanUs / BATCH,
    targetUs: 5,
  },
});
