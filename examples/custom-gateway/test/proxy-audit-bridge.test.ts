import { type AuditSink, MemoryAuditSink, RemotelerError } from '@remoteler/core';
import { AUDIT_SINK, createContainer } from '@remoteler/core/di';
import type { ProxyAuditEvent } from '@remoteler/proxy';
import { describe, expect, it } from 'vitest';
import { ERROR_HANDLER, ProxyAuditBridge, toKubeRequestEvent } from '../src/index.js';

const at = new Date('2026-05-01T10:00:00.000Z');

function exchange(fields: Partial<ProxyAuditEvent>): ProxyAuditEvent {
  return {
    kind: 'request',
    httpVersion: '1.1',
    method: 'GET',
    path: '/api',
    startedAt: at,
    durationMs: 3,
    ...fields,
  };
}

describe('toKubeRequestEvent', () => {
  it("describes the request with the Proxy's reading of it, keeping the path the client sent", () => {
    const event = toKubeRequestEvent(
      exchange({
        method: 'DELETE',
        path: '/k8s/dev/apis/apps/v1/namespaces/team-a/deployments/web',
        verb: 'delete',
        apiGroup: 'apps',
        resource: 'deployments',
        namespace: 'team-a',
        name: 'web',
        username: 'alice',
        cluster: 'dev',
        kubernetesUser: 'alice',
        kubernetesGroups: ['platform', 'system:authenticated'],
        status: 200,
        clientAddress: '127.0.0.1',
      }),
    );
    expect(event).toMatchObject({
      type: 'kube.request',
      code: 'R3000I',
      time: at.toISOString(),
      path: '/k8s/dev/apis/apps/v1/namespaces/team-a/deployments/web',
      verb: 'delete',
      apiGroup: 'apps',
      resource: 'deployments',
      namespace: 'team-a',
      name: 'web',
      allowed: true,
      kubernetesUsers: ['alice'],
      clientIp: '127.0.0.1',
    });
  });

  it('records a watch as a watch: the verb comes from the Proxy, which read the query', () => {
    const event = toKubeRequestEvent(
      exchange({
        path: '/k8s/dev/api/v1/pods',
        cluster: 'dev',
        verb: 'watch',
        apiGroup: '',
        resource: 'pods',
      }),
    );
    expect(event).toMatchObject({ verb: 'watch', resource: 'pods', apiGroup: '' });
  });

  it('records a request refused before authentication with an empty user and cluster', () => {
    const event = toKubeRequestEvent(exchange({ status: 401, errorCode: 'RMT_PROXY_UNAUTHENTICATED' }));
    expect(event).toMatchObject({
      user: '',
      cluster: '',
      verb: 'get',
      allowed: false,
      status: 401,
      errorCode: 'RMT_PROXY_UNAUTHENTICATED',
      kubernetesUsers: [],
      kubernetesGroups: [],
    });
  });

  it('records an exchange cut before any status with status 0', () => {
    expect(toKubeRequestEvent(exchange({ username: 'alice', cluster: 'dev' })).status).toBe(0);
  });
});

describe('ProxyAuditBridge', () => {
  it('is built by tsyringe from its tokens and emits into the registered sink', async () => {
    const sink = new MemoryAuditSink();
    const container = createContainer()
      .registerValue(AUDIT_SINK, sink)
      .registerValue(ERROR_HANDLER, () => {});
    const bridge = container.tsyringe.resolve(ProxyAuditBridge);
    bridge.record(exchange({ username: 'alice', cluster: 'dev', status: 200, kubernetesUser: 'alice' }));
    await bridge.close();
    expect(sink.snapshot()).toMatchObject([{ type: 'kube.request', user: 'alice' }]);
    await container.dispose();
  });

  it("reports a sink's refusal to the error handler instead of dropping it", async () => {
    const errors: unknown[] = [];
    const refusing: AuditSink = {
      capabilities: { search: false, durable: true },
      emit: async () => {
        throw new RemotelerError('RMT_AUDIT_SINK_WRITE_FAILED', 'disk full');
      },
      flush: async () => {},
      close: async () => {},
    };
    const bridge = new ProxyAuditBridge(refusing, (error) => errors.push(error));
    bridge.record(exchange({ username: 'alice' }));
    await bridge.close();
    expect(errors).toMatchObject([{ code: 'RMT_AUDIT_SINK_WRITE_FAILED' }]);
  });
});
