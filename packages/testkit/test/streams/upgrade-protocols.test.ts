import { randomBytes } from 'node:crypto';
import { encodeChannelClose, encodeTerminalSize, parseExecOutcome } from '@remoteler/core/wire';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DEFAULT_WEBSOCKET_EXEC_START_DELAY_MS, PodStreamServer } from '../../src/streams/index.js';
import { tunnelClientPipe } from './support/raw-websocket.js';
import { SpdyTestClient } from './support/spdy-test-client.js';
import { startUpgradeHarness, type UpgradeHarness } from './support/upgrade-harness.js';

let harness: UpgradeHarness;
beforeEach(async () => {
  harness = await startUpgradeHarness();
});
afterEach(async () => {
  await harness.close();
});

const execPath = (args: string[], flags: string[] = ['stdout', 'stderr'], container = 'app') =>
  `/api/v1/namespaces/default/pods/web-0/exec?${[
    ...args.map((arg) => `command=${encodeURIComponent(arg)}`),
    `container=${container}`,
    ...flags.map((flag) => `${flag}=true`),
  ].join('&')}`;

interface WsRun {
  readonly channels: Map<number, Buffer>;
  readonly closeCode: number;
  readonly textMessages: string[];
}

function wsExec(
  path: string,
  protocol: string | undefined,
  stdin?: (ws: WebSocket) => void,
  port = harness.port,
): Promise<WsRun> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, protocol ? [protocol] : []);
    const channels = new Map<number, Buffer>();
    const textMessages: string[] = [];
    ws.on('open', () => stdin?.(ws));
    ws.on('message', (data: Buffer, binary) => {
      if (!binary) {
        textMessages.push(data.toString());
        return;
      }
      const channel = data[0]!;
      channels.set(channel, Buffer.concat([channels.get(channel) ?? Buffer.alloc(0), data.subarray(1)]));
    });
    ws.on('close', (closeCode) => resolve({ channels, closeCode, textMessages }));
    ws.on('error', reject);
  });
}

