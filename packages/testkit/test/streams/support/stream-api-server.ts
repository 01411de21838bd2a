import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { createTestCertificateAuthority, type WrittenKubeconfig, writeKubeconfig } from '@remoteler/testkit';
import {
  PodStreamServer,
  type PodStreamServerOptions,
  type PodStreamTarget,
} from '../../../src/streams/index.js';

/** What {@link startStreamApiServer} returns. */
export interface StreamApiServer {
  /** The stream server whose runtime tests seed and inspect. */
  readonly streams: PodStreamServer;
  readonly kubeconfig: WrittenKubeconfig;
  close(): Promise<void>;
}

/**
 * The smallest HTTPS API server kubectl's exec, cp, attach and port-forward accept: the pod GET they
 * make first, and the upgrades, routed to one PodStreamServer so that state (files written by
 * `cp`, port handlers) is shared between connections and visible to the test. Stands in for the
 * KubeApiSimulator where a test needs the runtime itself.
 */
export async function startStreamApiServer(
  pods: Readonly<Record<string, readonly string[]>> = { 'default/web-0': ['app'] },
  options: PodStreamServerOptions = {},
): Promise<StreamApiServer> {
  const ca = await createTestCertificateAuthority();
  const serving = await ca.issue({ commonName: 'stream-api-server', usage: 'server' });
  const streams = new PodStreamServer(options);
  const sockets = new Set<Duplex>();
  const podPath = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/?]+)(?:\/(exec|attach|portforward))?(?:\?|$)/;
  const status = (code: number, reason: string, message: string) =>
    JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      code,
    });

  // Legacy (unaggregated) discovery, just enough for kubectl's resource builder (`pod/web-0`).
  const discovery: Readonly<Record<string, unknown>> = {
    '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] },
    '/apis': { kind: 'APIGroupList', apiVersion: 'v1', groups: [] },
    '/api/v1': {
      kind: 'APIResourceList',
      groupVersion: 'v1',
      resources: [
        {
          name: 'pods',
          singularName: 'pod',
          namespaced: true,
          kind: 'Pod',
          verbs: ['get', 'list'],
          shortNames: ['po'],
        },
        {
          name: 'pods/exec',
          singularName: '',
          namespaced: true,
          kind: 'PodExecOptions',
          verbs: ['create', 'get'],
        },
        {
          name: 'pods/attach',
          singularName: '',
          namespaced: true,
          kind: 'PodAttachOptions',
          verbs: ['create', 'get'],
        },
        {
          name: 'pods/portforward',
          singularName: '',
          namespaced: true,
          kind: 'PodPortForwardOptions',
          verbs: ['create', 'get'],
        },
      ],
    },
  };
  const server: Server = createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
    const path = (req.url ?? '').split('?')[0]!;
    if (req.method === 'GET' && discovery[path]) {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(discovery[path]));
      return;
    }
    const match = podPath.exec(req.url ?? '');
    const containers = match && !match[3] ? pods[`${match[1]}/${match[2]}`] : undefined;
    res.setHeader('Content-Type', 'application/json');
    if (req.method !== 'GET' || !match || !containers) {
      res.writeHead(404).end(status(404, 'NotFound', 'the server could not find the requested resource'));
      return;
    }
    res.end(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: match[2], namespace: match[1], uid: `uid-${match[2]}`, resourceVersion: '1' },
        spec: { containers: containers.map((name) => ({ name, image: 'busybox', stdin: true, tty: true })) },
        status: { phase: 'Running' },
      }),
    );
  });
  server.on('upgrade', (req, socket: Duplex, head: Buffer) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    const match = podPath.exec(req.url ?? '');
    const containers = match?.[3] ? pods[`${match[1]}/${match[2]}`] : undefined;
    if (!match || !containers) {
      socket.end(
        `HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${status(404, 'NotFound', 'not found')}`,
      );
      return;
    }
    const target: PodStreamTarget = {
      subresource: match[3] as PodStreamTarget['subresource'],
      namespace: match[1]!,
      podName: match[2]!,
      containers,
      user: { name: 'tester', groups: ['system:authenticated'] },
    };
    streams.handleUpgrade(req, socket, head, target);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const kubeconfig = await writeKubeconfig({
    server: `https://127.0.0.1:${port}`,
    caPem: ca.certPem,
    token: 'test-token',
  });
  return {
    streams,
    kubeconfig,
    async close() {
      streams.close();
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await kubeconfig.cleanup();
    },
  };
}
