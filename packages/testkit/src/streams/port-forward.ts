import { Duplex } from 'node:stream';
import { SpdyStreamType } from '@remoteler/core/wire';
import type { PodStreamTarget } from './pod-stream-target.js';
import type { ContainerRuntime } from './runtime/container-runtime.js';
import { SpdyServerConnection, type SpdyServerStream } from './spdy-connection.js';

// Port-forward over SPDY (k8s-protocols.md §7.2): per local connection kubectl opens an `error` stream
// and a `data` stream, both with `port` and `requestid` headers; they are paired by requestid (or, for
// old clients without it, data id = error id + 2). Streams without a valid port or with another
// streamtype are refused (kubelet `httpStreamReceived`).

interface Pair {
  error?: SpdyServerStream;
  data?: SpdyServerStream;
}

function validPort(value: string | undefined): number | undefined {
  if (!value || !/^\d+$/.test(value)) return undefined;
  const port = Number(value);
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** Wraps a data stream as a Duplex for a port handler: reads are the client's bytes, writes go back. */
function streamDuplex(stream: SpdyServerStream): Duplex {
  let reading = false;
  const duplex = new Duplex({
    read() {
      if (reading) return;
      reading = true;
      void (async () => {
        for (;;) {
          const chunk = await stream.incoming.read();
          if (chunk === null) {
            duplex.push(null);
            return;
          }
          if (!duplex.push(chunk)) break;
        }
        reading = false;
      })();
    },
    write(chunk: Buffer, _encoding, callback) {
      stream.write(chunk).then(() => callback(), callback);
    },
    final(callback) {
      stream.end().then(() => callback(), callback);
    },
    destroy(error, callback) {
      if (!stream.finished) void (error ? stream.resetStream() : stream.end());
      callback(error);
    },
  });
  return duplex;
}

/**
 * Serves port-forward on a SPDY connection (a raw upgraded socket, or the byte pipe of the WebSocket
 * tunnel). Returns a function that ends the session.
 */
export function servePortForward(
  socket: Duplex,
  head: Buffer,
  target: PodStreamTarget,
  runtime: ContainerRuntime,
  onEnd: () => void,
): () => void {
  const pairs = new Map<string, Pair>();
  const start = (key: string, pair: Required<Pair>, port: number) => {
    pairs.delete(key);
    // The client only reads the error stream; it half-closed its side already (§7.2).
    const handler = runtime.portHandler(target.namespace, target.podName, port);
    if (!handler) {
      // What containerd reports for a port nothing listens on; kubectl prints it after
      // "an error occurred forwarding <local> -> <port>:".
      const message =
        `error forwarding port ${port} to pod ${target.namespace}/${target.podName}, uid : failed to execute portforward ` +
        `in network namespace "/var/run/netns/sim": failed to connect to localhost:${port} inside namespace ` +
        `"sim", IPv4: dial tcp4 127.0.0.1:${port}: connect: connection refused IPv6 dial tcp6 [::1]:${port}: ` +
        `connect: connection refused `;
      void pair.error.write(Buffer.from(message)).then(() => pair.error.end());
      void pair.data.end();
      return;
    }
    const duplex = streamDuplex(pair.data);
    duplex.on('error', (error) => {
      void pair.error
        .write(Buffer.from(`error forwarding port ${port}: ${error.message}`))
        .then(() => pair.error.end());
    });
    duplex.on('close', () => void pair.error.end());
    handler(duplex, { namespace: target.namespace, pod: target.podName, port });
  };
  const connection = new SpdyServerConnection(socket, head, {
    onStream(stream) {
      const type = stream.header('streamtype');
      const port = validPort(stream.header('port'));
      if (port === undefined || (type !== SpdyStreamType.ERROR && type !== SpdyStreamType.DATA)) return false;
      const requestId = stream.header('requestid');
      const key =
        requestId !== undefined
          ? `r${requestId}`
          : `s${type === SpdyStreamType.ERROR ? stream.id : stream.id - 2}`;
      const pair = pairs.get(key) ?? {};
      if (type === SpdyStreamType.ERROR ? pair.error : pair.data) return false;
      if (type === SpdyStreamType.ERROR) pair.error = stream;
      else pair.data = stream;
      pairs.set(key, pair);
      if (pair.error && pair.data) {
        const complete = pair as Required<Pair>;
        // After the SYN_REPLY: the handler may write at once.
        queueMicrotask(() => start(key, complete, port));
      }
      return true;
    },
    onClose: onEnd,
  });
  // Ending a session (the simulator closing) says GOAWAY first, as spdystream's Close does.
  return () => connection.close();
}