describe('exec over WebSocket', () => {
  it('v5: streams stdout and stderr, then the exit status on channel 3 and a close frame 1000', async () => {
    const run = await wsExec(execPath(['sh', '-c', 'echo out; echo err >&2; exit 3']), 'v5.channel.k8s.io');
    expect(run.channels.get(1)?.toString()).toBe('out\n');
    expect(run.channels.get(2)?.toString()).toBe('err\n');
    expect(parseExecOutcome(run.channels.get(3)!)).toMatchObject({ success: false, exitCode: 3 });
    expect(JSON.parse(run.channels.get(3)!.toString())).toMatchObject({
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
    expect(run.closeCode).toBe(1000);
    const [record] = harness.streams.runtime.sessions;
    expect(record).toMatchObject({
      kind: 'exec',
      command: ['sh', '-c', 'echo out; echo err >&2; exit 3'],
      exitCode: 3,
    });
  });

  it('v5: feeds stdin to the process until the CLOSE signal ff 00, and records it', async () => {
    const run = await wsExec(execPath(['cat'], ['stdin', 'stdout', 'stderr']), 'v5.channel.k8s.io', (ws) => {
      ws.send(Buffer.from('\u0000hello '));
      ws.send(Buffer.from('\u0000world\n'));
      ws.send(encodeChannelClose(0));
    });
    expect(run.channels.get(1)?.toString()).toBe('hello world\n');
    expect(JSON.parse(run.channels.get(3)!.toString())).toEqual({ metadata: {}, status: 'Success' });
    expect(harness.streams.runtime.sessions[0]?.stdin.toString()).toBe('hello world\n');
  });

  it('v4.base64: uses text messages with a channel digit and base64 data', async () => {
    const run = await wsExec(execPath(['echo', 'hi']), 'v4.base64.channel.k8s.io');
    expect(run.textMessages).toContain(`1${Buffer.from('hi\n').toString('base64')}`);
    expect(run.textMessages.some((message) => message.startsWith('3'))).toBe(true);
  });

  it('channel.k8s.io: sends the failure text on channel 3 and nothing on success', async () => {
    const failed = await wsExec(execPath(['sh', '-c', 'exit 2']), 'channel.k8s.io');
    expect(failed.channels.get(3)?.toString()).toMatch(/non-zero exit code/);
    const succeeded = await wsExec(execPath(['true']), 'channel.k8s.io');
    expect(succeeded.channels.has(3)).toBe(false);
  });

  it('delivers TTY resizes on channel 4 to the process', async () => {
    harness.streams.runtime.defineProgram('size', async (context) => {
      const size = context.terminal.current ?? (await new Promise((resolve) => context.terminal.on(resolve)));
      await context.stdout.write(`${JSON.stringify(size)}\n`);
      return 0;
    });
    const run = await wsExec(execPath(['size'], ['stdin', 'stdout', 'tty']), 'v5.channel.k8s.io', (ws) => {
      ws.send(Buffer.concat([Buffer.from([4]), encodeTerminalSize({ width: 120, height: 40 })]));
    });
    expect(run.channels.get(1)?.toString()).toBe('{"width":120,"height":40}\r\n');
  });

  it('refuses an upgrade with no acceptable subprotocol with a bare 403, as the kubelet does', async () => {
    const answer = await harness.upgrade(
      execPath(['echo']),
      {
        Upgrade: 'websocket',
        'Sec-WebSocket-Key': Buffer.alloc(16, 1).toString('base64'),
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Protocol': 'v3.channel.k8s.io, nope',
      },
      'GET',
    );
    expect(answer).toMatchObject({ upgraded: false, status: 403, body: '' });
  });
});

// kubectl 1.30-1.33 start reading the WebSocket before they register their channel readers, and drop
// what arrives meanwhile: the output, even the Status and the close ("error: closed all streams").
describe('when a WebSocket exec starts its process', () => {
  it('not before the client has sent a message, however long the start delay', async () => {
    const held = await startUpgradeHarness(undefined, { webSocketExecStartDelayMs: 3_600_000 });
    try {
      const path = execPath(['sh', '-c', 'echo early; cat'], ['stdin', 'stdout']);
      const ws = new WebSocket(`ws://127.0.0.1:${held.port}${path}`, ['v5.channel.k8s.io']);
      const messages: Buffer[] = [];
      ws.on('message', (data: Buffer) => messages.push(data));
      const closed = new Promise<number>((resolve) => ws.once('close', resolve));
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      // The pong follows on the wire whatever the server sent before it read the ping; a process
      // started with the upgrade would have sent "early\n" by then.
      const pong = new Promise((resolve) => ws.once('pong', resolve));
      ws.ping();
      await pong;
      expect(messages).toEqual([Buffer.from([1])]);
      expect(held.streams.runtime.sessions).toHaveLength(0);

      ws.send(Buffer.from('\u0000typed\n'));
      ws.send(encodeChannelClose(0));
      expect(await closed).toBe(1000);
      const stdout = Buffer.concat(messages.filter((m) => m[0] === 1).map((m) => m.subarray(1)));
      expect(stdout.toString()).toBe('early\ntyped\n');
      const status = messages.find((m) => m[0] === 3)!.subarray(1);
      expect(JSON.parse(status.toString())).toEqual({ metadata: {}, status: 'Success' });
      expect(held.streams.runtime.sessions).toHaveLength(1);
    } finally {
      await held.close();
    }
  });

  it('by itself after the start delay when the client sends nothing (kubectl cp: tar cf - <path>)', async () => {
    const quick = await startUpgradeHarness(undefined, { webSocketExecStartDelayMs: 1 });
    try {
      const run = await wsExec(
        execPath(['echo', 'hi'], ['stdout']),
        'v5.channel.k8s.io',
        undefined,
        quick.port,
      );
      expect(run.channels.get(1)?.toString()).toBe('hi\n');
      expect(JSON.parse(run.channels.get(3)!.toString())).toEqual({ metadata: {}, status: 'Success' });
      expect(run.closeCode).toBe(1000);
    } finally {
      await quick.close();
    }
  });

  it('refuses a start delay that is not a number of milliseconds >= 0', () => {
    for (const webSocketExecStartDelayMs of [-1, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => new PodStreamServer({ webSocketExecStartDelayMs })).toThrow(
        expect.objectContaining({ code: 'RMT_TESTKIT_OPTIONS_INVALID' }),
      );
    expect(DEFAULT_WEBSOCKET_EXEC_START_DELAY_MS).toBeGreaterThan(0);
  });
});

describe('bad exec requests get the API server Status before any upgrade', () => {
  const spdyHeaders = { Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'v4.channel.k8s.io' };

  it('exec without a command: 400 BadRequest "you must specify at least 1 command"', async () => {
    const answer = await harness.upgrade(execPath([]), spdyHeaders);
    expect(answer.upgraded).toBe(false);
    if (answer.upgraded) return;
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'you must specify at least 1 command',
      reason: 'BadRequest',
      code: 400,
    });
  });

  it('an unknown container: 400 BadRequest "container x is not valid for pod web-0"', async () => {
    const answer = await harness.upgrade(execPath(['ls'], ['stdout'], 'nope'), spdyHeaders);
    expect(answer).toMatchObject({ upgraded: false, status: 400 });
    if (answer.upgraded) return;
    expect(JSON.parse(answer.body)).toMatchObject({
      message: 'container nope is not valid for pod web-0',
      reason: 'BadRequest',
    });
  });

  it('SPDY without X-Stream-Protocol-Version: 400; with none in common: 403 listing what the server accepts', async () => {
    const missing = await harness.upgrade(execPath(['ls']), { Upgrade: 'SPDY/3.1' });
    expect(missing).toMatchObject({
      upgraded: false,
      status: 400,
      body: 'unable to upgrade: X-Stream-Protocol-Version is required',
    });
    const unknown = await harness.upgrade(execPath(['ls']), {
      Upgrade: 'SPDY/3.1',
      'X-Stream-Protocol-Version': 'v9.channel.k8s.io',
    });
    expect(unknown).toMatchObject({ upgraded: false, status: 403 });
    if (unknown.upgraded) return;
    expect(unknown.body).toMatch(
      /^unable to upgrade: unable to negotiate protocol: client supports \[v9.channel.k8s.io\]/,
    );
    expect(unknown.headers['x-accepted-stream-protocol-versions']).toContain('v4.channel.k8s.io');
  });
});

describe('exec over SPDY/3.1', () => {
  it('negotiates v4 from kubectl 1.29+ offers (v5 first), runs cat with stdin and reports Success on the error stream', async () => {
    const answer = await harness.upgrade(execPath(['cat'], ['stdin', 'stdout', 'stderr']), {
      Upgrade: 'SPDY/3.1',
      'X-Stream-Protocol-Version': [
        'v5.channel.k8s.io',
        'v4.channel.k8s.io',
        'v3.channel.k8s.io',
        'v2.channel.k8s.io',
        'channel.k8s.io',
      ],
    });
    expect(answer.upgraded).toBe(true);
    if (!answer.upgraded) return;
    expect(answer.headers['x-stream-protocol-version']).toBe('v4.channel.k8s.io');
    const client = new SpdyTestClient(answer.socket, answer.head);
    const error = await client.open({ streamtype: ['error'] });
    const stdin = await client.open({ streamtype: ['stdin'] });
    const stdout = await client.open({ streamtype: ['stdout'] });
    const stderr = await client.open({ streamtype: ['stderr'] });
    await client.ping(1);
    await stdin.send('abc\n');
    await stdin.send('', true);
    expect((await stdout.received).toString()).toBe('abc\n');
    expect((await stderr.received).length).toBe(0);
    expect(JSON.parse((await error.received).toString())).toEqual({ metadata: {}, status: 'Success' });
    await client.goAway();
    await client.closed;
    expect(client.frames.filter((frame) => frame.type === 'syn_reply')).toHaveLength(4);
    expect(client.frames.some((frame) => frame.type === 'goaway')).toBe(true);
  });

  it('maps streams by streamtype, not by id, and carries the non-zero exit code', async () => {
    const answer = await harness.upgrade(execPath(['sh', '-c', 'exit 7'], ['stdout']), {
      Upgrade: 'SPDY/3.1',
      'X-Stream-Protocol-Version': 'v4.channel.k8s.io',
    });
    if (!answer.upgraded) throw new Error('not upgraded');
    const client = new SpdyTestClient(answer.socket, answer.head);
    const stdout = await client.open({ streamtype: ['stdout'] });
    const error = await client.open({ streamtype: ['error'] });
    await stdout.received;
    expect(parseExecOutcome(await error.received)).toMatchObject({ exitCode: 7 });
    answer.socket.destroy();
  });
  it('with a TTY expects a resize stream (v3+) instead of stderr, and delivers sizes to the process', async () => {
    harness.streams.runtime.defineProgram('size', async (context) => {
      const size = context.terminal.current ?? (await new Promise((resolve) => context.terminal.on(resolve)));
      await context.stdout.write(`${JSON.stringify(size)}\n`);
      return 0;
    });
    const answer = await harness.upgrade(execPath(['size'], ['stdin', 'stdout', 'tty']), {
      Upgrade: 'SPDY/3.1',
      'X-Stream-Protocol-Version': 'v4.channel.k8s.io',
    });
    if (!answer.upgraded) throw new Error('not upgraded');
    const client = new SpdyTestClient(answer.socket, answer.head);
    const error = await client.open({ streamtype: ['error'] });
    await client.open({ streamtype: ['stdin'] });
    const stdout = await client.open({ streamtype: ['stdout'] });
    const resize = await client.open({ streamtype: ['resize'] });
    // client-go's JSON encoder output may arrive split across DATA frames.
    await resize.send('{"Width":100,');
    await resize.send('"Height":30}\n');
    expect((await stdout.received).toString()).toBe('{"width":100,"height":30}\r\n');
    expect(parseExecOutcome(await error.received)).toMatchObject({ success: true });
    answer.socket.destroy();
  });

  it('v2 reports a failure as plain text on the error stream (no Status JSON before v4)', async () => {
    const answer = await harness.upgrade(execPath(['sh', '-c', 'exit 3'], ['stdout']), {
      Upgrade: 'SPDY/3.1',
      'X-Stream-Protocol-Version': 'v2.channel.k8s.io',
    });
    if (!answer.upgraded) throw new Error('not upgraded');
    expect(answer.headers['x-stream-protocol-version']).toBe('v2.channel.k8s.io');
    const client = new SpdyTestClient(answer.socket, answer.head);
    const error = await client.open({ streamtype: ['error'] });
    await client.open({ streamtype: ['stdout'] });
    expect((await error.received).toString()).toMatch(
      /^command terminated with non-zero exit code: .*exit code 3$/,
    );
    answer.socket.destroy();
  });
});

describe('port-forward', () => {
  it('over SPDY pairs error and data streams by requestid and echoes by default', async () => {
    const answer = await harness.upgrade('/api/v1/namespaces/default/pods/web-0/portforward', {
      Upgrade: 'SPDY/3.1',
      'X-Stream-Protocol-Version': 'portforward.k8s.io',
    });
    if (!answer.upgraded) throw new Error('not upgraded');
    expect(answer.headers['x-stream-protocol-version']).toBe('portforward.k8s.io');
    const client = new SpdyTestClient(answer.socket, answer.head);
    const error = await client.open({ streamtype: ['error'], port: ['80'], requestid: ['0'] });
    await error.send('', true);
    const data = await client.open({ streamtype: ['data'], port: ['80'], requestid: ['0'] });
    await data.send('ping over spdy', true);
    expect((await data.received).toString()).toBe('ping over spdy');
    expect((await error.received).length).toBe(0);
    answer.socket.destroy();
  });

  it('pairs streams of old clients without requestid by id (data = error + 2)', async () => {
    const answer = await harness.upgrade('/api/v1/namespaces/default/pods/web-0/portforward', {
      Upgrade: 'SPDY/3.1',
      'X-Stream-Protocol-Version': 'portforward.k8s.io',
    });
    if (!answer.upgraded) throw new Error('not upgraded');
    const client = new SpdyTestClient(answer.socket, answer.head);
    await client.open({ streamtype: ['error'], port: ['80'] });
    const data = await client.open({ streamtype: ['data'], port: ['80'] });
    await data.send('old client', true);
    expect((await data.received).toString()).toBe('old client');
    answer.socket.destroy();
  });

  it('reports a port with no listener on the error stream, as kubectl expects', async () => {
    harness.streams.runtime.setPortHandler('default', 'web-0', 81, null);
    const answer = await harness.upgrade('/api/v1/namespaces/default/pods/web-0/portforward', {
      Upgrade: 'SPDY/3.1',
      'X-Stream-Protocol-Version': 'portforward.k8s.io',
    });
    if (!answer.upgraded) throw new Error('not upgraded');
    const client = new SpdyTestClient(answer.socket, answer.head);
    const error = await client.open({ streamtype: ['error'], port: ['81'], requestid: ['0'] });
    await client.open({ streamtype: ['data'], port: ['81'], requestid: ['0'] });
    expect((await error.received).toString()).toMatch(
      /^error forwarding port 81 to pod default\/web-0.*connection refused/,
    );
    answer.socket.destroy();
  });

  it('refuses streams without a valid port with RST_STREAM', async () => {
    const answer = await harness.upgrade('/api/v1/namespaces/default/pods/web-0/portforward', {
      Upgrade: 'SPDY/3.1',
      'X-Stream-Protocol-Version': 'portforward.k8s.io',
    });
    if (!answer.upgraded) throw new Error('not upgraded');
    const client = new SpdyTestClient(answer.socket, answer.head);
    await client.open({ streamtype: ['data'], port: ['0'], requestid: ['0'] });
    expect(client.frames.find((frame) => frame.type === 'rst_stream')).toMatchObject({
      streamId: 1,
      status: 3,
    });
    answer.socket.destroy();
  });

  it('tunnels SPDY through a WebSocket (SPDY/3.1+portforward.k8s.io), to a real TCP server', async () => {
    const { createServer } = await import('node:net');
    const upstream = createServer((socket) => socket.end('hello from upstream'));
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const upstreamPort = (upstream.address() as import('node:net').AddressInfo).port;
    harness.streams.runtime.forwardPort('default', 'web-0', 8080, upstreamPort);
    const answer = await harness.upgrade(
      '/api/v1/namespaces/default/pods/web-0/portforward',
      {
        Upgrade: 'websocket',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Protocol': 'SPDY/3.1+portforward.k8s.io',
      },
      'GET',
    );
    if (!answer.upgraded) throw new Error(`not upgraded: ${answer.status}`);
    expect(answer.headers['sec-websocket-protocol']).toBe('SPDY/3.1+portforward.k8s.io');
    const client = new SpdyTestClient(tunnelClientPipe(answer.socket, answer.head));
    const error = await client.open({ streamtype: ['error'], port: ['8080'], requestid: ['0'] });
    const data = await client.open({ streamtype: ['data'], port: ['8080'], requestid: ['0'] });
    // The upstream closed after its greeting: the data stream FINs (kubectl then closes its local end).
    expect((await data.received).toString()).toBe('hello from upstream');
    await data.send('', true);
    expect((await error.received).length).toBe(0);
    answer.socket.destroy();
    await new Promise((resolve) => upstream.close(resolve));
  });
});

describe('session lifecycle', () => {
  it('answers WebSocket pings with pongs, which the read deadline of kubectl depends on', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${harness.port}${execPath(['sleep', '5'])}`, [
      'v5.channel.k8s.io',
    ]);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const pong = new Promise<Buffer>((resolve) => ws.once('pong', resolve));
    ws.ping(Buffer.from('are you there'));
    expect((await pong).toString()).toBe('are you there');
    ws.terminate();
  });

  it('close() ends every open session and refuses new ones with 503', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${harness.port}${execPath(['sleep', '3600'])}`, [
      'v5.channel.k8s.io',
    ]);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const answer = await harness.upgrade(execPath(['cat'], ['stdin', 'stdout']), {
      Upgrade: 'SPDY/3.1',
      'X-Stream-Protocol-Version': 'v4.channel.k8s.io',
    });
    if (!answer.upgraded) throw new Error('not upgraded');
    const client = new SpdyTestClient(answer.socket, answer.head);
    await client.open({ streamtype: ['error'] });
    const wsClosed = new Promise((resolve) => ws.once('close', resolve));
    expect(harness.streams.openSessions).toBe(2);
    harness.streams.close();
    harness.streams.close();
    await wsClosed;
    await client.closed;
    expect(client.frames.at(-1)).toMatchObject({ type: 'goaway', lastGoodStreamId: 1, status: 0 });
    expect(harness.streams.openSessions).toBe(0);
    const refused = await harness.upgrade(execPath(['ls']), {
      Upgrade: 'SPDY/3.1',
      'X-Stream-Protocol-Version': 'v4.channel.k8s.io',
    });
    expect(refused).toMatchObject({ upgraded: false, status: 503 });
  });

  it('attach joins the main process: resizes reach it and its output reaches every attached client', async () => {
    const app = { namespace: 'default', pod: 'web-0', container: 'app' };
    harness.streams.runtime.setMainProgram(app, async (context) => {
      context.terminal.on((size) => void context.stdout.write(`resized to ${size.width}x${size.height}\n`));
      for await (const chunk of context.stdin) await context.stdout.write(`main saw ${chunk.toString()}`);
      return 0;
    });
    const path = '/api/v1/namespaces/default/pods/web-0/attach?container=app&stdin=true&stdout=true&tty=true';
    const run = await wsExec(path, 'v5.channel.k8s.io', (ws) => {
      ws.send(Buffer.concat([Buffer.from([4]), encodeTerminalSize({ width: 80, height: 24 })]));
      ws.send(Buffer.from('\u0000typed\n'));
      ws.send(encodeChannelClose(0));
    });
    expect(run.channels.get(1)?.toString()).toBe('resized to 80x24\nmain saw typed\n');
    expect(JSON.parse(run.channels.get(3)!.toString())).toEqual({ metadata: {}, status: 'Success' });
    expect(harness.streams.runtime.sessions.at(-1)).toMatchObject({ kind: 'attach', exitCode: 0 });
  });
});

