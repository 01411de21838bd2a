import http2 from 'node:http2';
import { type CertificateAndKey, KubeApiSimulator } from '@remoteler/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, rawRequest } from './support/https.js';

let sim: KubeApiSimulator;
let admin: CertificateAndKey;
const json = { 'content-type': 'application/json' };

beforeAll(async () => {
  sim = await KubeApiSimulator.start({ seed: true, bookmarkIntervalMs: 50, historyLimit: 20 });
  admin = sim.adminCertificate;
});
afterAll(() => sim.close());

describe('discovery', () => {
  const v2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
  const v2beta1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

  it('answers kubectl 1.30+ with aggregated v2 and the exact Content-Type client-go checks', async () => {
    const answer = await call(sim, '/apis', {
      cert: admin,
      headers: { accept: `${v2},${v2beta1},application/json` },
    });
    expect(answer.headers['content-type']).toBe(v2);
    const body = answer.json();
    expect(body).toMatchObject({ kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2' });
    const apps = body.items.find((g: { metadata: { name: string } }) => g.metadata.name === 'apps');
    expect(apps.versions[0].resources[0]).toMatchObject({
      resource: 'deployments',
      responseKind: { group: 'apps', version: 'v1', kind: 'Deployment' },
      scope: 'Namespaced',
    });
  });

  it('answers kubectl 1.27-1.29 with v2beta1, because they list nothing else', async () => {
    const answer = await call(sim, '/api', {
      cert: admin,
      headers: { accept: `${v2beta1},application/json` },
    });
    expect(answer.headers['content-type']).toBe(v2beta1);
    const body = answer.json();
    expect(body.items).toHaveLength(1);
    expect(body.items[0].metadata.name).toBe('');
    const pods = body.items[0].versions[0].resources.find((r: { resource: string }) => r.resource === 'pods');
    expect(pods.subresources.map((s: { subresource: string }) => s.subresource)).toEqual(
      expect.arrayContaining(['exec', 'attach', 'portforward', 'log']),
    );
  });

  it('answers plain JSON clients with the legacy documents', async () => {
    const api = await call(sim, '/api', { cert: admin, headers: { accept: 'application/json, */*' } });
    expect(api.headers['content-type']).toBe('application/json');
    expect(api.json()).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const core = (await call(sim, '/api/v1', { cert: admin })).json();
    expect(core.resources.map((r: { name: string }) => r.name)).toEqual(
      expect.arrayContaining(['pods', 'pods/exec', 'namespaces']),
    );
    const widgets = (await call(sim, '/apis/example.com/v1', { cert: admin })).json();
    expect(widgets.resources[0]).toMatchObject({ name: 'widgets', kind: 'Widget', namespaced: true });
  });

  it('serves an OpenAPI v3 index whose documents carry the GVK and fieldValidation kubectl looks for', async () => {
    const index = (await call(sim, '/openapi/v3', { cert: admin })).json();
    const url = index.paths['api/v1'].serverRelativeURL as string;
    expect(url).toMatch(/^\/openapi\/v3\/api\/v1\?hash=[0-9A-F]+$/);
    const doc = (await call(sim, url, { cert: admin })).json();
    const patch = doc.paths['/api/v1/namespaces/{namespace}/pods/{name}'].patch;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: '', version: 'v1', kind: 'Pod' });
    expect(patch.parameters.map((p: { name: string }) => p.name)).toContain('fieldValidation');
    expect(doc.components.schemas['io.k8s.api.core.v1.Pod']['x-kubernetes-group-version-kind']).toEqual([
      { group: '', kind: 'Pod', version: 'v1' },
    ]);
  });

  it('reports the configured version on /version', async () => {
    const other = await KubeApiSimulator.start({ version: 'v1.29.4' });
    try {
      const body = (await call(other, '/version', { cert: other.adminCertificate })).json();
      expect(body).toMatchObject({ major: '1', minor: '29', gitVersion: 'v1.29.4' });
    } finally {
      await other.close();
    }
  });
});

