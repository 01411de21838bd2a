import {
  isLockInForce,
  type Lock,
  lockApplies,
  parseKubeCluster,
  parseLock,
  parseUser,
  RemotelerError,
} from '@remoteler/core';
import { describe, expect, it } from 'vitest';

function problems(action: () => unknown): Array<{ path: string; message: string }> {
  try {
    action();
  } catch (error) {
    expect(RemotelerError.hasCode(error, 'RMT_RESOURCE_INVALID')).toBe(true);
    return (error as RemotelerError).details?.problems as Array<{ path: string; message: string }>;
  }
  throw new Error('expected the resource to be refused');
}

describe('user resources', () => {
  it('fill in the documented defaults', () => {
    expect(parseUser({ kind: 'user', version: 'v1', metadata: { name: 'zoë' }, spec: {} })).toEqual({
      kind: 'user',
      version: 'v1',
      metadata: { name: 'zoë' },
      spec: { type: 'local', roles: [], traits: {}, status: { state: 'active' } },
    });
  });

  it('report every problem with its path', () => {
    const found = problems(() =>
      parseUser({
        kind: 'user',
        version: 'v2',
        metadata: { name: 'bad\nname', colour: 'blue' },
        spec: { type: 'robot', roles: ['ok', 7], created_at: 'yesterday' },
      }),
    );
    expect(found.map((problem) => problem.path).sort()).toEqual(
      ['version', 'metadata.name', 'metadata.colour', 'spec.type', 'spec.roles[1]', 'spec.created_at'].sort(),
    );
  });
});

describe('kube_cluster resources', () => {
  const cluster = (upstream: unknown) => ({
    kind: 'kube_cluster',
    version: 'v1',
    metadata: { name: 'prod-eu', labels: { env: 'production' } },
    spec: { upstream },
  });

  it('accept each kind of upstream reference', () => {
    for (const upstream of [
      { type: 'kubeconfig', kubeconfig: { file: '/etc/kube/config' }, context: 'prod' },
      { type: 'in_cluster' },
      { type: 'token', server: 'https://10.0.0.1:6443', token: { secret: 'prod-sa', key: 'token' } },
      {
        type: 'client_certificate',
        server: 'https://10.0.0.1:6443',
        certificate: { file: '/etc/kube/client.crt' },
        key: { file: '/etc/kube/client.key' },
        certificate_authority: { file: '/etc/kube/ca.crt' },
        tls_server_name: 'kubernetes.default',
      },
    ])
      expect(parseKubeCluster(cluster(upstream)).spec.upstream).toEqual(upstream);
  });

  it('refuse a secret written inline, without echoing it', () => {
    let error: unknown;
    try {
      parseKubeCluster(cluster({ type: 'token', server: 'https://10.0.0.1', token: 'eyJhbGciOi-secret' }));
    } catch (caught) {
      error = caught;
    }
    expect(RemotelerError.hasCode(error, 'RMT_RESOURCE_INVALID')).toBe(true);
    expect((error as RemotelerError).message).toContain('spec.upstream.token');
    expect((error as RemotelerError).message).toContain('never put the secret itself');
    expect(JSON.stringify((error as RemotelerError).toJSON())).not.toContain('eyJhbGciOi-secret');
  });

  it('refuse plain-HTTP servers and URLs with credentials', () => {
    for (const server of ['http://10.0.0.1:6443', 'https://admin:pw@10.0.0.1', 'not a url'])
      expect(
        problems(() => parseKubeCluster(cluster({ type: 'token', server, token: { file: '/t' } }))),
      ).toEqual([expect.objectContaining({ path: 'spec.upstream.server' })]);
  });

  it('refuse an unknown upstream type and options that skip TLS verification', () => {
    expect(problems(() => parseKubeCluster(cluster({ type: 'magic' })))[0]?.path).toBe('spec.upstream.type');
    expect(
      problems(() =>
        parseKubeCluster(
          cluster({
            type: 'token',
            server: 'https://a',
            token: { file: '/t' },
            insecure_skip_tls_verify: true,
          }),
        ),
      )[0],
    ).toEqual({ path: 'spec.upstream.insecure_skip_tls_verify', message: 'unknown field' });
  });

  it('refuse names that cannot be a route segment', () => {
    for (const name of ['', 'a/b', '..', 'tab\there'])
      expect(
        problems(() => parseKubeCluster({ ...cluster({ type: 'in_cluster' }), metadata: { name } }))[0]?.path,
      ).toBe('metadata.name');
  });
});

describe('locks', () => {
  const lock = (target: unknown, expires?: string): Lock =>
    parseLock({
      kind: 'lock',
      version: 'v1',
      metadata: { name: 'l-1' },
      spec: { target, message: 'incident 42', ...(expires ? { expires } : {}) },
    });

  it('target exactly one of user, role or cluster', () => {
    expect(problems(() => lock({ user: 'a', role: 'b' }))[0]?.message).toContain('exactly one');
    expect(problems(() => lock({}))[0]?.path).toBe('spec.target');
  });

  it('apply to the targeted user, role holder or cluster while in force', () => {
    const subject = { user: 'alice', roles: ['dev'], cluster: 'prod' };
    expect(lockApplies(lock({ user: 'alice' }), subject, 0)).toBe(true);
    expect(lockApplies(lock({ user: 'bob' }), subject, 0)).toBe(false);
    expect(lockApplies(lock({ role: 'dev' }), subject, 0)).toBe(true);
    expect(lockApplies(lock({ cluster: 'prod' }), subject, 0)).toBe(true);
    expect(lockApplies(lock({ cluster: 'prod' }), { user: 'alice', roles: [] }, 0)).toBe(false);
  });

  it('stop applying at their expiry', () => {
    const expiring = lock({ user: 'alice' }, '2026-01-01T00:00:00Z');
    const expiry = Date.parse('2026-01-01T00:00:00Z');
    expect(isLockInForce(expiring, expiry - 1)).toBe(true);
    expect(isLockInForce(expiring, expiry)).toBe(false);
    expect(isLockInForce(lock({ user: 'alice' }), Number.MAX_SAFE_INTEGER)).toBe(true);
  });
});