describe('channel-based WebSocket port-forward (not used by kubectl; client libraries use it)', () => {
  it('opens each channel with the port as uint16 little-endian, then echoes on the data channel', async () => {
    const run = await wsExec(
      '/api/v1/namespaces/default/pods/web-0/portforward?ports=8080',
      'v4.channel.k8s.io',
      (ws) => {
        ws.on('message', (data: Buffer) => {
          if (data.includes('echo me')) ws.close(1000);
        });
        ws.send(Buffer.from('\u0000echo me'));
      },
    );
    expect(run.channels.get(0)).toEqual(Buffer.concat([Buffer.from([0x90, 0x1f]), Buffer.from('echo me')]));
    expect(run.channels.get(1)).toEqual(Buffer.from([0x90, 0x1f]));
  });

  it('refuses unknown subprotocols with 403 and a missing ports query with 400', async () => {
    const headers = (protocol: string) => ({
      Upgrade: 'websocket',
      'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Protocol': protocol,
    });
    expect(
      await harness.upgrade(
        '/api/v1/namespaces/default/pods/web-0/portforward?ports=80',
        headers('v5.channel.k8s.io'),
        'GET',
      ),
    ).toMatchObject({
      upgraded: false,
      status: 403,
    });
    expect(
      await harness.upgrade(
        '/api/v1/namespaces/default/pods/web-0/portforward',
        headers('v4.channel.k8s.io'),
        'GET',
      ),
    ).toMatchObject({
      upgraded: false,
      status: 400,
    });
  });
});