describe('resources', () => {
  it('creates with uid, creationTimestamp and a resourceVersion from one global counter', async () => {
    const a = await call(sim, '/api/v1/namespaces/default/configmaps', {
      method: 'POST',
      cert: admin,
      headers: json,
      body: JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'rv-a' },
        data: { x: '1' },
      }),
    });
    const b = await call(sim, '/api/v1/namespaces/default/secrets', {
      method: 'POST',
      cert: admin,
      headers: json,
      body: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'rv-b' },
        stringData: { pw: 'hunter2' },
      }),
    });
    expect(a.status).toBe(201);
    const ma = a.json().metadata;
    expect(ma).toMatchObject({ name: 'rv-a', namespace: 'default' });
    // ConfigMaps have no spec, so their registry keeps no generation.
    expect(ma.generation).toBeUndefined();
    expect(ma.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(ma.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Number(b.json().metadata.resourceVersion)).toBeGreaterThan(Number(ma.resourceVersion));
    expect(b.json().data).toEqual({ pw: Buffer.from('hunter2').toString('base64') });
  });

  it('answers a second create with 409 AlreadyExists and a stale update with 409 Conflict', async () => {
    const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'twice' } });
    await call(sim, '/api/v1/namespaces/default/configmaps', {
      method: 'POST',
      cert: admin,
      headers: json,
      body,
    });
    const again = await call(sim, '/api/v1/namespaces/default/configmaps', {
      method: 'POST',
      cert: admin,
      headers: json,
      body,
    });
    expect(again.status).toBe(409);
    expect(again.json()).toMatchObject({
      reason: 'AlreadyExists',
      message: 'configmaps "twice" already exists',
    });
    const stale = await call(sim, '/api/v1/namespaces/default/configmaps/twice', {
      method: 'PUT',
      cert: admin,
      headers: json,
      body: JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'twice', resourceVersion: '1' },
        data: { a: 'b' },
      }),
    });
    expect(stale.status).toBe(409);
    expect(stale.json().reason).toBe('Conflict');
    expect(stale.json().message).toContain('the object has been modified');
  });

  it('does not store anything for dryRun=All', async () => {
    const answer = await call(sim, '/api/v1/namespaces/default/configmaps?dryRun=All', {
      method: 'POST',
      cert: admin,
      headers: json,
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry' } }),
    });
    expect(answer.status).toBe(201);
    expect(sim.getObject('v1', 'ConfigMap', 'dry')).toBeUndefined();
  });

  it('filters lists by label and field selectors and pages them with limit and continue', async () => {
    const byLabel = (
      await call(sim, '/api/v1/pods?labelSelector=app%20in%20(web,api)', { cert: admin })
    ).json();
    expect(byLabel.items.map((p: { metadata: { name: string } }) => p.metadata.name)).toEqual([
      'web-0',
      'web-1',
      'api-0',
    ]);
    const byField = (
      await call(sim, '/api/v1/namespaces/default/pods?fieldSelector=metadata.name%3Dweb-1', { cert: admin })
    ).json();
    expect(byField.items).toHaveLength(1);
    const first = (await call(sim, '/api/v1/pods?limit=2', { cert: admin })).json();
    expect(first.items).toHaveLength(2);
    expect(first.metadata.continue).toBeTruthy();
    const rest = (
      await call(sim, `/api/v1/pods?limit=2&continue=${first.metadata.continue}`, { cert: admin })
    ).json();
    expect(rest.items).toHaveLength(2);
    expect(rest.metadata.continue).toBeUndefined();
    const names = [...first.items, ...rest.items].map((p: { metadata: { name: string } }) => p.metadata.name);
    expect(new Set(names).size).toBe(4);
  });

  it('renders Tables with includeObject=Object and None', async () => {
    const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';
    const full = (
      await call(sim, '/apis/apps/v1/namespaces/default/deployments?includeObject=Object', {
        cert: admin,
        headers: { accept },
      })
    ).json();
    expect(full.kind).toBe('Table');
    expect(full.columnDefinitions.map((c: { name: string }) => c.name).slice(0, 5)).toEqual([
      'Name',
      'Ready',
      'Up-to-date',
      'Available',
      'Age',
    ]);
    expect(full.rows[0].cells.slice(0, 2)).toEqual(['web', '2/2']);
    expect(full.rows[0].object.kind).toBe('Deployment');
    const none = (
      await call(sim, '/api/v1/namespaces?includeObject=None', { cert: admin, headers: { accept } })
    ).json();
    expect(none.rows[0].object).toBeUndefined();
  });

  it('deletes a whole collection by label', async () => {
    for (const name of ['gc-1', 'gc-2']) {
      sim.createObject({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, namespace: 'default', labels: { sweep: 'yes' } },
      });
    }
    const answer = await call(sim, '/api/v1/namespaces/default/configmaps?labelSelector=sweep%3Dyes', {
      method: 'DELETE',
      cert: admin,
    });
    expect(answer.status).toBe(200);
    expect(answer.json().items).toHaveLength(2);
    expect(sim.listObjects('v1', 'ConfigMap', 'default').some((c) => c.metadata?.labels?.sweep)).toBe(false);
  });

  it('serves the custom resource widgets.example.com but refuses strategic merge patches for it', async () => {
    const created = await call(sim, '/apis/example.com/v1/namespaces/default/widgets', {
      method: 'POST',
      cert: admin,
      headers: json,
      body: JSON.stringify({
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: 'w1' },
        spec: { size: 3 },
      }),
    });
    expect(created.status).toBe(201);
    const smp = await call(sim, '/apis/example.com/v1/namespaces/default/widgets/w1', {
      method: 'PATCH',
      cert: admin,
      headers: { 'content-type': 'application/strategic-merge-patch+json' },
      body: '{"spec":{"size":4}}',
    });
    expect(smp.status).toBe(415);
    expect(smp.json().reason).toBe('UnsupportedMediaType');
    const merge = await call(sim, '/apis/example.com/v1/namespaces/default/widgets/w1', {
      method: 'PATCH',
      cert: admin,
      headers: { 'content-type': 'application/merge-patch+json' },
      body: '{"spec":{"size":4}}',
    });
    expect(merge.json().spec.size).toBe(4);
    expect(merge.json().metadata.generation).toBe(2);
  });
});

