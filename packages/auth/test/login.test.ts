import { X509Certificate } from 'node:crypto';
import { decodeUserIdentity } from '@remoteler/ca';
import { expectRemotelerError } from '@remoteler/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HOUR, keyPair, MINUTE, PASSWORD, type Stack, startStack } from './helpers.js';

let stack: Stack;
beforeEach(async () => {
  stack = await startStack();
});
afterEach(async () => {
  await stack.close();
});

function decode(pem: string) {
  return decodeUserIdentity(pem, { trustedBundle: stack.userCa.bundle(), now: new Date(stack.clock.now()) });
}

describe('password login', () => {
  it('issues a certificate for the caller key with the roles, traits and a TTL capped by max_session_ttl', async () => {
    const { publicKeyPem } = keyPair();
    const cert = await stack.service.loginWithPassword({
      username: 'alice',
      password: PASSWORD,
      publicKey: publicKeyPem,
      ttlMs: 48 * HOUR,
      clientIp: '127.0.0.1',
    });
    const x509 = new X509Certificate(cert.certificatePem);
    expect(x509.publicKey.export({ type: 'spki', format: 'pem' })).toBe(publicKeyPem);
    const { identity } = decode(cert.certificatePem);
    expect(identity.username).toBe('alice');
    expect(identity.roles).toEqual(['developer', 'ops']);
    expect(identity.traits).toEqual({
      'external.groups': ['devs'],
      'external.username': ['alice'],
      'external.roles': ['developer', 'ops'],
    });
    expect(identity.remotelerCluster).toBe('root.test');
    // developer says 8h: the smallest max_session_ttl of the roles wins over the 48h asked for.
    expect(Date.parse(cert.notAfter) - stack.clock.now()).toBeLessThanOrEqual(8 * HOUR);
    expect(Date.parse(cert.notAfter) - stack.clock.now()).toBeGreaterThan(8 * HOUR - MINUTE);
  });

  it('audits the login and the certificate, and never the password', async () => {
    await stack.service.loginWithPassword({
      username: 'alice',
      password: PASSWORD,
      publicKey: keyPair().publicKeyPem,
    });
    await expectRemotelerError(
      () =>
        stack.service.loginWithPassword({
          username: 'alice',
          password: 'wrong guess',
          publicKey: keyPair().publicKeyPem,
        }),
      'RMT_AUTH_INVALID_CREDENTIALS',
    );
    const events = await stack.events();
    expect(events.map((e) => e.type)).toEqual(['login.success', 'cert.issued', 'login.failure']);
    expect(events[2]).toMatchObject({
      user: 'alice',
      connectorId: 'local',
      errorCode: 'RMT_AUTH_INVALID_CREDENTIALS',
    });
    const text = JSON.stringify(events);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain('wrong guess');
  });

  it('refuses a login that maps to no existing role', async () => {
    await expectRemotelerError(
      () =>
        stack.service.loginWithPassword({
          username: 'nobody',
          password: PASSWORD,
          publicKey: keyPair().publicKeyPem,
        }),
      'RMT_AUTH_NO_ROLES',
    );
  });

  it('gives a locked user nothing, and a holder of a locked role nothing', async () => {
    await stack.locks.create({
      kind: 'lock',
      version: 'v1',
      metadata: { name: 'l1' },
      spec: { target: { user: 'alice' }, message: 'incident 42' },
    });
    const error = await expectRemotelerError(
      () =>
        stack.service.loginWithPassword({
          username: 'alice',
          password: PASSWORD,
          publicKey: keyPair().publicKeyPem,
        }),
      'RMT_AUTH_LOCKED',
    );
    expect(error.message).toContain('incident 42');
    await stack.locks.delete('l1');
    await stack.locks.create({
      kind: 'lock',
      version: 'v1',
      metadata: { name: 'l2' },
      spec: { target: { role: 'ops' } },
    });
    await expectRemotelerError(
      () =>
        stack.service.loginWithPassword({
          username: 'alice',
          password: PASSWORD,
          publicKey: keyPair().publicKeyPem,
        }),
      'RMT_AUTH_LOCKED',
    );
    expect((await stack.events()).filter((e) => e.type === 'cert.issued')).toEqual([]);
  });

  it('refuses a private key sent where the public key belongs', async () => {
    const { privateKeyPem } = keyPair();
    await expectRemotelerError(
      () =>
        stack.service.loginWithPassword({ username: 'alice', password: PASSWORD, publicKey: privateKeyPem }),
      'RMT_AUTH_PUBLIC_KEY_INVALID',
    );
  });

  it('rate limits attempts per user with its own code', async () => {
    const limited = await startStack({ passwordLimitPerUser: { max: 2, windowMs: MINUTE } });
    try {
      const attempt = () =>
        limited.service.loginWithPassword({
          username: 'Alice',
          password: 'nope',
          publicKey: keyPair().publicKeyPem,
        });
      await expectRemotelerError(() => attempt(), 'RMT_AUTH_INVALID_CREDENTIALS');
      await expectRemotelerError(() => attempt(), 'RMT_AUTH_INVALID_CREDENTIALS');
      const error = await expectRemotelerError(() => attempt(), 'RMT_AUTH_RATE_LIMITED_USER');
      expect(error.status).toBe(429);
      limited.clock.advance(MINUTE);
      await expectRemotelerError(() => attempt(), 'RMT_AUTH_INVALID_CREDENTIALS');
    } finally {
      await limited.close();
    }
  });

  it('rate limits attempts per source address with its own code', async () => {
    const limited = await startStack({ passwordLimitPerSource: { max: 1, windowMs: MINUTE } });
    try {
      const attempt = (username: string) =>
        limited.service.loginWithPassword({
          username,
          password: 'nope',
          publicKey: keyPair().publicKeyPem,
          clientIp: '192.0.2.1',
        });
      await expectRemotelerError(() => attempt('a'), 'RMT_AUTH_INVALID_CREDENTIALS');
      await expectRemotelerError(() => attempt('b'), 'RMT_AUTH_RATE_LIMITED_SOURCE');
    } finally {
      await limited.close();
    }
  });
});

