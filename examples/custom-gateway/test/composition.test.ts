import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditEvent, Role } from '@remoteler/core';
import { AUDIT_SINK, createContainer, ROLE_STORE } from '@remoteler/core/di';
import { expectRemotelerError } from '@remoteler/core/testing';
import { container as globalContainer } from 'tsyringe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AUTH_SERVICE,
  createApiKey,
  type GatewayOptions,
  JsonLinesAuditSink,
  LISTENER_CERTIFICATE,
  PROXY,
  PROXY_AUDIT,
  startGateway,
} from '../src/index.js';
import { passwordLogin } from './support/password-login.js';

// How the gateway uses the optional DI layer: child containers only, host registrations that win
// over the defaults, state that survives a restart, and a failed start that leaves nothing open.

const viewer: Role = {
  kind: 'role',
  version: 'v1',
  metadata: { name: 'viewer' },
  spec: { options: {}, allow: { kubernetes_labels: { '*': '*' }, kubernetes_groups: ['viewers'] }, deny: {} },
};
const key = createApiKey();

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'custom-gateway-di-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function options(stateDir: string): GatewayOptions {
  return {
    stateDir,
    accounts: (username) =>
      username === 'alice' ? { username, apiKeyDigests: [key.digest], teams: ['ops'] } : undefined,
    roles: [viewer],
    claimsToRoles: [{ claim: 'groups', value: 'ops', roles: ['viewer'] }],
    clusters: [],
  };
}

async function auditLines(path: string): Promise<AuditEvent[]> {
  const text = await readFile(path, 'utf8');
  return text
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as AuditEvent);
}

describe('gateway composition', () => {
  it("composes in child containers and never registers into tsyringe's global container", async () => {
    const first = await startGateway(options(join(dir, 'one')));
    const second = await startGateway(options(join(dir, 'two')));
    try {
      for (const token of [AUDIT_SINK, ROLE_STORE, AUTH_SERVICE, PROXY])
        expect(globalContainer.isRegistered(token.key, true)).toBe(false);
      expect(first.container.tsyringe).not.toBe(globalContainer);
      // Two gateways in one process share nothing.
      expect(first.container.resolve(ROLE_STORE)).not.toBe(second.container.resolve(ROLE_STORE));
      expect(first.hostCaPem).not.toBe(second.hostCaPem);
      // The scopes see the shared registrations; the shared scope does not see theirs.
      expect(first.scopes.proxy.resolve(ROLE_STORE)).toBe(first.container.resolve(ROLE_STORE));
      expect(first.container.isRegistered(PROXY, true)).toBe(false);
      expect(first.scopes.auth.isRegistered(PROXY, true)).toBe(false);
      expect(first.scopes.proxy.resolve(PROXY_AUDIT)).toBe(first.scopes.proxy.resolve(PROXY_AUDIT));
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it('audits to <stateDir>/audit.jsonl by default and keeps its CAs across a restart', async () => {
    const stateDir = join(dir, 'state');
    const gateway = await startGateway(options(stateDir));
    const login = await passwordLogin(gateway.authAddress, gateway.hostCaPem, {
      username: 'alice',
      password: key.key,
    });
    expect(login.status).toBe(200);
    const hostCaPem = gateway.hostCaPem;
    await gateway.close();
    await gateway.close();
    // Auth answers only once the sink has accepted the login's events.
    const events = await auditLines(join(stateDir, 'audit.jsonl'));
    expect(events.map((event) => event.type)).toEqual(['login.success', 'cert.issued']);

    const restarted = await startGateway(options(stateDir));
    try {
      expect(restarted.hostCaPem).toBe(hostCaPem);
      const again = await passwordLogin(restarted.authAddress, restarted.hostCaPem, {
        username: 'alice',
        password: key.key,
      });
      expect(again.status).toBe(200);
    } finally {
      await restarted.close();
    }
    expect(await auditLines(join(stateDir, 'audit.jsonl'))).toHaveLength(4);
  });

  it('uses the audit sink the host registered, and leaves it open for the host to close', async () => {
    const path = join(dir, 'host-audit.jsonl');
    const sink = await JsonLinesAuditSink.open({ path });
    const gateway = await startGateway({
      ...options(join(dir, 'state')),
      container: createContainer().registerValue(AUDIT_SINK, sink),
    });
    expect(gateway.container.resolve(AUDIT_SINK)).toBe(sink);
    await passwordLogin(gateway.authAddress, gateway.hostCaPem, { username: 'alice', password: 'wrong' });
    await gateway.close();
    // Still open: the gateway closes only what it opened itself.
    await sink.emit((await auditLines(path))[0]!);
    await sink.close();
    expect((await auditLines(path)).map((event) => event.type)).toEqual(['login.failure', 'login.failure']);
  });

  it('names its public host in both certificates and in the Proxy address Auth announces', async () => {
    const gateway = await startGateway({
      ...options(join(dir, 'state')),
      publicHost: 'gateway.example.test',
    });
    try {
      const [, proxyPort] = gateway.proxyAddress.split(':');
      expect(gateway.proxyAddress).toBe(`gateway.example.test:${proxyPort}`);
      expect(gateway.authAddress).toMatch(/^gateway\.example\.test:\d+$/);
      expect(gateway.scopes.auth.resolve(AUTH_SERVICE).ping().proxyKubeAddress).toBe(gateway.proxyAddress);
      const proxyCertificate = new X509Certificate(
        gateway.scopes.proxy.resolve(LISTENER_CERTIFICATE).current().cert,
      );
      expect(proxyCertificate.checkHost('gateway.example.test')).toBe('gateway.example.test');
      expect(proxyCertificate.checkHost('localhost')).toBe('localhost');
    } finally {
      await gateway.close();
    }
  });

  it('reports every invalid option at once, with its path', async () => {
    const error = await expectRemotelerError(
      () =>
        startGateway({
          stateDir: '',
          accounts: undefined as never,
          roles: [],
          claimsToRoles: [],
          clusters: [{ name: '', kubeconfig: '' }],
          proxyPort: 70_000,
        }),
      'RMT_CONFIG_INVALID',
    );
    expect((error.details!.problems as Array<{ path: string }>).map((p) => p.path)).toEqual([
      'stateDir',
      'accounts',
      'clusters[0].name',
      'clusters[0].kubeconfig',
      'proxyPort',
    ]);
  });

  it('stops what it started when the start fails half-way', async () => {
    const occupied = await startGateway(options(join(dir, 'first')));
    const listeners = () =>
      process.getActiveResourcesInfo().filter((kind) => kind === 'TCPServerWrap').length;
    try {
      const before = listeners();
      const [, port] = occupied.authAddress.split(':');
      // The Proxy is already listening when Auth finds its port taken.
      await expect(startGateway({ ...options(join(dir, 'second')), authPort: Number(port) })).rejects.toThrow(
        /EADDRINUSE/,
      );
      expect(listeners()).toBe(before);
    } finally {
      await occupied.close();
    }
  });
});
