import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashPassword } from '@remoteler/core';
import type { KubeApiSimulator } from '@remoteler/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type ServerWorkspace, startServerWorkspace } from './support/configured-server.js';
import { userSide } from './support/demo-walk.js';
import { startServerProcess } from './support/server-process.js';

// Real processes and real kubectl on a shared 2-core machine: generous, never a timing assertion.
const SLOW_TEST_MS = 180_000;

// Auth and Proxy as two `remoteler-server` processes: the Proxy trusts the Auth listener through
// the host CA pin, joins once with a one-time token, holds a host certificate from the host CA, and
// relays the web API to Auth over mutual TLS with it; kubectl then works through the Proxy.

const SIM_TOKEN = 'proxy-upstream-token-0123456789';
const PASSWORD = 'correct horse battery staple';

let dir: string;
let sim: KubeApiSimulator;
let workspace: ServerWorkspace | undefined;

beforeAll(async () => {
  workspace = await startServerWorkspace('rmt-two-processes-', SIM_TOKEN, 'edit');
  dir = workspace.dir;
  sim = workspace.sim;
}, SLOW_TEST_MS);

afterAll(async () => {
  await workspace?.close();
});

describe('Auth and Proxy as two processes', () => {
  it(
    'joins the Proxy with a one-time token over a pinned TLS connection, and kubectl works through it with a login relayed to Auth',
    async () => {
      const proxyPort = await freePort();
      const hash = await hashPassword(PASSWORD, { cost: { logN: 10, r: 8, p: 1 } });
      await writeFile(
        join(dir, 'auth.yaml'),
        `version: v1
roles: [auth]
cluster_name: two-processes
state_dir: ./auth-state
auth:
  listen: 127.0.0.1:0
  proxy_public_addr: localhost:${proxyPort}
  connectors:
    - type: local
      users: [{ username: alice, password_hash: "${hash}", roles: [developer] }]
  roles_files: [roles.yaml]
  kube_clusters: [{ name: dev, labels: { env: dev } }]
  tokens: [{ role: proxy, output_file: join-token }]
`,
      );
      const auth = await workspace!.startConfigured(join(dir, 'auth.yaml'));
      const authUrl = auth.started.authUrl as string;
      const [pin] = auth.started.hostCaFingerprints as string[];
      expect(auth.started.webUrl).toBeUndefined();
      expect((await stat(join(dir, 'join-token'))).mode & 0o777).toBe(0o600);

      const proxyConfig = (state: string) => `version: v1
roles: [proxy]
cluster_name: two-processes
state_dir: ./${state}
proxy:
  web_listen: 127.0.0.1:${state === 'proxy-state' ? proxyPort : 0}
  public_addr: localhost:${proxyPort}
  auth_server: ${authUrl}
  auth_ca_pin: ${pin}
  join_token: { file: join-token }
  roles_files: [roles.yaml]
  clusters:
    - name: dev
      labels: { env: dev }
      token: { server: "${sim.url}", token: { file: sim-token }, ca_file: sim-ca.pem }
`;
      await writeFile(join(dir, 'proxy.yaml'), proxyConfig('proxy-state'));
      const proxy = await workspace!.startConfigured(join(dir, 'proxy.yaml'));
      expect(proxy.started.hostCaFingerprints).toEqual([pin]);
      // The key was made by the Proxy and never left it; the certificate came from the host CA.
      expect((await stat(join(dir, 'proxy-state', 'proxy', 'host.key'))).mode & 0o777).toBe(0o600);

      const user = await userSide(join(dir, 'alice'));
      const login = await user.remoteler(
        [
          'login',
          '--proxy',
          `localhost:${proxyPort}`,
          '--user',
          'alice',
          '--ca-pin',
          pin as string,
          '--password-stdin',
        ],
        `${PASSWORD}\n`,
      );
      expect(login.stderr).toBe('');
      expect(login.code, login.stderr).toBe(0);
      const pods = await user.kubectl('1.33', ['get', 'pods', '-o', 'name']);
      expect(pods.stderr).toBe('');
      expect(pods.stdout).toContain('pod/web-0');
      const seen = sim.requests.filter((r) => r.path.startsWith('/api/v1/namespaces/default/pods'));
      expect(seen.at(-1)?.user).toMatchObject({ name: 'alice' });

      // The token was used up: a second Proxy with its own state cannot join with it.
      await writeFile(join(dir, 'proxy-2.yaml'), proxyConfig('proxy-2-state'));
      const second = startServerProcess(['start', '--config', join(dir, 'proxy-2.yaml')], { HOME: dir });
      expect(await second.exited).toBe(2);
      expect(second.stderr()).toMatch(/RMT_SERVER_JOIN_FAILED: .*RMT_AUTH_JOIN_TOKEN_INVALID/);

      // A restarted Proxy keeps its host certificate (no new token needed).
      expect(await proxy.process.stop()).toBe(0);
      const again = await workspace!.startConfigured(join(dir, 'proxy.yaml'));
      expect(again.started.webUrl).toBe(`https://127.0.0.1:${proxyPort}`);
      const after = await user.kubectl('1.33', ['get', 'pods', '-o', 'name']);
      expect(after.stdout).toContain('pod/web-0');
    },
    SLOW_TEST_MS,
  );
});
