import { describe, expect, it } from 'vitest';
import {
  Http1ProtocolError,
  Http1ResponseParser,
  type ResponseHeaders,
} from '../src/upstream/http1/response-parser.js';

/** What the parser reported for one expected response. */
interface Parsed {
  readonly heads: { status: number; statusText: string; headers: ResponseHeaders }[];
  readonly body: string;
  readonly trailers: ResponseHeaders[];
  readonly done: boolean;
  readonly keepAlive: boolean;
  /** Bytes `push` reported as following the end of the response, over all pieces. */
  readonly extra: number;
}

interface FeedOptions {
  /** The server closes its side after the last piece (`end()`). */
  readonly end?: boolean;
  readonly maxHeadBytes?: number;
}

/** Feeds `pieces` to a fresh parser expecting the answer to `method`. */
function feed(method: string, pieces: readonly Buffer[], options: FeedOptions = {}): Parsed {
  const heads: Parsed['heads'] = [];
  const body: Buffer[] = [];
  const trailers: ResponseHeaders[] = [];
  const parser = new Http1ResponseParser(
    {
      onHead: (status, statusText, headers) => heads.push({ status, statusText, headers }),
      // Copied: the parser may hand out a view of the piece it was given.
      onBody: (chunk) => body.push(Buffer.from(chunk)),
      onEnd: (fields) => trailers.push(fields),
    },
    options.maxHeadBytes ?? 64 * 1024,
  );
  parser.expect(method);
  let extra = 0;
  for (const piece of pieces) extra += parser.push(piece);
  if (options.end) parser.end();
  return {
    heads,
    body: Buffer.concat(body).toString('latin1'),
    trailers,
    done: parser.done,
    keepAlive: parser.keepAlive,
    extra,
  };
}

/** Every way of cutting `wire` that the loops below try: whole, in two at each byte, byte by byte. */
function splits(wire: Buffer): { name: string; pieces: Buffer[] }[] {
  const ways = [{ name: 'in one piece', pieces: [wire] }];
  for (let at = 1; at < wire.length; at++)
    ways.push({ name: `split at byte ${at}`, pieces: [wire.subarray(0, at), wire.subarray(at)] });
  ways.push({ name: 'byte by byte', pieces: [...wire].map((byte) => Buffer.from([byte])) });
  return ways;
}

const bytes = (text: string) => Buffer.from(text, 'latin1');

interface ValidCase {
  readonly name: string;
  readonly method?: string;
  readonly wire: string;
  /** The body runs until the server closes. */
  readonly end?: boolean;
  readonly status: number;
  readonly statusText?: string;
  readonly headers: ResponseHeaders;
  readonly body: string;
  readonly trailers?: ResponseHeaders;
  readonly keepAlive: boolean;
}

