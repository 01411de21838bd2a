import { groupVersion, RESOURCE_TYPES, type ResourceType, servedGroupVersions } from './resource-types.js';

/** Which discovery document format to serve, from the Accept header (k8s-protocols §1.2). */
export type DiscoveryFormat = 'v2' | 'v2beta1' | 'legacy';

/** The Content-Type that tells client-go a body is aggregated discovery (§1.2, `ContentTypeIsGVK`). */
export function discoveryContentType(format: DiscoveryFormat): string {
  return format === 'legacy'
    ? 'application/json'
    : `application/json;g=apidiscovery.k8s.io;v=${format};as=APIGroupDiscoveryList`;
}

/**
 * Picks the first acceptable format in the client's order: kubectl 1.27–1.29 list only v2beta1,
 * 1.30+ list v2 then v2beta1, then plain JSON (legacy). Answering a format the client did not list
 * makes 1.27 read nothing and fail with "the server doesn't have a resource type".
 */
export function negotiateDiscovery(accept: string | undefined): DiscoveryFormat {
  for (const range of (accept ?? '').split(',')) {
    const [type = '', ...params] = range.split(';').map((p) => p.trim());
    const p = Object.fromEntries(params.map((x) => x.split('=').map((s) => s.trim()) as [string, string]));
    if (type === 'application/json' && p.g === 'apidiscovery.k8s.io' && p.as === 'APIGroupDiscoveryList') {
      if (p.v === 'v2' || p.v === 'v2beta1') return p.v;
      continue;
    }
    if (type === 'application/json' || type === '*/*' || type === 'application/*') return 'legacy';
  }
  return 'legacy';
}

function aggregatedResource(t: ResourceType) {
  return {
    resource: t.resource,
    responseKind: { group: t.group, version: t.version, kind: t.kind },
    scope: t.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: t.singular,
    verbs: t.verbs,
    ...(t.shortNames ? { shortNames: t.shortNames } : {}),
    ...(t.categories ? { categories: t.categories } : {}),
    ...(t.subresources
      ? {
          subresources: t.subresources.map((s) => ({
            subresource: s.name,
            responseKind: { group: t.group, version: t.version, kind: s.kind },
            verbs: s.verbs,
          })),
        }
      : {}),
  };
}

/** `/api` (core) or `/apis` (named groups) as an `APIGroupDiscoveryList`. */
export function aggregatedDiscovery(format: 'v2' | 'v2beta1', core: boolean) {
  const groups = servedGroupVersions().filter((g) => (g.group === '') === core);
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${format}`,
    metadata: {},
    items: groups.map((g) => ({
      metadata: { name: g.group, creationTimestamp: null },
      versions: g.versions.map((version) => ({
        version,
        resources: RESOURCE_TYPES.filter((t) => t.group === g.group && t.version === version).map(
          aggregatedResource,
        ),
        freshness: 'Current',
      })),
    })),
  };
}

/** Legacy `/api`: `APIVersions`. */
export function legacyApiVersions(serverAddress: string) {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

/** Legacy `/apis`: `APIGroupList`. */
export function legacyApiGroupList() {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: servedGroupVersions()
      .filter((g) => g.group !== '')
      .map((g) => legacyApiGroup(g.group, g.versions)),
  };
}

/** Legacy `/apis/<group>`: `APIGroup`. */
export function legacyApiGroup(group: string, versions: readonly string[]) {
  const list = versions.map((version) => ({ groupVersion: `${group}/${version}`, version }));
  return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions: list, preferredVersion: list[0] };
}

/** Legacy `/api/v1` and `/apis/<g>/<v>`: `APIResourceList`, subresources named `pods/exec`. */
export function legacyResourceList(group: string, version: string) {
  const types = RESOURCE_TYPES.filter((t) => t.group === group && t.version === version);
  if (types.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: groupVersion({ group, version }),
    resources: types.flatMap((t) => [
      {
        name: t.resource,
        singularName: t.singular,
        namespaced: t.namespaced,
        kind: t.kind,
        verbs: t.verbs,
        ...(t.shortNames ? { shortNames: t.shortNames } : {}),
        ...(t.categories ? { categories: t.categories } : {}),
      },
      ...(t.subresources ?? []).map((s) => ({
        name: `${t.resource}/${s.name}`,
        singularName: '',
        namespaced: t.namespaced,
        kind: s.kind,
        verbs: s.verbs,
      })),
    ]),
  };
}
