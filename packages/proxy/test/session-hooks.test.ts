import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import {
  type AuditEvent,
  type AuditSink,
  type Identity,
  MemoryRecordingStore,
  type RecordingChunk,
  type RecordingStore,
} from '@remoteler/core';
import {
  channelProtocolInfo,
  encodeChannelMessage,
  encodeTerminalSize,
  encodeWebSocketFrame,
  execExitStatus,
  StreamChannel,
} from '@remoteler/core/wire';
import { describe, expect, it } from 'vitest';
import { type ProxyExchange, SessionHooks, toAsciicast } from '../src/index.js';

// The session hooks fed with the bytes of a v5.channel.k8s.io exec session as the relay sees them:
// masked client frames, unmasked server frames, then the close.

const V5 = channelProtocolInfo('v5.channel.k8s.io')!;
const MASK = Buffer.from([1, 2, 3, 4]);
const clientFrame = (channel: number, data: Uint8Array | string) =>
  encodeWebSocketFrame({
    opcode: 2,
    payload: encodeChannelMessage(V5, channel, data).data as Buffer,
    mask: MASK,
  });
const serverFrame = (channel: number, data: Uint8Array | string) =>
  encodeWebSocketFrame({ opcode: 2, payload: encodeChannelMessage(V5, channel, data).data as Buffer });
const serverClose = encodeWebSocketFrame({ opcode: 8, payload: Buffer.from([0x03, 0xe8]) });
const head = Buffer.from(
  'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n',
  'latin1',
);

function execExchange(query: string): ProxyExchange {
  return {
    kind: 'upgrade',
    req: {} as IncomingMessage,
    res: undefined,
    socket: new PassThrough(),
    head: undefined,
    receivedAt: new Date(0),
    clientAddress: '127.0.0.1',
    signal: new AbortController().signal,
    aborted: false,
    identity: { username: 'alice', roles: ['developer'] } as unknown as Identity,
    cluster: { name: 'dev', labels: {} } as ProxyExchange['cluster'],
    route: {
      clusterName: 'dev',
      source: 'prefix',
      path: '/api/v1/namespaces/team/pods/web-0/exec',
      query,
    } as unknown as ProxyExchange['route'],
    attributes: {
      isResourceRequest: true,
      verb: 'exec',
      path: '/api/v1/namespaces/team/pods/web-0/exec',
      apiPrefix: 'api',
      apiGroup: '',
      apiVersion: 'v1',
      resource: 'pods',
      subresource: 'exec',
      namespace: 'team',
      name: 'web-0',
    },
  };
}

/** Plays one TTY session: a resize, the password typed at a prompt, output, exit code 4. */
async function play(hooks: SessionHooks, clock: { ms: number }) {
  const observer = hooks.observe(
    execExchange('command=sh&command=-c&command=login&container=app&stdin=true&stdout=true&tty=true'),
  );
  observer.established(head);
  observer.fromClient(clientFrame(StreamChannel.RESIZE, encodeTerminalSize({ width: 100, height: 30 })));
  clock.ms += 10;
  observer.fromServer(serverFrame(StreamChannel.STDOUT, 'Password: '));
  clock.ms += 10;
  observer.fromClient(clientFrame(StreamChannel.STDIN, 'hunter2\r'));
  clock.ms += 10;
  observer.fromServer(serverFrame(StreamChannel.STDOUT, 'welcome ✓\r\n'));
  observer.fromServer(serverFrame(StreamChannel.ERROR, JSON.stringify(execExitStatus(4, ['sh']))));
  observer.fromServer(serverClose);
  clock.ms += 5;
  observer.closed();
  await hooks.settled();
}

function collectingSink(): AuditSink & { events: AuditEvent[] } {
  const events: AuditEvent[] = [];
  return {
    capabilities: { search: false, durable: false },
    events,
    emit: async (event) => {
      events.push(event);
    },
    flush: async () => {},
    close: async () => {},
  };
}