describe('bad input', () => {
  it('answers a malformed JSON body with 400 BadRequest', async () => {
    const answer = await call(sim, '/api/v1/namespaces/default/configmaps', {
      method: 'POST',
      cert: admin,
      headers: json,
      body: '{"kind": ',
    });
    expect(answer.status).toBe(400);
    expect(answer.json()).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });
    expect(answer.json().message).toContain('json parse error');
  });

  it('answers a body above the size limit with 413', async () => {
    const small = await KubeApiSimulator.start({ maxBodyBytes: 1024 });
    try {
      const answer = await call(small, '/api/v1/namespaces/default/configmaps', {
        method: 'POST',
        cert: small.adminCertificate,
        headers: json,
        body: JSON.stringify({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'big' },
          data: { x: 'y'.repeat(4096) },
        }),
      });
      expect(answer.status).toBe(413);
      expect(answer.json().reason).toBe('RequestEntityTooLarge');
    } finally {
      await small.close();
    }
  });

  it('answers an unknown resource type with 404 NotFound', async () => {
    const answer = await call(sim, '/apis/example.com/v1/namespaces/default/gadgets', { cert: admin });
    expect(answer.status).toBe(404);
    expect(answer.json()).toMatchObject({
      reason: 'NotFound',
      message: 'the server could not find the requested resource',
    });
  });

  it('answers a body whose kind does not match the URL with 400', async () => {
    const answer = await call(sim, '/api/v1/namespaces/default/configmaps', {
      method: 'POST',
      cert: admin,
      headers: json,
      body: JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } }),
    });
    expect(answer.status).toBe(400);
  });

  it('answers an invalid pod with 422 Invalid and field causes', async () => {
    const answer = await call(sim, '/api/v1/namespaces/default/pods', {
      method: 'POST',
      cert: admin,
      headers: json,
      body: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'Bad_Name' },
        spec: { containers: [] },
      }),
    });
    expect(answer.status).toBe(422);
    const body = answer.json();
    expect(body.reason).toBe('Invalid');
    expect(body.details.causes.map((c: { field: string }) => c.field)).toEqual([
      'metadata.name',
      'spec.containers',
    ]);
  });

  it('answers bad label and field selectors with 400', async () => {
    const label = await call(sim, '/api/v1/pods?labelSelector=a%20b%20c', { cert: admin });
    expect(label.status).toBe(400);
    expect(label.json().message).toContain('unable to parse requirement');
    const field = await call(sim, '/api/v1/pods?fieldSelector=spec.color%3Dred', { cert: admin });
    expect(field.status).toBe(400);
    expect(field.json().message).toBe('field label not supported: spec.color');
  });

  it('answers an unsupported patch type with 415 and the accepted list', async () => {
    const answer = await call(sim, '/api/v1/namespaces/default/configmaps/settings', {
      method: 'PATCH',
      cert: admin,
      headers: { 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(answer.status).toBe(415);
    expect(answer.json().message).toContain('application/strategic-merge-patch+json');
  });

  it('answers a create in a missing namespace with 404 for the namespace', async () => {
    const answer = await call(sim, '/api/v1/namespaces/nowhere/configmaps', {
      method: 'POST',
      cert: admin,
      headers: json,
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }),
    });
    expect(answer.status).toBe(404);
    expect(answer.json().message).toBe('namespaces "nowhere" not found');
  });
});

