import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { request } from 'node:https';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeApiSimulator } from '@remoteler/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runServerBin } from './support/run-server-bin.js';
import { type ServerProcess, startServerProcess } from './support/server-process.js';

// Real processes and real kubectl on a shared 2-core machine: generous, never a timing assertion.
const SLOW_TEST_MS = 60_000;

// Bad input stops the server with its own RMT_ code and the next step, never a stack trace; a
// cluster whose API server refuses the Proxy degrades it instead.

let dir: string;
let sim: KubeApiSimulator;
const processes: ServerProcess[] = [];
const STACK_TRACE = /\n\s+at .+:\d+:\d+/;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rmt-bad-input-'));
  sim = await KubeApiSimulator.start({ tokens: { 'good-token-0123456789': { name: 'remoteler-proxy' } } });
  sim.allowImpersonation('remoteler-proxy');
}, SLOW_TEST_MS);

afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  await sim?.close();
  await rm(dir, { recursive: true, force: true });
});

function minimalConfig(extra: string): string {
  return `version: v1\ncluster_name: bad-input\nstate_dir: ./state\n${extra}`;
}

function fetchJson(
  url: string,
): Promise<{ status: number; body: { ready: boolean; failing: Array<{ name: string; message?: string }> } }> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    }).on('error', reject);
  });
}