describe('reissue', () => {
  async function login(ttlMs = 2 * HOUR) {
    const { publicKeyPem } = keyPair();
    const cert = await stack.service.loginWithPassword({
      username: 'alice',
      password: PASSWORD,
      publicKey: publicKeyPem,
      ttlMs,
    });
    return { publicKeyPem, cert, current: decode(cert.certificatePem) };
  }

  it('pins a certificate to another allowed cluster with the same roles and traits and no later expiry', async () => {
    const { publicKeyPem, cert, current } = await login();
    stack.clock.advance(10 * MINUTE);
    const next = await stack.service.reissue(current, {
      publicKey: publicKeyPem,
      kubernetesCluster: 'prod-1',
      ttlMs: HOUR,
    });
    const decoded = decode(next.certificatePem).identity;
    expect(decoded.kubernetesCluster).toBe('prod-1');
    expect(decoded.roles).toEqual(current.identity.roles);
    expect(decoded.traits).toEqual(current.identity.traits);
    expect(decoded.sessionId).toBe(current.identity.sessionId);
    expect(Date.parse(next.notAfter)).toBeLessThanOrEqual(Date.parse(cert.notAfter));
    const events = await stack.events();
    expect(events.at(-1)).toMatchObject({
      type: 'cert.reissued',
      user: 'alice',
      kubernetesCluster: 'prod-1',
      previousSerial: current.serialNumber,
    });
  });

  it('defaults to the remaining lifetime of the current certificate', async () => {
    const { publicKeyPem, cert, current } = await login();
    stack.clock.advance(30 * MINUTE);
    const next = await stack.service.reissue(current, {
      publicKey: publicKeyPem,
      kubernetesCluster: 'dev-1',
    });
    expect(Date.parse(next.notAfter)).toBeLessThanOrEqual(Date.parse(cert.notAfter));
  });

  it('refuses a reissue asking for a later expiry than the current certificate', async () => {
    const { publicKeyPem, current } = await login(HOUR);
    await expectRemotelerError(
      () => stack.service.reissue(current, { publicKey: publicKeyPem, ttlMs: 2 * HOUR }),
      'RMT_AUTH_REISSUE_EXCEEDS',
    );
  });

  it('refuses a reissue asking for a role the current certificate does not hold', async () => {
    const { publicKeyPem, current } = await login();
    await expectRemotelerError(
      () => stack.service.reissue(current, { publicKey: publicKeyPem, roles: ['developer', 'admin'] }),
      'RMT_AUTH_REISSUE_EXCEEDS',
    );
    const narrowed = await stack.service.reissue(current, {
      publicKey: publicKeyPem,
      roles: ['developer'],
      kubernetesCluster: 'dev-1',
    });
    expect(narrowed.roles).toEqual(['developer']);
  });

  it('refuses a cluster the roles do not allow, the same way as one that does not exist', async () => {
    const { publicKeyPem, current } = await login();
    await expectRemotelerError(
      () =>
        stack.service.reissue(current, {
          publicKey: publicKeyPem,
          roles: ['developer'],
          kubernetesCluster: 'prod-1',
        }),
      'RMT_AUTH_CLUSTER_NOT_FOUND',
    );
    await expectRemotelerError(
      () => stack.service.reissue(current, { publicKey: publicKeyPem, kubernetesCluster: 'nope' }),
      'RMT_AUTH_CLUSTER_NOT_FOUND',
    );
  });

  it('gives a user locked after login nothing', async () => {
    const { publicKeyPem, cert, current } = await login();
    await stack.locks.create({
      kind: 'lock',
      version: 'v1',
      metadata: { name: 'l' },
      spec: { target: { user: 'alice' } },
    });
    await expectRemotelerError(
      () => stack.service.reissue(current, { publicKey: publicKeyPem }),
      'RMT_AUTH_LOCKED',
    );
    await expectRemotelerError(() => stack.service.authenticateUser(cert.certificatePem), 'RMT_AUTH_LOCKED');
  });

  it('follows role changes: a tightened max_session_ttl caps the reissue', async () => {
    const { publicKeyPem, current } = await login();
    const dev = await stack.roles.get('developer');
    await stack.roles.update({ ...dev!, spec: { ...dev!.spec, options: { max_session_ttl: '30m' } } });
    await expectRemotelerError(
      () => stack.service.reissue(current, { publicKey: publicKeyPem, ttlMs: HOUR }),
      'RMT_AUTH_REISSUE_EXCEEDS',
    );
    const next = await stack.service.reissue(current, { publicKey: publicKeyPem });
    expect(Date.parse(next.notAfter) - stack.clock.now()).toBeLessThanOrEqual(30 * MINUTE);
  });
});