describe('impersonation', () => {
  it("answers Impersonate-Group without Impersonate-User with the API server's plain-text 500", async () => {
    const answer = await call(sim, '/api/v1/namespaces/default/pods', {
      cert: admin,
      headers: { 'Impersonate-Group': 'devs' },
    });
    expect(answer.status).toBe(500);
    expect(answer.headers['content-type']).toContain('text/plain');
    expect(answer.text).toBe(
      'Internal Server Error: "/api/v1/namespaces/default/pods": requested [{Group  devs  }] without impersonating a user',
    );
  });

  it('decodes Impersonate-Extra keys (lower-cased, percent-decoded) and repeated groups', async () => {
    sim.clearRequests();
    const answer = await call(sim, '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      method: 'POST',
      cert: admin,
      headers: {
        ...json,
        'Impersonate-User': 'alice',
        'Impersonate-Uid': '42',
        'Impersonate-Group': ['devs', 'ops'],
        'Impersonate-Extra-Example.com%2fteam': ['a', 'b c'],
      },
      body: '{}',
    });
    expect(answer.json().status.userInfo).toEqual({
      username: 'alice',
      uid: '42',
      groups: ['devs', 'ops', 'system:authenticated'],
      extra: { 'example.com/team': ['a', 'b c'] },
    });
    const seen = sim.requests.at(-1)!;
    expect(seen.authenticatedUser).toMatchObject({
      name: 'kubernetes-admin',
      groups: ['system:masters', 'system:authenticated'],
    });
    expect(seen.user?.name).toBe('alice');
  });

  it('reads impersonation header values as UTF-8 bytes, as Go does', async () => {
    // Written as raw bytes: the header carries the UTF-8 encoding of the names, as kubectl sends it.
    const text = await rawRequest(
      sim,
      [
        'POST /apis/authentication.k8s.io/v1/selfsubjectreviews HTTP/1.1',
        'Host: 127.0.0.1',
        'Connection: close',
        'Content-Type: application/json',
        'Content-Length: 2',
        'Impersonate-User: José',
        'Impersonate-Group: équipe',
        '',
        '{}',
      ],
      admin,
    );
    const body = JSON.parse(Buffer.from(text.slice(text.indexOf('\r\n\r\n') + 4), 'latin1').toString('utf8'));
    expect(body.status.userInfo).toMatchObject({
      username: 'José',
      groups: ['équipe', 'system:authenticated'],
    });
  });

  it('checks every impersonated item: an unpermitted extra is a 403 naming userextras/<key>', async () => {
    sim.createObject({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'imp-user-only' },
      rules: [{ apiGroups: [''], resources: ['users'], verbs: ['impersonate'] }],
    });
    sim.createObject({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'imp-user-only' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'imp-user-only' },
      subjects: [{ kind: 'User', name: 'paula' }],
    });
    const paula = await sim.issueClientCertificate('paula');
    const answer = await call(sim, '/api/v1/namespaces/default/pods', {
      cert: paula,
      headers: { 'Impersonate-User': 'bob', 'Impersonate-Extra-Scopes': 'view' },
    });
    expect(answer.status).toBe(403);
    expect(answer.json().message).toBe(
      'userextras.authentication.k8s.io "view" is forbidden: User "paula" cannot impersonate resource "userextras/scopes" in API group "authentication.k8s.io" at the cluster scope',
    );
    const sa = await call(sim, '/api/v1/namespaces/default/pods', {
      cert: paula,
      headers: { 'Impersonate-User': 'system:serviceaccount:team-a:builder' },
    });
    expect(sa.status).toBe(403);
    expect(sa.json().message).toContain(
      'cannot impersonate resource "serviceaccounts" in API group "" in the namespace "team-a"',
    );
  });

  it('authorizes as the impersonated user: what bob may not do is a 403 even for an admin caller', async () => {
    const answer = await call(sim, '/api/v1/namespaces/default/secrets', {
      cert: admin,
      headers: { 'Impersonate-User': 'bob' },
    });
    expect(answer.status).toBe(403);
    expect(answer.json().message).toBe(
      'secrets is forbidden: User "bob" cannot list resource "secrets" in API group "" in the namespace "default"',
    );
  });
});