describe('remoteler-server start with bad input', () => {
  it(
    'says RMT_SERVER_PORT_IN_USE and to use --port when the demo port is taken',
    async () => {
      const blocker: Server = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      const { port } = blocker.address() as { port: number };
      try {
        const result = await runServerBin(
          ['start', '--state-dir', join(dir, 'demo'), '--port', String(port)],
          {
            HOME: dir,
          },
        );
        expect(result.code).toBe(2);
        expect(result.stderr).toContain(
          `RMT_SERVER_PORT_IN_USE: the demo listener cannot listen on 127.0.0.1:${port}`,
        );
        expect(result.stderr).toContain('--port');
        expect(result.stderr).not.toMatch(STACK_TRACE);
      } finally {
        blocker.close();
      }
    },
    SLOW_TEST_MS,
  );

  it(
    'says RMT_CONFIG_NOT_FOUND for a missing configuration file',
    async () => {
      const result = await runServerBin(['start', '--config', join(dir, 'missing.yaml')]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(
        /RMT_CONFIG_NOT_FOUND: the configuration file .*missing\.yaml does not exist/,
      );
      expect(result.stderr).not.toMatch(STACK_TRACE);
    },
    SLOW_TEST_MS,
  );

  it(
    'says RMT_SERVER_STATE_DIR_UNUSABLE for a CA directory others may write, and for one that is a file',
    async () => {
      const open = join(dir, 'open-ca');
      await mkdir(open, { recursive: true });
      await chmod(open, 0o777);
      await writeFile(
        join(dir, 'open.yaml'),
        minimalConfig(`roles: [auth]\nauth:\n  listen: 127.0.0.1:0\n  ca_dir: ./open-ca\n`),
      );
      const result = await runServerBin(['start', '--config', join(dir, 'open.yaml')]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(
        /RMT_SERVER_STATE_DIR_UNUSABLE: the CA directory .*open-ca has mode 0777/,
      );
      expect(result.stderr).toContain(`chmod 700 ${open}`);

      await writeFile(join(dir, 'a-file'), 'not a directory');
      await writeFile(
        join(dir, 'file.yaml'),
        minimalConfig(`roles: [auth]\nauth:\n  listen: 127.0.0.1:0\n  ca_dir: ./a-file\n`),
      );
      const file = await runServerBin(['start', '--config', join(dir, 'file.yaml')]);
      expect(file.code).toBe(2);
      expect(file.stderr).toMatch(
        /RMT_SERVER_STATE_DIR_UNUSABLE: the CA directory .*a-file cannot be used \((EEXIST|ENOTDIR)\)/,
      );
      expect(file.stderr).not.toMatch(STACK_TRACE);
    },
    SLOW_TEST_MS,
  );

  it(
    'says RMT_CONFIG_REFERENCE_UNREADABLE, naming the field, when a secret file is missing',
    async () => {
      await writeFile(
        join(dir, 'secret.yaml'),
        minimalConfig(`roles: [auth, proxy]
auth: { listen: "127.0.0.1:0" }
proxy:
  web_listen: 127.0.0.1:0
  clusters:
    - { name: dev, token: { server: "${sim.url}", token: { file: ./no-such-token } } }
`),
      );
      const result = await runServerBin(['start', '--config', join(dir, 'secret.yaml')]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(
        /RMT_CONFIG_REFERENCE_UNREADABLE: proxy\.clusters\[0\]\.token\.token: cannot read .*no-such-token \(ENOENT\)/,
      );
    },
    SLOW_TEST_MS,
  );

  it(
    'says RMT_SERVER_JOIN_TOKEN_MISSING when a Proxy-only process has neither a host certificate nor a join token',
    async () => {
      await writeFile(
        join(dir, 'proxy-only.yaml'),
        minimalConfig(`roles: [proxy]
proxy:
  web_listen: 127.0.0.1:0
  auth_server: https://127.0.0.1:1
  auth_ca_pin: sha256:${'0'.repeat(64)}
`),
      );
      const result = await runServerBin(['start', '--config', join(dir, 'proxy-only.yaml')]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(
        /RMT_SERVER_JOIN_TOKEN_MISSING: there is no host certificate in .*state\/proxy and proxy\.join_token is not set/,
      );
      expect(result.stderr).toContain('Set proxy.join_token');
    },
    SLOW_TEST_MS,
  );

  it(
    'keeps serving when one cluster refuses the Proxy: the refusal is logged as RMT_SERVER_CLUSTER_UNAVAILABLE and /readyz names the cluster',
    async () => {
      await writeFile(join(dir, 'good-token'), 'good-token-0123456789\n');
      await writeFile(join(dir, 'bad-token'), 'revoked-token-0123456789\n');
      await writeFile(join(dir, 'sim-ca.pem'), sim.caPem);
      await writeFile(
        join(dir, 'degraded.yaml'),
        minimalConfig(`roles: [auth, proxy]
diag: { listen: "127.0.0.1:0" }
auth: { listen: "127.0.0.1:0" }
proxy:
  web_listen: 127.0.0.1:0
  clusters:
    - { name: good, token: { server: "${sim.url}", token: { file: good-token }, ca_file: sim-ca.pem } }
    - { name: refused, token: { server: "${sim.url}", token: { file: bad-token }, ca_file: sim-ca.pem } }
`),
      );
      const server = startServerProcess(['start', '--config', join(dir, 'degraded.yaml')], { HOME: dir });
      processes.push(server);
      const [line] = await server.waitFor(/^.*"msg":"remoteler-server started".*$/m);
      const started = JSON.parse(line) as { diagUrl: string; webUrl: string };
      expect(server.stdout()).toContain('RMT_SERVER_CLUSTER_UNAVAILABLE');
      expect(server.stdout()).toContain('cluster \\"refused\\" is unavailable');

      const ready = await fetchJson(`${started.diagUrl}/readyz`);
      expect(ready.body.failing.map((c) => c.name)).toEqual(['cluster:refused']);
      // Degraded, not unready: one refusing cluster must not take the Proxy out of its Service.
      expect(ready.status).toBe(200);
      // Still serving: the web API answers.
      const ping = await new Promise<number>((resolve, reject) => {
        request(`${started.webUrl}/v1/ping`, { rejectUnauthorized: false, agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
          .on('error', reject)
          .end();
      });
      expect(ping).toBe(200);
    },
    SLOW_TEST_MS,
  );
});
