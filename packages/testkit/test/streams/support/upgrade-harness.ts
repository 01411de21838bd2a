import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  PodStreamServer,
  type PodStreamServerOptions,
  type PodStreamTarget,
} from '../../../src/streams/index.js';

/** What {@link startUpgradeHarness} returns. */
export interface UpgradeHarness {
  readonly streams: PodStreamServer;
  readonly port: number;
  /** Sends an upgrade request; resolves with the 101's socket or the refusal. */
  upgrade(
    path: string,
    headers: Record<string, string | string[]>,
    method?: string,
  ): Promise<
    | {
        readonly upgraded: true;
        readonly socket: Duplex;
        readonly head: Buffer;
        readonly headers: IncomingMessage['headers'];
      }
    | {
        readonly upgraded: false;
        readonly status: number;
        readonly body: string;
        readonly headers: IncomingMessage['headers'];
      }
  >;
  close(): Promise<void>;
}

/**
 * A plain HTTP server on 127.0.0.1 whose only job is the one the simulator's HTTP layer does for
 * streams: route upgrades for /api/v1/namespaces/<ns>/pods/<pod>/<sub> to a PodStreamServer, with the
 * pod's containers from `pods`.
 */
export async function startUpgradeHarness(
  pods: Readonly<Record<string, readonly string[]>> = { 'default/web-0': ['app', 'sidecar'] },
  options: PodStreamServerOptions = {},
): Promise<UpgradeHarness> {
  const streams = new PodStreamServer(options);
  // The pod GET kubectl makes before an exec (so a plain-HTTP kubeconfig can point kubectl here).
  // Legacy (unaggregated) discovery, just enough for kubectl's resource builder to resolve `web-0`.
  const discovery: Readonly<Record<string, unknown>> = {
    '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] },
    '/apis': { kind: 'APIGroupList', apiVersion: 'v1', groups: [] },
    '/api/v1': {
      kind: 'APIResourceList',
      groupVersion: 'v1',
      resources: [
        { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['get', 'list'] },
      ],
    },
  };
  const server: Server = createServer((req, res) => {
    const known = discovery[(req.url ?? '').split('?')[0]!];
    if (req.method === 'GET' && known) {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(known));
      return;
    }
    const match = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/?]+)(\?|$)/.exec(req.url ?? '');
    const containers = match ? pods[`${match[1]}/${match[2]}`] : undefined;
    if (req.method !== 'GET' || !match || !containers) {
      res.writeHead(404).end();
      return;
    }
    res.setHeader('Content-Type', 'application/json');
    res.end(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: match[2], namespace: match[1], uid: `uid-${match[2]}` },
        spec: { containers: containers.map((name) => ({ name, image: 'busybox' })) },
        status: { phase: 'Running' },
      }),
    );
  });
  const sockets = new Set<Duplex>();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    const match = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|attach|portforward)(\?|$)/.exec(
      req.url ?? '',
    );
    const containers = match ? pods[`${match[1]}/${match[2]}`] : undefined;
    if (!match || !containers) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
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
  return {
    streams,
    port,
    upgrade: (path, headers, method = 'POST') =>
      new Promise((resolve, reject) => {
        const req = request({
          host: '127.0.0.1',
          port,
          path,
          method,
          headers: { Connection: 'Upgrade', ...headers },
        });
        req.on('upgrade', (res, socket, head) => {
          sockets.add(socket);
          resolve({ upgraded: true, socket, head, headers: res.headers });
        });
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({
              upgraded: false,
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString(),
              headers: res.headers,
            }),
          );
        });
        req.on('error', reject);
        req.end();
      }),
    async close() {
      streams.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
