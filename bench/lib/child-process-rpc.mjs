// A tiny request/answer protocol over Node's IPC channel, so that the proxy benchmark can run the
// upstream, the candidate and the load generator as separate processes (each with its own event loop
// and its own /proc/<pid>/stat) and still drive them step by step from the suite.
import { spawn } from 'node:child_process';

/**
 * Starts `node <script>` under `bash -c 'ulimit -n …; exec node …'` (exec keeps the pid, so the pid
 * returned is the Node process itself) with an IPC channel. `nodeArgs` go before the script (for
 * example `--cpu-prof`). The child must call {@link serveRpc}. Resolves once the child said `ready`.
 * @returns `{ pid, call(method, params), exit() }`; `exit()` asks the child to leave normally (so a
 *   `--cpu-prof` profile is written) and kills it after 10 s if it does not.
 */
export async function startRpcChild(script, { nodeArgs = [], env = {}, label = script } = {}) {
  const quoted = [process.execPath, ...nodeArgs, script]
    .map((a) => `'${a.replaceAll("'", "'\\''")}'`)
    .join(' ');
  // The hard limit may be below 65,536 in a container; take what is allowed.
  const shell = `ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec ${quoted}`;
  const child = spawn('bash', ['-c', shell], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...env },
  });
  const pending = new Map();
  let nextId = 1;
  let exited = false;
  const exitedPromise = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      for (const { reject } of pending.values()) reject(new Error(`${label} exited (${code ?? signal})`));
      pending.clear();
      resolve();
    });
  });
  const ready = new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${label} exited before it was ready (${code})`)));
    child.on('message', (message) => {
      if (message?.type === 'ready') resolve();
      else if (message?.type === 'answer') {
        const entry = pending.get(message.id);
        if (!entry) return;
        pending.delete(message.id);
        if (message.error) entry.reject(new Error(`${label}: ${message.error}`));
        else entry.resolve(message.result);
      }
    });
  });
  await ready;
  return {
    pid: child.pid,
    call(method, params = {}) {
      if (exited) return Promise.reject(new Error(`${label} is not running`));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ type: 'call', id, method, params });
      });
    },
    async exit() {
      if (exited) return;
      child.send({ type: 'exit' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      timer.unref();
      await exitedPromise;
      clearTimeout(timer);
    },
  };
}

/**
 * The child side: answers `call` messages with `handlers[method](params)` and leaves on `exit`
 * after `onExit()` (close servers, so the process ends by itself and profiles are flushed).
 */
export function serveRpc(handlers, onExit = async () => {}) {
  process.on('message', async (message) => {
    if (message?.type === 'exit') {
      await onExit();
      process.exit(0);
    }
    if (message?.type !== 'call') return;
    try {
      const handler = handlers[message.method];
      if (!handler) throw new Error(`unknown method ${message.method}`);
      const result = await handler(message.params);
      process.send({ type: 'answer', id: message.id, result });
    } catch (error) {
      process.send({ type: 'answer', id: message.id, error: String(error?.stack ?? error) });
    }
  });
  // The parent going away (Ctrl-C, crash) must not leave servers behind.
  process.on('disconnect', () => process.exit(0));
  process.send({ type: 'ready' });
}
