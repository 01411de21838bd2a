import { describe, expect, it } from 'vitest';
import {
  ContainerRuntime,
  collectingSink,
  ProcessInput,
  readTar,
  type SessionStreams,
  shellPrompt,
  TerminalSizeEvents,
  writeTar,
} from '../../src/streams/index.js';

const ref = { namespace: 'default', pod: 'web-0', container: 'app' };

async function run(runtime: ContainerRuntime, command: string[], input?: string | Buffer, tty = false) {
  const stdout = collectingSink();
  const stderr = collectingSink();
  const stdin = new ProcessInput();
  if (input !== undefined) stdin.push(input);
  stdin.end();
  const streams: SessionStreams = {
    stdin,
    stdout,
    stderr,
    tty,
    terminal: new TerminalSizeEvents(),
    signal: new AbortController().signal,
  };
  const result = await runtime.exec(ref, command, streams);
  return {
    ...result,
    stdout: stdout.bytes().toString(),
    stderr: stderr.bytes().toString(),
    raw: stdout.bytes(),
  };
}

describe('the fake shell', () => {
  it('runs echo, printf, exit codes, && / || and redirection to stderr', async () => {
    const runtime = new ContainerRuntime();
    const result = await run(runtime, [
      'sh',
      '-c',
      'echo "a  b" c; printf "%s-%d\\n" x 5; false || echo fallback; true && echo ok >&2; exit 4',
    ]);
    expect(result).toMatchObject({ exitCode: 4, stdout: 'a  b c\nx-5\nfallback\n', stderr: 'ok\n' });
    runtime.close();
  });

  it('expands variables and $?, knows env, pwd, whoami, hostname and cd', async () => {
    const runtime = new ContainerRuntime();
    const result = await run(runtime, [
      'sh',
      '-c',
      "X=1; false; echo $X:$?:'$X'; cd /tmp; pwd; whoami; hostname; env | cat",
    ]);
    expect(result.stdout).toMatch(/^1:1:\$X\n\/tmp\nroot\nweb-0\n/);
    expect(result.stdout).toContain('HOSTNAME=web-0\n');
    runtime.close();
  });

  it('answers an unknown command with exit 127 and a message', async () => {
    const runtime = new ContainerRuntime();
    expect(await run(runtime, ['sh', '-c', 'nope 1'])).toMatchObject({
      exitCode: 127,
      stderr: 'sh: nope: not found\n',
    });
    expect(await run(runtime, ['nope'])).toMatchObject({ exitCode: 127 });
    runtime.close();
  });

  it('writes files with > and >>, reads them with cat and <, and pipes', async () => {
    const runtime = new ContainerRuntime();
    const result = await run(runtime, [
      'sh',
      '-c',
      'echo one > /tmp/f; echo two >> /tmp/f; cat < /tmp/f | tail -c +5; ls /tmp',
    ]);
    expect(result.stdout).toBe('two\nf\n');
    expect(runtime.fileSystem(ref).readFile('/tmp/f').toString()).toBe('one\ntwo\n');
    runtime.close();
  });

  it('awaits sleep on a timer and stops it when the session ends', async () => {
    const runtime = new ContainerRuntime();
    expect(await run(runtime, ['sh', '-c', 'sleep 0.01; echo woke'])).toMatchObject({
      stdout: 'woke\n',
      exitCode: 0,
    });
    const abort = new AbortController();
    const pending = runtime.exec(ref, ['sleep', '3600'], {
      tty: false,
      terminal: new TerminalSizeEvents(),
      signal: abort.signal,
    });
    abort.abort();
    expect(await pending).toEqual({ exitCode: 137 });
    runtime.close();
  });

  it('runs an interactive TTY session: prompt, echo of input, line editing, \\r\\n output, exit', async () => {
    const runtime = new ContainerRuntime();
    const result = await run(runtime, ['sh'], 'echo hi\recho tyx\x7fpo\rexit 3\r', true);
    expect(result.exitCode).toBe(3);
    const prompt = shellPrompt('/');
    expect(result.stdout).toBe(
      `${prompt}echo hi\r\nhi\r\n${prompt}echo tyx\b \bpo\r\ntypo\r\n${prompt}exit 3\r\n`,
    );
    runtime.close();
  });

  it('runs custom programs, per pod overrides and records every session', async () => {
    const runtime = new ContainerRuntime();
    runtime.defineProgram('greet', async (context) => {
      await context.stdout.write(`hello ${context.argv[1]}\n`);
      return 9;
    });
    runtime.defineProgram('greet', () => 0, { namespace: 'other', pod: 'x' });
    expect(await run(runtime, ['greet', 'you'], 'in')).toMatchObject({ stdout: 'hello you\n', exitCode: 9 });
    expect(runtime.sessions[0]).toMatchObject({ command: ['greet', 'you'], exitCode: 9 });
    expect(runtime.sessions[0]?.stdin.toString()).toBe('in');
    expect(runtime.sessions[0]?.stdout.toString()).toBe('hello you\n');
    expect(await runtime.waitForSession((record) => record.exitCode === 9)).toBe(runtime.sessions[0]);
    runtime.close();
  });
});