describe('session hooks', () => {
  it('audit session.start and session.end with command, container, exit code and duration', async () => {
    const clock = { ms: Date.parse('2026-01-01T00:00:00Z') };
    const audit = collectingSink();
    const errors: unknown[] = [];
    await play(
      new SessionHooks({ audit, onError: (e) => errors.push(e), now: () => new Date(clock.ms) }),
      clock,
    );
    expect(errors).toEqual([]);
    expect(audit.events.map((e) => e.type)).toEqual(['session.start', 'session.end']);
    expect(audit.events[0]).toMatchObject({
      code: 'R4000I',
      user: 'alice',
      cluster: 'dev',
      namespace: 'team',
      pod: 'web-0',
      container: 'app',
      command: ['sh', '-c', 'login'],
      tty: true,
      protocol: 'v5.channel.k8s.io',
      clientIp: '127.0.0.1',
      time: '2026-01-01T00:00:00.000Z',
    });
    expect(audit.events[1]).toMatchObject({ code: 'R4001I', exitCode: 4, recorded: false, durationMs: 35 });
    expect(audit.events[1]).toHaveProperty('sessionId', (audit.events[0] as { sessionId: string }).sessionId);
  });

  it('record output and resizes with offsets from the start, never what was typed', async () => {
    const clock = { ms: Date.parse('2026-01-01T00:00:00Z') };
    const recordings = new MemoryRecordingStore();
    const events: string[] = [];
    const hooks = new SessionHooks({
      recordings,
      onSessionEvent: (_session, event) => events.push(event.kind),
      onError: (e) => {
        throw e;
      },
      now: () => new Date(clock.ms),
    });
    await play(hooks, clock);
    const [metadata] = await recordings.list();
    expect(metadata).toMatchObject({
      status: 'complete',
      exitCode: 4,
      command: ['sh', '-c', 'login'],
      tty: true,
    });
    const chunks: RecordingChunk[] = [];
    for await (const chunk of await recordings.read(metadata!.sessionId)) chunks.push(chunk);
    expect(chunks.map((c) => [c.kind, c.offsetMs])).toEqual([
      ['resize', 0],
      ['stdout', 10],
      ['stdout', 30],
    ]);
    const text = chunks.map((c) => (c.kind === 'stdout' ? Buffer.from(c.data).toString() : '')).join('');
    expect(text).not.toContain('hunter2');
    // The hook listener still sees stdin (for live monitoring), in wire order.
    expect(events).toEqual(['resize', 'stdout', 'stdin', 'stdout', 'status', 'closed']);

    const cast = (await toAsciicast(metadata!, chunks))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(cast[0]).toMatchObject({ version: 2, width: 100, height: 30, command: 'sh -c login' });
    expect(cast.slice(1)).toEqual([
      [0.01, 'o', 'Password: '],
      [0.03, 'o', 'welcome ✓\r\n'],
    ]);
    await recordings.close();
  });

  it('report a failing audit sink to onError with RMT_PROXY_AUDIT_FAILED instead of dropping the event', async () => {
    const clock = { ms: 0 };
    const errors: unknown[] = [];
    const failing: AuditSink = {
      ...collectingSink(),
      emit: () => Promise.reject(new Error('disk full')),
    };
    await play(
      new SessionHooks({ audit: failing, onError: (e) => errors.push(e), now: () => new Date(clock.ms) }),
      clock,
    );
    expect(errors.map((e) => (e as { code: string }).code)).toEqual([
      'RMT_PROXY_AUDIT_FAILED',
      'RMT_PROXY_AUDIT_FAILED',
    ]);
    expect(errors.map((e) => (e as { details: { type: string } }).details.type)).toEqual([
      'session.start',
      'session.end',
    ]);
  });

  it('abort the recording when the store fails, report RMT_PROXY_RECORDING_FAILED, and still audit the end', async () => {
    const clock = { ms: 0 };
    const errors: unknown[] = [];
    const audit = collectingSink();
    const inner = new MemoryRecordingStore();
    let aborted = false;
    const store: RecordingStore = {
      ...inner,
      capabilities: inner.capabilities,
      get: (id) => inner.get(id),
      list: (q) => inner.list(q),
      read: (id) => inner.read(id),
      close: () => inner.close(),
      create: async (start) => {
        const writer = await inner.create(start);
        return {
          sessionId: writer.sessionId,
          write: () => Promise.reject(new Error('bucket unavailable')),
          finish: (end) => writer.finish(end),
          abort: (at) => {
            aborted = true;
            return writer.abort(at);
          },
        };
      },
    };
    await play(
      new SessionHooks({
        audit,
        recordings: store,
        onError: (e) => errors.push(e),
        now: () => new Date(clock.ms),
      }),
      clock,
    );
    expect(errors.map((e) => (e as { code: string }).code)).toEqual(['RMT_PROXY_RECORDING_FAILED']);
    expect(aborted).toBe(true);
    expect(audit.events.at(-1)).toMatchObject({ type: 'session.end', exitCode: 4, recorded: true });
    await inner.close();
  });

  it('give up recording rather than buffer without bound when the store falls behind', async () => {
    const clock = { ms: 0 };
    const errors: unknown[] = [];
    const inner = new MemoryRecordingStore();
    let release: () => void = () => {};
    const stalled = new Promise<void>((resolve) => {
      release = resolve;
    });
    const store: RecordingStore = {
      capabilities: inner.capabilities,
      get: (id) => inner.get(id),
      list: (q) => inner.list(q),
      read: (id) => inner.read(id),
      close: () => inner.close(),
      create: async (start) => {
        const writer = await inner.create(start);
        return {
          ...writer,
          sessionId: writer.sessionId,
          write: () => stalled,
          finish: (e) => writer.finish(e),
          abort: (at) => writer.abort(at),
        };
      },
    };
    const hooks = new SessionHooks({
      recordings: store,
      maxPendingRecordingBytes: 16,
      onError: (e) => errors.push(e),
      now: () => new Date(clock.ms),
    });
    const done = play(hooks, clock);
    release();
    await done;
    expect(errors.map((e) => (e as { code: string }).code)).toEqual(['RMT_PROXY_RECORDING_FAILED']);
    const [metadata] = await inner.list();
    expect(metadata?.status).toBe('aborted');
    await inner.close();
  });
});
