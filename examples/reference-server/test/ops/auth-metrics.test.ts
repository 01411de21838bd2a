import { generateKeyPairSync } from 'node:crypto';
import { AuthService } from '@remoteler/auth';
import { MemoryCaKeyStore, X509CertificateAuthority, X509IdentityDecoder } from '@remoteler/ca';
import {
  type AuditSink,
  createMemoryClusterStore,
  createMemoryLockStore,
  createMemoryUserStore,
  hashPassword,
  LocalUserConnector,
  MemoryAuditSink,
  MemoryRoleStore,
  RemotelerError,
} from '@remoteler/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetricsAuditSink, createServerMetrics, type ServerMetrics } from '../../src/ops/index.js';
import { parseMetrics, sampleValue } from './support/prometheus.js';

// Login and certificate counters fed by a real AuthService's audit events through the metrics sink.

const PASSWORD = 'correct horse battery staple';
const COST = { logN: 10, r: 8, p: 1 };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function publicKey(): string {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
    .publicKey.export({ type: 'spki', format: 'pem' })
    .toString();
}

async function startAuth(audit: AuditSink) {
  const keyStore = new MemoryCaKeyStore();
  const userCa = await X509CertificateAuthority.open({ kind: 'user', keyStore, clusterName: 'ops.test' });
  const hostCa = await X509CertificateAuthority.open({ kind: 'host', keyStore, clusterName: 'ops.test' });
  const roles = new MemoryRoleStore();
  await roles.create({
    kind: 'role',
    version: 'v1',
    metadata: { name: 'developer' },
    spec: {
      options: { max_session_ttl: '8h' },
      allow: { kubernetes_labels: { env: 'dev' }, kubernetes_groups: ['developers'] },
      deny: {},
    },
  });
  const local = new LocalUserConnector({
    users: [
      { username: 'alice', passwordHash: await hashPassword(PASSWORD, { cost: COST }), roles: ['developer'] },
    ],
    hashCost: COST,
  });
  const service = await AuthService.create({
    clusterName: 'ops.test',
    userCa,
    hostCa,
    certificateDecoder: new X509IdentityDecoder({ userBundle: userCa.bundle(), hostBundle: hostCa.bundle() }),
    connectors: [{ connector: local }],
    ssoCallbackUrl: 'https://auth.test/v1/sso/callback',
    roles,
    users: createMemoryUserStore(),
    clusters: createMemoryClusterStore(),
    locks: createMemoryLockStore(),
    audit,
  });
  cleanups.push(async () => {
    service.close();
    await local.close();
  });
  return service;
}

function newMetrics(): ServerMetrics {
  const metrics = createServerMetrics({ processMetrics: false });
  cleanups.push(() => metrics.close());
  return metrics;
}

describe('Auth metrics from real audit events', () => {
  it('count logins by connector and result, and user and host certificates', async () => {
    const metrics = newMetrics();
    const delegate = new MemoryAuditSink();
    const auth = await startAuth(createMetricsAuditSink(metrics, delegate));
    await auth.loginWithPassword({ username: 'alice', password: PASSWORD, publicKey: publicKey() });
    await expect(
      auth.loginWithPassword({ username: 'alice', password: 'wrong password', publicKey: publicKey() }),
    ).rejects.toBeInstanceOf(RemotelerError);
    const { token } = await auth.issueJoinToken({ role: 'proxy', createdBy: 'test' });
    await auth.join({ token, publicKey: publicKey(), hostId: 'proxy-1', role: 'proxy' });

    const families = parseMetrics(await metrics.render());
    const connector = (await delegate.search({ types: ['login.success'] })).events[0];
    const connectorId = connector && 'connectorId' in connector ? connector.connectorId : '';
    expect(connectorId).not.toBe('');
    expect(
      sampleValue(families, 'remoteler_auth_logins_total', { connector: connectorId, result: 'success' }),
    ).toBe(1);
    expect(
      sampleValue(families, 'remoteler_auth_logins_total', { connector: connectorId, result: 'failure' }),
    ).toBe(1);
    expect(sampleValue(families, 'remoteler_auth_certificates_issued_total', { kind: 'user' })).toBe(1);
    expect(sampleValue(families, 'remoteler_auth_certificates_issued_total', { kind: 'host' })).toBe(1);
    // The real sink got every event unchanged.
    expect(
      (await delegate.search({ types: ['login.success', 'login.failure', 'cert.issued', 'join_token.used'] }))
        .events,
    ).toHaveLength(4);
  });

  it('do not count a login as a success when the real sink refused its event (Auth refuses the login)', async () => {
    const metrics = newMetrics();
    const refusing: AuditSink = {
      capabilities: { search: false, durable: true },
      emit: () => Promise.reject(new RemotelerError('RMT_AUDIT_SINK_FULL', 'full')),
      flush: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
    const auth = await startAuth(createMetricsAuditSink(metrics, refusing));
    await expect(
      auth.loginWithPassword({ username: 'alice', password: PASSWORD, publicKey: publicKey() }),
    ).rejects.toBeInstanceOf(RemotelerError);
    const text = await metrics.render();
    expect(text).not.toMatch(/remoteler_auth_logins_total\{[^}]*result="success"[^}]*\} [1-9]/);
    expect(
      sampleValue(parseMetrics(text), 'remoteler_auth_certificates_issued_total', { kind: 'user' }),
    ).toBe(0);
  });

  it('keep two servers in one process apart', async () => {
    const first = newMetrics();
    const second = newMetrics();
    const auth = await startAuth(createMetricsAuditSink(first));
    await auth.loginWithPassword({ username: 'alice', password: PASSWORD, publicKey: publicKey() });
    expect(
      sampleValue(parseMetrics(await first.render()), 'remoteler_auth_certificates_issued_total', {
        kind: 'user',
      }),
    ).toBe(1);
    expect(
      sampleValue(parseMetrics(await second.render()), 'remoteler_auth_certificates_issued_total', {
        kind: 'user',
      }),
    ).toBe(0);
  });

  it('cap the connector label so that clients naming random connectors cannot add series', () => {
    const metrics = createServerMetrics({ processMetrics: false, maxLabelValues: 2 });
    cleanups.push(() => metrics.close());
    for (const connectorId of ['local', 'okta', 'random-1', 'random-2'])
      metrics.onAuditEvent({
        id: connectorId,
        type: 'login.failure',
        code: 'R1001W',
        time: new Date().toISOString(),
        connectorId,
        errorCode: 'RMT_AUTH_CONNECTOR_NOT_FOUND',
      } as never);
    return metrics.render().then((text) => {
      const families = parseMetrics(text);
      expect(
        sampleValue(families, 'remoteler_auth_logins_total', { connector: 'other', result: 'failure' }),
      ).toBe(2);
      expect(text).not.toContain('random-1');
    });
  });
});
