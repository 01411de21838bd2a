import { randomBytes } from 'node:crypto';
import { Duplex } from 'node:stream';
import { encodeWebSocketFrame, WebSocketMessageParser, WebSocketOpcode } from '@remoteler/core/wire';

/**
 * The client end of the port-forward tunnel as kubectl 1.31+ behaves (k8s-protocols.md §7.3): every
 * write becomes several small masked binary messages plus an empty one, so message boundaries never
 * follow SPDY frames. Reads reassemble the server's binary messages into a byte stream.
 */
export function tunnelClientPipe(socket: Duplex, head: Buffer): Duplex {
  const parser = new WebSocketMessageParser();
  const frame = (opcode: number, payload: Buffer) =>
    encodeWebSocketFrame({ opcode, payload, mask: randomBytes(4) });
  const pipe = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      const pieces: Buffer[] = [];
      for (let offset = 0, size = 1; offset < chunk.length; offset += size, size = Math.min(size * 2, 64))
        pieces.push(frame(WebSocketOpcode.BINARY, chunk.subarray(offset, offset + size)));
      pieces.push(frame(WebSocketOpcode.BINARY, Buffer.alloc(0)));
      socket.write(Buffer.concat(pieces), callback);
    },
    final(callback) {
      socket.end(frame(WebSocketOpcode.CLOSE, Buffer.from([0x03, 0xe8])), () => callback());
    },
    destroy(error, callback) {
      socket.destroy();
      callback(error);
    },
  });
  const receive = (chunk: Buffer) => {
    for (const event of parser.push(chunk)) {
      if (event.kind === 'message' && event.data.length > 0) pipe.push(event.data);
      if (event.kind === 'close') pipe.push(null);
    }
  };
  if (head.length > 0) receive(head);
  socket.on('data', receive);
  socket.on('close', () => pipe.push(null));
  return pipe;
}
