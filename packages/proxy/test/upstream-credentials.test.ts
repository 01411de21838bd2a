import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RemotelerError } from '@remoteler/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveUpstream, TokenFileSource, type UpstreamCredentials } from '../src/index.js';
import { proxyRequest } from './support/proxy-client.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { type RecordingUpstream, startRecordingUpstream } from './support/recording-upstream.js';
import { createTestPki, type Pem, type TestPki } from './support/test-pki.js';

let pki: TestPki;
let fixture: ProxyFixture;
let alice: Pem;
let dir: string;
let mtlsUpstream: RecordingUpstream;
const errors: unknown[] = [];

beforeAll(async () => {
  pki = await createTestPki();
  alice = await pki.user('alice');
  dir = join(pki.dir, 'upstream-credentials');
  await mkdir(dir);
  // An API server that accepts only client certificates from its own CA.
  mtlsUpstream = await startRecordingUpstream({ ...pki.apiServer, ca: pki.clusterCa.cert });
  fixture = await startProxyFixture(pki, {
    clusters: ['plain'],
    proxy: { onError: (error) => errors.push(error) },
  });
});

afterAll(async () => {
  await fixture?.close();
  await mtlsUpstream?.close();
  await pki?.dispose();
});

async function expectConfigError(credentials: UpstreamCredentials, field: string): Promise<void> {
  const error = await resolveUpstream(credentials).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(RemotelerError.hasCode(error, 'RMT_PROXY_UPSTREAM_CONFIG_INVALID'), String(error)).toBe(true);
  expect(JSON.stringify((error as RemotelerError).details)).toContain(field);
}

const kubeconfig = (cluster: string, user: string, extra = '') => `apiVersion: v1
kind: Config
current-context: main
contexts:
- name: main
  context: { cluster: c, user: u }
- name: other
  context: { cluster: c, user: u2 }
clusters:
- name: c
  cluster:
${cluster}
users:
- name: u
  user:
${user}
- name: u2
  user:
    token: other-token
${extra}`;

