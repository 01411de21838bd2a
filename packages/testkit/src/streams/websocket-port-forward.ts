import { Duplex } from 'node:stream';
import { type ChannelProtocolInfo, decodeChannelMessage, encodeChannelMessage } from '@remoteler/core/wire';
import type { RawData, WebSocket } from 'ws';
import type { PodStreamTarget } from './pod-stream-target.js';
import type { ContainerRuntime } from './runtime/container-runtime.js';

// The older pure-WebSocket port-forward (k8s-protocols.md §7.4; kubelet portforward/websocket.go),
// which kubectl never uses but @kubernetes/client-node and the Python client do: `?ports=` in the
// query, a data channel 2i and an error channel 2i+1 per port, each opened by the server with the port
// as uint16 little-endian, and one TCP connection per port for the life of the WebSocket.

/** Subprotocols the kubelet accepts for it ('' = none offered). */
export const WEBSOCKET_PORT_FORWARD_PROTOCOLS: readonly string[] = [
  'v4.channel.k8s.io',
  'v4.base64.channel.k8s.io',
];

/** Ports from `?ports=8080&ports=9090` (or comma-separated); undefined when one is not a TCP port. */
export function parsePortsQuery(url: string | undefined): number[] | undefined {
  const query = new URL(url ?? '/', 'http://localhost').searchParams;
  const values = query
    .getAll('ports')
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter(Boolean);
  const ports = values.map((value) => (/^\d+$/.test(value) ? Number(value) : Number.NaN));
  if (ports.length === 0 || ports.some((port) => !(port >= 1 && port <= 65535))) return undefined;
  return ports;
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** Serves the channel-based port-forward on an accepted WebSocket. */
export function serveWebSocketPortForward(
  ws: WebSocket,
  protocol: ChannelProtocolInfo,
  ports: readonly number[],
  target: PodStreamTarget,
  runtime: ContainerRuntime,
): void {
  const send = (channel: number, data: Buffer): Promise<void> =>
    new Promise((resolve) => {
      if (ws.readyState !== ws.OPEN) return resolve();
      const message = encodeChannelMessage(protocol, channel, data);
      ws.send(message.data, { binary: message.binary }, () => resolve());
    });
  const connections = new Map<number, Duplex>();
  let open = ports.length;
  const finished = () => {
    open -= 1;
    if (open === 0 && ws.readyState === ws.OPEN) ws.close(1000);
  };
  void (async () => {
    for (const [index, port] of ports.entries()) {
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16LE(port);
      await send(2 * index, prefix);
      await send(2 * index + 1, prefix);
      const handler = runtime.portHandler(target.namespace, target.podName, port);
      if (!handler) {
        await send(
          2 * index + 1,
          Buffer.from(
            `error forwarding port ${port} to pod ${target.namespace}/${target.podName}: connection refused`,
          ),
        );
        finished();
        continue;
      }
      const duplex = new Duplex({
        read() {},
        write(chunk: Buffer, _encoding, callback) {
          send(2 * index, chunk).then(() => callback(), callback);
        },
        final(callback) {
          callback();
          finished();
        },
      });
      duplex.on('error', (error) => void send(2 * index + 1, Buffer.from(error.message)));
      connections.set(2 * index, duplex);
      handler(duplex, { namespace: target.namespace, pod: target.podName, port });
    }
  })();
  ws.on('message', (data, isBinary) => {
    try {
      const message = decodeChannelMessage(
        protocol,
        isBinary ? toBuffer(data) : toBuffer(data).toString('utf8'),
        isBinary,
      );
      if (message.kind === 'data') connections.get(message.channel)?.push(message.data);
    } catch {
      ws.close(1002, 'malformed channel message');
    }
  });
  ws.on('close', () => {
    for (const duplex of connections.values()) {
      duplex.push(null);
      duplex.destroy();
    }
  });
  ws.on('error', () => ws.terminate());
}