describe('clusters and admin', () => {
  it('lists only the clusters the roles allow', async () => {
    const dev = await stack.service.allowedClusters({ username: 'u', roles: ['developer'], traits: {} });
    expect(dev.map((c) => c.name)).toEqual(['dev-1']);
    expect(dev[0]?.kubernetesGroups).toContain('developers');
    const ops = await stack.service.allowedClusters({ username: 'u', roles: ['ops'], traits: {} });
    expect(ops.map((c) => c.name)).toEqual(['dev-1', 'prod-1']);
  });

  it('treats a configured admin role as admin only while the role exists', async () => {
    expect(stack.service.isAdmin({ roles: ['admin'] })).toBe(true);
    expect(stack.service.isAdmin({ roles: ['developer'] })).toBe(false);
    await stack.roles.delete('admin');
    expect(stack.service.isAdmin({ roles: ['admin'] })).toBe(false);
  });
});

describe('construction and lifecycle', () => {
  it('reports every bad option at once with RMT_CONFIG_INVALID', async () => {
    const error = await expectRemotelerError(
      () =>
        startStack({
          clusterName: '',
          codeTtlMs: 120_000,
          ssoCallbackUrl: undefined,
          userCa: stack.hostCa,
        }),
      'RMT_CONFIG_INVALID',
    );
    expect(error.message).toContain('clusterName');
    expect(error.message).toContain('codeTtlMs');
    expect(error.message).toContain('ssoCallbackUrl');
    expect(error.message).toContain('userCa');
  });

  it('refuses every call after close(), and close() is idempotent', async () => {
    stack.service.close();
    stack.service.close();
    await expectRemotelerError(
      () =>
        stack.service.loginWithPassword({
          username: 'alice',
          password: PASSWORD,
          publicKey: keyPair().publicKeyPem,
        }),
      'RMT_AUTH_CLOSED',
    );
    expect(() => stack.service.ping()).toThrow(/closed/);
  });
});