describe('upstream credentials', () => {
  it('reads server, CA file (relative to the kubeconfig) and token from the current context of a kubeconfig', async () => {
    const upstream = fixture.upstreams.plain!;
    await writeFile(join(dir, 'ca.crt'), pki.clusterCa.cert);
    await writeFile(
      join(dir, 'kc.yaml'),
      kubeconfig(
        `    server: ${upstream.url}\n    certificate-authority: ca.crt`,
        '    token: kubeconfig-token',
      ),
    );
    fixture.clusters.add({
      name: 'kc',
      labels: {},
      upstream: { kind: 'kubeconfig', path: join(dir, 'kc.yaml') },
    });
    const res = await proxyRequest(fixture.url, '/k8s/kc/version', pki.proxyTrust, { identity: alice });
    expect(res.status).toBe(200);
    expect(upstream.requests.at(-1)!.header('authorization')).toEqual(['Bearer kubeconfig-token']);
  });

  it('uses the named context and an inline client certificate against an API server that requires one', async () => {
    const client = await pki.clusterCa.issue({
      subject: '/CN=remoteler-proxy/O=system:masters',
      usage: 'client',
    });
    const b64 = (pem: string) => Buffer.from(pem).toString('base64');
    await writeFile(
      join(dir, 'kc-cert.yaml'),
      kubeconfig(
        `    server: ${mtlsUpstream.url}\n    certificate-authority-data: ${b64(pki.clusterCa.cert)}`,
        '    token: unused',
        `- name: cert-user\n  user:\n    client-certificate-data: ${b64(client.cert)}\n    client-key-data: ${b64(client.key)}\ncontexts2: []\n`,
      ).replace('context: { cluster: c, user: u2 }', 'context: { cluster: c, user: cert-user }'),
    );
    fixture.clusters.add({
      name: 'kc-cert',
      labels: {},
      upstream: { kind: 'kubeconfig', path: join(dir, 'kc-cert.yaml'), context: 'other' },
    });
    const res = await proxyRequest(fixture.url, '/k8s/kc-cert/api', pki.proxyTrust, { identity: alice });
    expect(res.status).toBe(200);
    const seen = mtlsUpstream.requests.at(-1)!;
    expect(seen.header('authorization')).toEqual([]);
    expect(seen.header('impersonate-user')).toEqual(['alice']);
  });

  it('re-reads a rotated service-account token file', async () => {
    const upstream = fixture.upstreams.plain!;
    await writeFile(join(dir, 'sa-ca.crt'), pki.clusterCa.cert);
    await writeFile(join(dir, 'token'), 'token-one\n');
    fixture.clusters.add({
      name: 'sa',
      labels: {},
      upstream: {
        kind: 'service-account',
        server: upstream.url,
        tokenFile: join(dir, 'token'),
        caFile: join(dir, 'sa-ca.crt'),
        tokenRefreshMs: 0,
      },
    });
    expect((await proxyRequest(fixture.url, '/k8s/sa/api', pki.proxyTrust, { identity: alice })).status).toBe(
      200,
    );
    expect(upstream.requests.at(-1)!.header('authorization')).toEqual(['Bearer token-one']);
    await writeFile(join(dir, 'token'), 'token-two\n');
    expect((await proxyRequest(fixture.url, '/k8s/sa/api', pki.proxyTrust, { identity: alice })).status).toBe(
      200,
    );
    expect(upstream.requests.at(-1)!.header('authorization')).toEqual(['Bearer token-two']);
  });

  it('keeps a token for its refresh interval and keeps the last good one while the file is briefly missing', async () => {
    const file = join(dir, 'cached-token');
    await writeFile(file, 'first');
    let now = 0;
    const source = new TokenFileSource(file, { refreshMs: 60_000, now: () => now });
    expect(await source.token()).toBe('first');
    await writeFile(file, 'second');
    now = 59_999;
    expect(await source.token()).toBe('first');
    now = 60_000;
    expect(await source.token()).toBe('second');
    await rm(file);
    now = 200_000;
    expect(await source.token()).toBe('second');
    const missing = new TokenFileSource(join(dir, 'never-written'));
    await expect(missing.token()).rejects.toMatchObject({
      code: 'RMT_PROXY_UPSTREAM_CREDENTIALS_UNAVAILABLE',
    });
  });

  it('finds the in-cluster API server from KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT', async () => {
    await writeFile(join(dir, 'env-token'), 'env-token');
    const resolved = await resolveUpstream(
      { kind: 'service-account', tokenFile: join(dir, 'env-token'), caFile: join(dir, 'sa-ca.crt') },
      { env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' } },
    );
    expect(resolved.origin).toBe('https://[fd00::1]');
    expect(await resolved.authorization()).toBe('Bearer env-token');
    await expectConfigError({ kind: 'service-account', caFile: join(dir, 'sa-ca.crt') }, 'server');
  });

  it('refuses upstream settings that would weaken TLS, run code or send credentials in clear', async () => {
    await expectConfigError({ kind: 'token', server: 'http://127.0.0.1:6443', token: 't' }, 'server');
    await expectConfigError({ kind: 'token', server: 'https://127.0.0.1:6443', token: '' }, 'token');
    await expectConfigError(
      { kind: 'token', server: 'https://127.0.0.1:6443', token: 'abc\r\nImpersonate-User: system:admin' },
      'token',
    );
    const cases: [string, string, string][] = [
      [
        '    server: https://127.0.0.1:6443\n    insecure-skip-tls-verify: true',
        '    token: t',
        'insecure-skip-tls-verify',
      ],
      [
        '    server: https://127.0.0.1:6443',
        '    exec: { command: aws, apiVersion: client.authentication.k8s.io/v1 }',
        'user.exec',
      ],
      ['    server: https://127.0.0.1:6443', '    auth-provider: { name: gcp }', 'user.auth-provider'],
      ['    server: https://127.0.0.1:6443', '    username: admin\n    password: secret', 'user.username'],
      [
        '    server: https://127.0.0.1:6443',
        '    client-certificate: missing.crt\n    client-key: missing.key',
        'client-certificate',
      ],
      ['    certificate-authority: ca.crt', '    token: t', 'cluster.server'],
    ];
    for (const [cluster, user, field] of cases) {
      await writeFile(join(dir, 'bad.yaml'), kubeconfig(cluster, user));
      await expectConfigError({ kind: 'kubeconfig', path: join(dir, 'bad.yaml') }, field);
    }
    await writeFile(join(dir, 'bad.yaml'), kubeconfig('    server: https://127.0.0.1:6443', '    token: t'));
    await expectConfigError(
      { kind: 'kubeconfig', path: join(dir, 'bad.yaml'), context: 'nope' },
      'contexts[nope]',
    );
  });

  it('answers 503 when a cluster’s upstream settings are broken, and reports the cause to the host', async () => {
    errors.length = 0;
    fixture.clusters.add({
      name: 'broken',
      labels: {},
      upstream: { kind: 'kubeconfig', path: join(dir, 'nowhere.yaml') },
    });
    const res = await proxyRequest(fixture.url, '/k8s/broken/api', pki.proxyTrust, { identity: alice });
    expect(res.status).toBe(503);
    expect(res.json().message).toContain('RMT_PROXY_UPSTREAM_UNAVAILABLE');
    expect(res.text).not.toContain('nowhere.yaml');
    expect(
      errors.some((e) => RemotelerError.hasCode((e as Error).cause, 'RMT_PROXY_UPSTREAM_CONFIG_INVALID')),
    ).toBe(true);

    fixture.clusters.add({
      name: 'no-token',
      labels: {},
      upstream: {
        kind: 'service-account',
        server: 'https://127.0.0.1:1',
        tokenFile: join(dir, 'absent'),
        caFile: join(dir, 'sa-ca.crt'),
      },
    });
    const noToken = await proxyRequest(fixture.url, '/k8s/no-token/api', pki.proxyTrust, { identity: alice });
    expect(noToken.status).toBe(503);
    expect(noToken.json().message).toContain('RMT_PROXY_UPSTREAM_CREDENTIALS_UNAVAILABLE');
  });
});