const valid: ValidCase[] = [
  {
    name: 'a body framed by Content-Length',
    wire: 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n{"kind":"Pod"}',
    status: 200,
    statusText: 'OK',
    headers: { 'content-type': 'application/json', 'content-length': '14' },
    body: '{"kind":"Pod"}',
    keepAlive: true,
  },
  {
    name: 'an empty body with Content-Length: 0',
    wire: 'HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n',
    status: 201,
    statusText: 'Created',
    headers: { 'content-length': '0' },
    body: '',
    keepAlive: true,
  },
  {
    name: 'a chunked body with chunk extensions and trailers',
    wire:
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' +
      '5;name=value\r\nhello\r\n' +
      '9 ; quoted="a;b"\r\n, chunked\r\n' +
      'b\t;x\r\n and more!!\r\n' +
      'A\r\n0123456789\r\n' +
      '0;last\r\nX-Checksum: abc\r\nX-Checksum: def\r\nX-Other:  1 \r\n\r\n',
    status: 200,
    headers: { 'transfer-encoding': 'chunked' },
    body: 'hello, chunked and more!!0123456789',
    trailers: { 'x-checksum': ['abc', 'def'], 'x-other': '1' },
    keepAlive: true,
  },
  {
    name: 'a chunked body spelled in another case, with no trailers',
    wire: 'HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
    status: 200,
    headers: { 'transfer-encoding': 'Chunked' },
    body: 'abc',
    keepAlive: true,
  },
  {
    name: '100 Continue and 103 Early Hints before the final answer (skipped)',
    wire:
      'HTTP/1.1 100 Continue\r\n\r\n' +
      'HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n' +
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
    status: 200,
    headers: { 'content-length': '2' },
    body: 'ok',
    keepAlive: true,
  },
  {
    name: 'the answer to HEAD, which has no body despite its Content-Length',
    method: 'HEAD',
    wire: 'HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n',
    status: 200,
    headers: { 'content-length': '1234' },
    body: '',
    keepAlive: true,
  },
  {
    name: 'a 204, which has no body despite its Content-Length',
    wire: 'HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n',
    status: 204,
    statusText: 'No Content',
    headers: { 'content-length': '10' },
    body: '',
    keepAlive: true,
  },
  {
    name: 'a 304, which has no body despite its Content-Length',
    wire: 'HTTP/1.1 304 Not Modified\r\nContent-Length: 5000\r\nETag: "1"\r\n\r\n',
    status: 304,
    statusText: 'Not Modified',
    headers: { 'content-length': '5000', etag: '"1"' },
    body: '',
    keepAlive: true,
  },
  {
    name: 'a body delimited by the close of the connection (not keep-alive)',
    wire: 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the server closes',
    end: true,
    status: 200,
    headers: { 'content-type': 'text/plain' },
    body: 'until the server closes',
    keepAlive: false,
  },
  {
    name: 'Connection: close (not keep-alive)',
    wire: 'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok',
    status: 200,
    headers: { connection: 'close', 'content-length': '2' },
    body: 'ok',
    keepAlive: false,
  },
  {
    name: 'close among other Connection options (not keep-alive)',
    wire: 'HTTP/1.1 200 OK\r\nConnection: X-Foo, Close\r\nContent-Length: 0\r\n\r\n',
    status: 200,
    headers: { connection: 'X-Foo, Close', 'content-length': '0' },
    body: '',
    keepAlive: false,
  },
  {
    name: 'HTTP/1.0 without Connection: keep-alive (not keep-alive)',
    wire: 'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok',
    status: 200,
    headers: { 'content-length': '2' },
    body: 'ok',
    keepAlive: false,
  },
  {
    name: 'HTTP/1.0 with Connection: keep-alive (keep-alive)',
    wire: 'HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nok',
    status: 200,
    headers: { connection: 'Keep-Alive', 'content-length': '2' },
    body: 'ok',
    keepAlive: true,
  },
  {
    name: 'HTTP/1.0 with a body delimited by the close',
    wire: 'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\nall of it',
    end: true,
    status: 200,
    headers: { connection: 'keep-alive' },
    body: 'all of it',
    keepAlive: false,
  },
  {
    name: 'repeated header fields (arrays, in order; names in lower case)',
    wire:
      'HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nWarning: 299 - "x"\r\nset-cookie: b=2\r\nSET-COOKIE: c=3\r\n' +
      'Content-Length: 0\r\n\r\n',
    status: 200,
    headers: { 'set-cookie': ['a=1', 'b=2', 'c=3'], warning: '299 - "x"', 'content-length': '0' },
    body: '',
    keepAlive: true,
  },
  {
    name: 'Content-Length: 5, 5 (one value, "5")',
    wire: 'HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\nhello',
    status: 200,
    headers: { 'content-length': '5' },
    body: 'hello',
    keepAlive: true,
  },
  {
    name: 'the same Content-Length on two lines (one value)',
    wire: 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello',
    status: 200,
    headers: { 'content-length': '5' },
    body: 'hello',
    keepAlive: true,
  },
  {
    name: 'optional whitespace around values, obs-text and an empty value',
    wire: 'HTTP/1.1 200 OK\r\nX-A:\t spaced \t\r\nX-Latin: caf\xe9\r\nX-Empty:\r\nContent-Length: 0\r\n\r\n',
    status: 200,
    headers: { 'x-a': 'spaced', 'x-latin': 'caf\xe9', 'x-empty': '', 'content-length': '0' },
    body: '',
    keepAlive: true,
  },
  {
    name: 'a status line without a reason phrase',
    wire: 'HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n',
    status: 404,
    statusText: '',
    headers: { 'content-length': '0' },
    body: '',
    keepAlive: true,
  },
  {
    name: 'a status line with an empty reason phrase',
    wire: 'HTTP/1.1 500 \r\nContent-Length: 0\r\n\r\n',
    status: 500,
    statusText: '',
    headers: { 'content-length': '0' },
    body: '',
    keepAlive: true,
  },
];