describe('watch', () => {
  interface Event {
    type: string;
    object: {
      metadata: { name?: string; resourceVersion: string; annotations?: Record<string, string> };
      kind?: string;
      code?: number;
      reason?: string;
    };
  }

  /** Opens a watch over HTTP/2 and collects its events. */
  function openWatch(path: string, headers: Record<string, string> = {}) {
    const session = http2.connect(sim.url, { ca: sim.caPem, cert: admin.certPem, key: admin.keyPem });
    const stream = session.request({ ':path': path, ...headers });
    const events: Event[] = [];
    const waiters = new Set<() => void>();
    let buffer = '';
    let ended = false;
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffer += chunk;
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        events.push(JSON.parse(buffer.slice(0, nl)));
        buffer = buffer.slice(nl + 1);
        nl = buffer.indexOf('\n');
      }
      for (const w of [...waiters]) w();
    });
    stream.on('end', () => {
      ended = true;
      for (const w of [...waiters]) w();
    });
    return {
      events,
      get ended() {
        return ended;
      },
      until(predicate: (events: Event[]) => boolean): Promise<void> {
        return new Promise((resolve) => {
          const check = () => {
            if (predicate(events) || ended) {
              waiters.delete(check);
              resolve();
            }
          };
          waiters.add(check);
          check();
        });
      },
      close() {
        stream.close();
        session.close();
      },
    };
  }

  it('streams events after a resourceVersion, selector-filtered, to many concurrent watchers', async () => {
    const rv = sim.resourceVersion;
    const watchers = Array.from({ length: 8 }, () =>
      openWatch(
        `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}&labelSelector=team%3Dblue`,
      ),
    );
    try {
      const watching = () =>
        sim.requests.filter((r) => r.verb === 'watch' && r.query.labelSelector?.[0] === 'team=blue');
      await sim.waitForRequest(() => watching().length >= watchers.length);
      sim.createObject({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'red', namespace: 'default', labels: { team: 'red' } },
      });
      sim.createObject({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'blue', namespace: 'default', labels: { team: 'blue' } },
      });
      sim.deleteObject('v1', 'ConfigMap', 'blue');
      await Promise.all(watchers.map((w) => w.until((e) => e.length >= 2)));
      for (const w of watchers) {
        expect(w.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual([
          'ADDED blue',
          'DELETED blue',
        ]);
      }
    } finally {
      for (const w of watchers) w.close();
    }
  });

  it('reports an object entering a watched selector as ADDED and leaving it as DELETED', async () => {
    sim.createObject({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'mover', namespace: 'default', labels: { stage: 'a' } },
    });
    const w = openWatch(
      `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${sim.resourceVersion}&labelSelector=stage%3Db`,
    );
    try {
      await sim.waitForRequest((r) => r.verb === 'watch' && r.query.labelSelector?.[0] === 'stage=b');
      const relabel = (stage: string) => {
        const current = sim.getObject('v1', 'ConfigMap', 'mover')!;
        sim.replaceObject({ ...current, metadata: { ...current.metadata, labels: { stage } } });
      };
      relabel('b');
      relabel('b');
      relabel('c');
      await w.until((e) => e.length >= 3);
      expect(w.events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    } finally {
      w.close();
    }
  });

  it('multiplexes many watches over one HTTP/2 connection', async () => {
    const session = http2.connect(sim.url, { ca: sim.caPem, cert: admin.certPem, key: admin.keyPem });
    const rv = sim.resourceVersion;
    const streams = Array.from({ length: 20 }, () => {
      const stream = session.request({
        ':path': `/api/v1/namespaces/team-a/configmaps?watch=true&resourceVersion=${rv}`,
      });
      stream.setEncoding('utf8');
      let text = '';
      const received = new Promise<string>((resolve) => {
        stream.on('data', (chunk: string) => {
          text += chunk;
          if (text.includes('\n')) resolve(text);
        });
      });
      return { stream, received };
    });
    try {
      await sim.waitForRequest(
        () =>
          sim.requests.filter((r) => r.verb === 'watch' && r.path === '/api/v1/namespaces/team-a/configmaps')
            .length >= 20,
      );
      sim.createObject({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'fan-out', namespace: 'team-a' },
      });
      const events = await Promise.all(streams.map((s) => s.received));
      for (const e of events)
        expect(JSON.parse(e.trim())).toMatchObject({
          type: 'ADDED',
          object: { metadata: { name: 'fan-out' } },
        });
    } finally {
      for (const s of streams) s.stream.close();
      session.close();
    }
  });

  it('sends bookmarks only when asked, and the initial-events-end bookmark for sendInitialEvents', async () => {
    const w = openWatch(
      '/api/v1/namespaces/default/pods?watch=true&allowWatchBookmarks=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan',
    );
    try {
      await w.until((e) => e.filter((x) => x.type === 'BOOKMARK').length >= 2);
      const initialEnd = w.events.findIndex((e) => e.type === 'BOOKMARK');
      expect(w.events.slice(0, initialEnd).map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual([
        'ADDED web-0',
        'ADDED web-1',
      ]);
      expect(w.events[initialEnd]!.object.metadata.annotations).toEqual({
        'k8s.io/initial-events-end': 'true',
      });
      expect(w.events[initialEnd]!.object.kind).toBe('Pod');
    } finally {
      w.close();
    }
  });

  it('answers a compacted resourceVersion with an ERROR event carrying a 410 Expired Status', async () => {
    const old = sim.resourceVersion;
    sim.createObject({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'bump', namespace: 'default' },
    });
    sim.compactHistory();
    const w = openWatch(`/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${old}`);
    try {
      await w.until(() => w.ended);
      expect(w.events).toEqual([
        {
          type: 'ERROR',
          object: expect.objectContaining({
            kind: 'Status',
            code: 410,
            reason: 'Expired',
            message: expect.stringMatching(/^too old resource version: \d+ \(\d+\)$/),
          }),
        },
      ]);
    } finally {
      w.close();
    }
  });

  it('ends open watches cleanly on close()', async () => {
    const other = await KubeApiSimulator.start();
    const session = http2.connect(other.url, {
      ca: other.caPem,
      cert: other.adminCertificate.certPem,
      key: other.adminCertificate.keyPem,
    });
    session.on('error', () => {});
    const stream = session.request({ ':path': '/api/v1/namespaces/default/pods?watch=true' });
    stream.on('error', () => {});
    stream.resume();
    await other.waitForRequest((r) => r.verb === 'watch');
    const finished = new Promise((resolve) => stream.once('close', resolve));
    await other.close();
    await finished;
    session.destroy();
  });

  it('serves the same API over HTTP/1.1 with chunked watch framing', async () => {
    const answer = await call(sim, '/api/v1/namespaces/default/pods?watch=true&timeoutSeconds=1', {
      cert: admin,
    });
    expect(answer.headers['transfer-encoding']).toBe('chunked');
    expect(answer.status).toBe(200);
    expect(
      answer.text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).type),
    ).toEqual(['ADDED', 'ADDED']);
  });
});

