import { Duplex } from 'node:stream';
import type { RawData, WebSocket } from 'ws';

/**
 * The byte pipe of the port-forward tunnel (k8s-protocols.md §7.3): after the 101 the WebSocket carries
 * a plain SPDY/3.1 session in binary messages whose boundaries do not follow SPDY frames (kubectl sends
 * even empty messages); a text message is an error; a close frame 1000 is EOF.
 */
export function webSocketByteStream(ws: WebSocket): Duplex {
  const duplex = new Duplex({
    read() {
      if (ws.isPaused) ws.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      if (ws.readyState !== ws.OPEN) return callback();
      ws.send(chunk, { binary: true }, (error) => callback(error ?? null));
    },
    final(callback) {
      if (ws.readyState === ws.OPEN) ws.close(1000);
      callback();
    },
    destroy(error, callback) {
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) {
        if (error) ws.terminate();
        else ws.close(1000);
      }
      callback(error);
    },
  });
  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (!isBinary) {
      ws.close(1003, 'the port-forward tunnel carries binary messages only');
      return;
    }
    const bytes = Buffer.isBuffer(data)
      ? data
      : Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.from(data);
    if (bytes.length > 0 && !duplex.push(bytes)) ws.pause();
  });
  ws.on('close', () => {
    duplex.push(null);
    if (!duplex.writableEnded) duplex.end();
  });
  ws.on('error', (error) => duplex.destroy(error));
  return duplex;
}