describe('Http1ResponseParser reads a valid answer', () => {
  it.each(valid)('$name', (example) => {
    const expected: Parsed = {
      heads: [
        {
          status: example.status,
          statusText: example.statusText ?? (example.status === 200 ? 'OK' : ''),
          headers: example.headers,
        },
      ],
      body: example.body,
      trailers: [example.trailers ?? {}],
      done: true,
      keepAlive: example.keepAlive,
      extra: 0,
    };
    const options = { end: example.end ?? false };
    // Not a sample: every cut of the bytes must give the same answer.
    for (const { name, pieces } of splits(bytes(example.wire)))
      expect(feed(example.method ?? 'GET', pieces, options), name).toEqual(expected);
  });

  it('does not finish a close-delimited body before the server closes', () => {
    const parsed = feed('GET', [bytes('HTTP/1.1 200 OK\r\n\r\nsome')]);
    expect(parsed.done).toBe(false);
    expect(parsed.body).toBe('some');
  });

  it('reads the next answer on the same connection after expect()', () => {
    const ends: ResponseHeaders[] = [];
    const statuses: number[] = [];
    const parser = new Http1ResponseParser(
      { onHead: (status) => statuses.push(status), onBody: () => {}, onEnd: (t) => ends.push(t) },
      1024,
    );
    parser.expect('GET');
    expect(parser.push(bytes('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na'))).toBe(0);
    expect(parser.done).toBe(true);
    parser.expect('DELETE');
    expect(parser.done).toBe(false);
    expect(parser.push(bytes('HTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n\r\nb'))).toBe(0);
    expect(parser.done).toBe(true);
    expect(statuses).toEqual([200, 404]);
    expect(ends).toHaveLength(2);
  });

  it('tells whether any byte of the expected answer has arrived', () => {
    const parser = new Http1ResponseParser({ onHead() {}, onBody() {}, onEnd() {} }, 1024);
    parser.expect('GET');
    expect(parser.started).toBe(false);
    parser.push(bytes('H'));
    expect(parser.started).toBe(true);
    parser.reset();
    parser.expect('GET');
    expect(parser.started).toBe(false);
    // An informational answer is an answer: a request that got one is not sent again.
    parser.push(bytes('HTTP/1.1 100 Continue\r\n\r\n'));
    expect(parser.done).toBe(false);
    expect(parser.started).toBe(true);
  });
});

interface RefusalCase {
  readonly name: string;
  readonly method?: string;
  readonly wire: string;
  /** The server closes after the bytes: the refusal comes from `end()`. */
  readonly end?: boolean;
  readonly maxHeadBytes?: number;
}

const head = (fields: string) => `HTTP/1.1 200 OK\r\n${fields}\r\n`;
const chunked = (body: string) => `${head('Transfer-Encoding: chunked\r\n')}${body}`;