describe('pods/log', () => {
  beforeAll(() => {
    sim.createObject({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'two-containers', namespace: 'default' },
      spec: {
        containers: [
          { name: 'main', image: 'a:1' },
          { name: 'sidecar', image: 'b:1' },
        ],
      },
    });
    sim.appendLog('default', 'two-containers', 'main', 'one\ntwo\nthree\n');
  });

  it('asks for a container name when the pod has several, as the API server does', async () => {
    const answer = await call(sim, '/api/v1/namespaces/default/pods/two-containers/log', { cert: admin });
    expect(answer.status).toBe(400);
    expect(answer.json().message).toBe(
      'a container name must be specified for pod two-containers, choose one of: [main sidecar]',
    );
    const unknown = await call(sim, '/api/v1/namespaces/default/pods/two-containers/log?container=nope', {
      cert: admin,
    });
    expect(unknown.json().message).toBe('container nope is not valid for pod two-containers');
  });

  it("returns the tail of one container's log as text", async () => {
    const answer = await call(
      sim,
      '/api/v1/namespaces/default/pods/two-containers/log?container=main&tailLines=2',
      { cert: admin },
    );
    expect(answer.headers['content-type']).toBe('text/plain');
    expect(answer.text).toBe('two\nthree\n');
  });

  it('ends a follow stream when the pod is deleted', async () => {
    sim.createObject({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'short-lived', namespace: 'default' },
      spec: { containers: [{ name: 'c', image: 'x' }] },
    });
    const pending = call(sim, '/api/v1/namespaces/default/pods/short-lived/log?follow=true', { cert: admin });
    await sim.waitForRequest((r) => r.path === '/api/v1/namespaces/default/pods/short-lived/log');
    sim.appendLog('default', 'short-lived', 'c', 'bye\n');
    const deleted = await call(sim, '/api/v1/namespaces/default/pods/short-lived', {
      method: 'DELETE',
      cert: admin,
    });
    expect(deleted.json()).toMatchObject({
      kind: 'Status',
      status: 'Success',
      details: { name: 'short-lived', kind: 'pods' },
    });
    const answer = await pending;
    expect(answer.text).toBe('bye\n');
  });
});