describe('attach', () => {
  it('gives the main process the terminal size the client sent before the attach began', async () => {
    const runtime = new ContainerRuntime();
    runtime.setMainProgram(ref, async (context) => {
      context.terminal.on((size) => void context.stdout.write(`size ${size.width}x${size.height}\n`));
      for await (const _ of context.stdin);
      return 0;
    });
    const terminal = new TerminalSizeEvents();
    terminal.emit({ width: 100, height: 30 });
    const stdin = new ProcessInput();
    const stdout = collectingSink();
    const attached = runtime.attach(ref, {
      stdin,
      stdout,
      tty: true,
      terminal,
      signal: new AbortController().signal,
    });
    stdin.end();
    expect(await attached).toEqual({ exitCode: 0 });
    expect(stdout.bytes().toString()).toBe('size 100x30\n');
    runtime.close();
  });
});

describe('tar for kubectl cp', () => {
  it('writes `tar cf - /tmp/dir` with member names without the leading slash, and reads it back', async () => {
    const runtime = new ContainerRuntime();
    const fs = runtime.fileSystem(ref);
    fs.writeFile('/tmp/dir/a.txt', 'alpha', { parents: true });
    fs.writeFile(`/tmp/dir/${'n'.repeat(120)}.txt`, 'long', { parents: true });
    const result = await run(runtime, ['tar', 'cf', '-', '/tmp/dir']);
    expect(result.exitCode).toBe(0);
    const entries = readTar(result.raw);
    expect(entries.map((entry) => entry.name)).toEqual([
      'tmp/dir',
      'tmp/dir/a.txt',
      `tmp/dir/${'n'.repeat(120)}.txt`,
    ]);
    expect(entries[1]?.data.toString()).toBe('alpha');
    // Whole 10,240-byte records, as GNU tar's default blocking factor writes them.
    expect(result.raw.length % 10_240).toBe(0);
    runtime.close();
  });

  it('extracts `tar -xmf - -C /tmp` from stdin, and answers `test -d`', async () => {
    const runtime = new ContainerRuntime();
    const archive = writeTar([
      { name: 'dest.txt', type: 'file', mode: 0o600, mtime: new Date(0), data: Buffer.from('payload') },
    ]);
    expect(await run(runtime, ['tar', '-xmf', '-', '-C', '/tmp'], archive)).toMatchObject({ exitCode: 0 });
    expect(runtime.fileSystem(ref).readFile('/tmp/dest.txt').toString()).toBe('payload');
    expect(runtime.fileSystem(ref).stat('/tmp/dest.txt')?.mode).toBe(0o600);
    expect(await run(runtime, ['test', '-d', '/tmp'])).toMatchObject({ exitCode: 0 });
    expect(await run(runtime, ['test', '-d', '/tmp/dest.txt'])).toMatchObject({ exitCode: 1 });
    expect(
      await run(
        runtime,
        ['tar', '--no-same-permissions', '--no-same-owner', '-xmf', '-', '-C', '/nope'],
        archive,
      ),
    ).toMatchObject({ exitCode: 2 });
    runtime.close();
  });

  it('reports a missing source like GNU tar', async () => {
    const runtime = new ContainerRuntime();
    const result = await run(runtime, ['tar', 'cf', '-', '/tmp/missing']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('tar: /tmp/missing: Cannot stat: No such file or directory');
    runtime.close();
  });
});

describe('port handlers', () => {
  it('echo on every port by default, refuse with unhandledPorts: refuse, and reject ports outside 1-65535', () => {
    const echoing = new ContainerRuntime();
    expect(echoing.portHandler('default', 'web-0', 80)).toBeTypeOf('function');
    echoing.setPortHandler('default', 'web-0', 80, null);
    expect(echoing.portHandler('default', 'web-0', 80)).toBeUndefined();
    const refusing = new ContainerRuntime({ unhandledPorts: 'refuse' });
    expect(refusing.portHandler('default', 'web-0', 80)).toBeUndefined();
    expect(() => refusing.setPortHandler('default', 'web-0', 0, null)).toThrow(
      expect.objectContaining({ code: 'RMT_TESTKIT_STREAM_OPTION_INVALID' }),
    );
    echoing.close();
    refusing.close();
  });

  it('refuses new sessions after close() with RMT_TESTKIT_STREAM_CLOSED', async () => {
    const runtime = new ContainerRuntime();
    runtime.close();
    runtime.close();
    await expect(
      runtime.exec(ref, ['true'], {
        tty: false,
        terminal: new TerminalSizeEvents(),
        signal: new AbortController().signal,
      }),
    ).rejects.toMatchObject({ code: 'RMT_TESTKIT_STREAM_CLOSED' });
  });
});