const refusals: RefusalCase[] = [
  // Framing ambiguities (the ingredients of a desync).
  {
    name: 'Transfer-Encoding and Content-Length',
    wire: chunked('').replace('\r\n\r\n', '\r\nContent-Length: 5\r\n\r\n'),
  },
  {
    name: 'Content-Length before Transfer-Encoding',
    wire: head('Content-Length: 5\r\nTransfer-Encoding: chunked\r\n'),
  },
  { name: 'differing Content-Length values in one field', wire: head('Content-Length: 5, 6\r\n') },
  { name: 'differing Content-Length fields', wire: head('Content-Length: 5\r\nContent-Length: 6\r\n') },
  { name: 'the same length written differently', wire: head('Content-Length: 5, 05\r\n') },
  { name: 'a non-digit Content-Length', wire: head('Content-Length: abc\r\n') },
  { name: 'a negative Content-Length', wire: head('Content-Length: -5\r\n') },
  { name: 'a hex Content-Length', wire: head('Content-Length: 0x5\r\n') },
  { name: 'a signed Content-Length', wire: head('Content-Length: +5\r\n') },
  { name: 'an exponent Content-Length', wire: head('Content-Length: 1e3\r\n') },
  { name: 'an empty Content-Length', wire: head('Content-Length:\r\n') },
  { name: 'an empty Content-Length list member', wire: head('Content-Length: 5,\r\n') },
  { name: 'two numbers in one Content-Length', wire: head('Content-Length: 5 5\r\n') },
  { name: 'an overlong Content-Length', wire: head('Content-Length: 1234567890123456\r\n') },
  { name: 'a Content-Length ending in a no-break space', wire: head('Content-Length: 5\xa0\r\n') },
  { name: 'Transfer-Encoding: gzip, chunked', wire: chunked('').replace('chunked', 'gzip, chunked') },
  { name: 'Transfer-Encoding: chunked, identity', wire: chunked('').replace('chunked', 'chunked, identity') },
  { name: 'Transfer-Encoding: xchunked', wire: chunked('').replace('chunked', 'xchunked') },
  { name: 'Transfer-Encoding: identity', wire: chunked('').replace('chunked', 'identity') },
  {
    name: 'Transfer-Encoding: chunked twice',
    wire: head('Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n'),
  },
  {
    name: 'Transfer-Encoding ending in a no-break space',
    wire: chunked('').replace('chunked', 'chunked\xa0'),
  },
  {
    name: 'Transfer-Encoding in HTTP/1.0',
    wire: 'HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  },
  // Malformed heads.
  { name: 'an obs-fold continuation line', wire: head('X-A: a\r\n b\r\nContent-Length: 0\r\n') },
  {
    name: 'an obs-fold continuation line with a colon',
    wire: head('X-A: a\r\n\tx: b\r\nContent-Length: 0\r\n'),
  },
  { name: 'a bare LF ending the status line', wire: 'HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n' },
  { name: 'a bare LF between header lines', wire: head('X-A: a\nContent-Length: 0\r\n') },
  { name: 'a bare LF ending a header value', wire: head('X-A: a\n\r\nContent-Length: 0\r\n') },
  { name: 'a bare LF starting a header line', wire: head('\nContent-Length: 0\r\n') },
  { name: 'a bare CR inside a header value', wire: head('X-A: a\rb\r\nContent-Length: 0\r\n') },
  { name: 'a bare CR ending a header value', wire: head('X-A: a\r\r\nContent-Length: 0\r\n') },
  { name: 'a bare CR starting a header value', wire: head('X-A:\ra\r\nContent-Length: 0\r\n') },
  { name: 'a bare CR ending the Content-Length value', wire: head('Content-Length: 0\r\r\n') },
  { name: 'a NUL in a header value', wire: head('X-A: a\0b\r\nContent-Length: 0\r\n') },
  { name: 'a vertical tab ending a header value', wire: head('X-A: a\v\r\nContent-Length: 0\r\n') },
  { name: 'a space before the colon', wire: head('Content-Length : 0\r\n') },
  { name: 'a header line without a colon', wire: head('X-A\r\nContent-Length: 0\r\n') },
  { name: 'a header line with an empty name', wire: head(': a\r\nContent-Length: 0\r\n') },
  { name: 'a non-token character in a header name', wire: head('X(A): a\r\nContent-Length: 0\r\n') },
  { name: 'status line HTTP/2.0', wire: 'HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n' },
  { name: 'status line HTTP/1.2', wire: 'HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n' },
  { name: 'a lower-case protocol name', wire: 'http/1.1 200 OK\r\nContent-Length: 0\r\n\r\n' },
  { name: 'a 2-digit status', wire: 'HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n' },
  { name: 'a 4-digit status', wire: 'HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n' },
  { name: 'a status with a leading zero', wire: 'HTTP/1.1 099 OK\r\nContent-Length: 0\r\n\r\n' },
  { name: 'two spaces before the status', wire: 'HTTP/1.1  200 OK\r\nContent-Length: 0\r\n\r\n' },
  { name: 'a missing status line', wire: 'Content-Length: 0\r\n\r\n' },
  { name: 'an empty line before the status line', wire: '\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n' },
  {
    name: 'a 101 Switching Protocols nobody asked for',
    wire: 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n',
  },
  {
    name: 'a 101 after a 100',
    wire: 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 101 Switching Protocols\r\n\r\n',
  },
  {
    name: 'a complete head over maxHeadBytes',
    wire: head(`X-Big: ${'a'.repeat(200)}\r\nContent-Length: 0\r\n`),
    maxHeadBytes: 128,
  },
  {
    name: 'an unfinished head over maxHeadBytes',
    wire: `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(200)}`,
    maxHeadBytes: 128,
  },
  // Malformed chunked bodies.
  { name: 'a non-hex chunk size', wire: chunked('x\r\nabc\r\n0\r\n\r\n') },
  { name: 'a negative chunk size', wire: chunked('-1\r\na\r\n0\r\n\r\n') },
  { name: 'a 0x-prefixed chunk size', wire: chunked('0x3\r\nabc\r\n0\r\n\r\n') },
  { name: 'an empty chunk-size line', wire: chunked('\r\nabc\r\n0\r\n\r\n') },
  { name: 'a space before the chunk size', wire: chunked(' 3\r\nabc\r\n0\r\n\r\n') },
  { name: 'a chunk size over 12 hex digits', wire: chunked('1000000000000\r\nabc\r\n0\r\n\r\n') },
  { name: 'chunk data longer than its size', wire: chunked('3\r\nabcd\r\n0\r\n\r\n') },
  { name: 'chunk data shorter than its size', wire: chunked('5\r\nabc\r\n0\r\n\r\n') },
  { name: 'a bare LF after the chunk size', wire: chunked('3\nabc\r\n0\r\n\r\n') },
  { name: 'a bare LF after the chunk data', wire: chunked('3\r\nabc\n0\r\n\r\n') },
  { name: 'a bare CR in a chunk extension', wire: chunked('3;a\rb\r\nabc\r\n0\r\n\r\n') },
  { name: 'an overlong chunk-size line', wire: chunked(`3;${'e'.repeat(5000)}\r\nabc\r\n0\r\n\r\n`) },
  { name: 'an unfinished overlong chunk-size line', wire: chunked(`3;${'e'.repeat(5000)}`) },
  { name: 'a bare LF ending the last chunk', wire: chunked('3\r\nabc\r\n0\n\r\n') },
  { name: 'a bare LF in the trailers', wire: chunked('0\r\nX-A: a\n\r\n') },
  { name: 'a malformed trailer field', wire: chunked('0\r\nnot a field\r\n\r\n') },
  { name: 'a trailer with a space before the colon', wire: chunked('0\r\nX-A : a\r\n\r\n') },
  { name: 'a bare CR ending a trailer value', wire: chunked('0\r\nX-A: a\r\r\n\r\n') },
  { name: 'an overlong trailer section', wire: chunked(`0\r\n${'X-A: aaaaaaaaaa\r\n'.repeat(300)}\r\n`) },
];

describe('Http1ResponseParser refuses', () => {
  it.each(refusals)('$name', (example) => {
    const options = { end: example.end ?? false, maxHeadBytes: example.maxHeadBytes ?? 64 * 1024 };
    const wire = bytes(example.wire);
    // Whole, and byte by byte (a head over its cap must be caught when it trickles in, too).
    const ways = [
      { name: 'in one piece', pieces: [wire] },
      { name: 'byte by byte', pieces: [...wire].map((byte) => Buffer.from([byte])) },
    ];
    for (const { name, pieces } of ways) {
      let thrown: unknown;
      try {
        feed(example.method ?? 'GET', pieces, options);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, name).toBeInstanceOf(Http1ProtocolError);
      expect((thrown as Http1ProtocolError).code).toBe('UPSTREAM_HTTP1_PROTOCOL');
    }
  });
});

describe('Http1ResponseParser tells an answer cut short by the server from a complete one', () => {
  // A cut is a broken connection, not a malformed answer: end() says so instead of throwing, and
  // the client reports it as a closed connection (a GET that got no byte may go again).
  const cutShort: { name: string; wire: string }[] = [
    { name: 'a close before any byte', wire: '' },
    { name: 'a close in the status line', wire: 'HTTP/1.1 200' },
    { name: 'a close in the head', wire: 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n' },
    { name: 'a close after a 100 Continue', wire: 'HTTP/1.1 100 Continue\r\n\r\n' },
    {
      name: 'a close before the Content-Length is reached',
      wire: `${head('Content-Length: 5\r\n')}hel`,
    },
    { name: 'a close in a chunk', wire: chunked('5\r\nhel') },
    { name: 'a close before the last chunk', wire: chunked('5\r\nhello\r\n') },
    { name: 'a close in the trailers', wire: chunked('0\r\nX-A: a\r\n') },
  ];

  it.each(cutShort)('$name: end() is false and no end is reported', ({ name: _name, wire }) => {
    const ends: ResponseHeaders[] = [];
    const parser = new Http1ResponseParser(
      { onHead: () => {}, onBody: () => {}, onEnd: (fields) => ends.push(fields) },
      64 * 1024,
    );
    parser.expect('GET');
    parser.push(bytes(wire));
    expect(parser.end()).toBe(false);
    expect(parser.done).toBe(false);
    expect(ends).toEqual([]);
  });

  it('end() is true for an answer that ends with the close, and for one already complete', () => {
    const parser = new Http1ResponseParser(
      { onHead: () => {}, onBody: () => {}, onEnd: () => {} },
      64 * 1024,
    );
    parser.expect('GET');
    parser.push(bytes('HTTP/1.1 200 OK\r\n\r\nuntil the close'));
    expect(parser.end()).toBe(true);
    expect(parser.done).toBe(true);
    parser.expect('GET');
    parser.push(bytes('HTTP/1.1 204 No Content\r\n\r\n'));
    expect(parser.end()).toBe(true);
  });
});

describe('Http1ResponseParser reports bytes after the end of an answer', () => {
  const smuggled = 'HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled';
  it.each([
    { name: 'after a Content-Length body', method: 'GET', wire: `${head('Content-Length: 5\r\n')}hello` },
    { name: 'after a chunked body', method: 'GET', wire: chunked('5\r\nhello\r\n0\r\n\r\n') },
    { name: 'after the answer to HEAD', method: 'HEAD', wire: head('Content-Length: 5\r\n') },
    { name: 'after a 204', method: 'GET', wire: 'HTTP/1.1 204 No Content\r\n\r\n' },
  ])('$name (a desync: the connection must not be reused)', ({ method, wire }) => {
    const answer = bytes(wire);
    const parsed = feed(method, [Buffer.concat([answer, bytes(smuggled)])]);
    expect(parsed.done).toBe(true);
    expect(parsed.heads).toHaveLength(1);
    expect(parsed.extra).toBe(smuggled.length);
    expect(parsed.body).not.toContain('smuggled');
    // Arriving in a later read, every byte of it is reported.
    const later = feed(method, [answer, bytes(smuggled)]);
    expect(later.extra).toBe(smuggled.length);
  });

  it('reports every byte that arrives when no answer is expected', () => {
    const parser = new Http1ResponseParser({ onHead() {}, onBody() {}, onEnd() {} }, 1024);
    expect(parser.push(bytes(smuggled))).toBe(smuggled.length);
    parser.expect('GET');
    parser.push(bytes('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
    parser.reset();
    expect(parser.push(bytes('x'))).toBe(1);
  });
});
