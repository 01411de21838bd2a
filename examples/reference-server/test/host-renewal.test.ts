import { X509Certificate } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashPassword } from '@remoteler/core';
import type { KubeApiSimulator } from '@remoteler/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type ServerWorkspace, startServerWorkspace } from './support/configured-server.js';
import { userSide } from './support/demo-walk.js';

// A Proxy in its own process renews its host certificate before it expires (at two thirds of its
// life, over mutual TLS with the current one, for a new key) and keeps serving with the new one.
// Host certificates live 20 s here (auth.host_cert_ttl) so that a renewal happens during the test;
// the test waits for the renewal's log line, never for a time.

const SLOW_TEST_MS = 180_000;
const SIM_TOKEN = 'proxy-upstream-token-renewal';
const PASSWORD = 'renew me';

let dir: string;
let sim: KubeApiSimulator;
let workspace: ServerWorkspace | undefined;

beforeAll(async () => {
  workspace = await startServerWorkspace('rmt-host-renewal-', SIM_TOKEN, 'view');
  dir = workspace.dir;
  sim = workspace.sim;
}, SLOW_TEST_MS);

afterAll(async () => {
  await workspace?.close();
});

describe('a Proxy-only process', () => {
  it(
    'renews its host certificate before expiry and keeps serving kubectl with the new one',
    async () => {
      const proxyPort = await freePort();
      const hash = await hashPassword(PASSWORD, { cost: { logN: 10, r: 8, p: 1 } });
      await writeFile(
        join(dir, 'auth.yaml'),
        `version: v1
roles: [auth]
cluster_name: renewal
state_dir: ./auth-state
auth:
  listen: 127.0.0.1:0
  host_cert_ttl: 20s
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
      const [pin] = auth.started.hostCaFingerprints as string[];
      await writeFile(
        join(dir, 'proxy.yaml'),
        `version: v1
roles: [proxy]
cluster_name: renewal
state_dir: ./proxy-state
proxy:
  web_listen: 127.0.0.1:${proxyPort}
  public_addr: localhost:${proxyPort}
  auth_server: ${auth.started.authUrl as string}
  auth_ca_pin: ${pin}
  join_token: { file: join-token }
  roles_files: [roles.yaml]
  clusters:
    - { name: dev, labels: { env: dev }, token: { server: "${sim.url}", token: { file: sim-token }, ca_file: sim-ca.pem } }
`,
      );
      const proxy = await workspace!.startConfigured(join(dir, 'proxy.yaml'));
      const certFile = join(dir, 'proxy-state', 'proxy', 'host.crt');
      const first = new X509Certificate(await readFile(certFile, 'utf8'));

      await proxy.process.waitFor(/"msg":"renewed the host certificate"/);
      const renewed = new X509Certificate(await readFile(certFile, 'utf8'));
      expect(renewed.serialNumber).not.toBe(first.serialNumber);
      expect(renewed.publicKey.equals(first.publicKey)).toBe(false);
      expect(Date.parse(renewed.validTo)).toBeGreaterThan(Date.parse(first.validTo));

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
      expect(login.code, login.stderr).toBe(0);
      const pods = await user.kubectl('1.33', ['get', 'pods', '-o', 'name']);
      expect(pods.stderr).toBe('');
      expect(pods.stdout).toContain('pod/web-0');
    },
    SLOW_TEST_MS,
  );
});

describe('a Proxy-only process with a provisioned join token', () => {
  it(
    'joins, and joins again after losing its state (a replaced pod), with the same token',
    async () => {
      const proxyPort = await freePort();
      await writeFile(join(dir, 'provisioned-token'), `${'p'.repeat(8)}-provisioned-0123456789abcdef\n`, {
        mode: 0o600,
      });
      await writeFile(
        join(dir, 'auth-provisioned.yaml'),
        `version: v1
roles: [auth]
cluster_name: provisioned
state_dir: ./auth-provisioned-state
auth:
  listen: 127.0.0.1:0
  proxy_public_addr: localhost:${proxyPort}
  roles_files: [roles.yaml]
  tokens: [{ role: proxy, name: proxy-secret, token: { file: provisioned-token } }]
`,
      );
      const auth = await workspace!.startConfigured(join(dir, 'auth-provisioned.yaml'));
      const [pin] = auth.started.hostCaFingerprints as string[];
      await writeFile(
        join(dir, 'proxy-provisioned.yaml'),
        `version: v1
roles: [proxy]
cluster_name: provisioned
state_dir: ./proxy-provisioned-state
proxy:
  web_listen: 127.0.0.1:${proxyPort}
  auth_server: ${auth.started.authUrl as string}
  auth_ca_pin: ${pin}
  join_token: { file: provisioned-token }
  roles_files: [roles.yaml]
  clusters:
    - { name: dev, labels: { env: dev }, token: { server: "${sim.url}", token: { file: sim-token }, ca_file: sim-ca.pem } }
`,
      );
      const certFile = join(dir, 'proxy-provisioned-state', 'proxy', 'host.crt');
      const first = await workspace!.startConfigured(join(dir, 'proxy-provisioned.yaml'));
      const firstSerial = new X509Certificate(await readFile(certFile, 'utf8')).serialNumber;
      await first.process.stop();
      // The pod is replaced: its emptyDir, and the host certificate in it, are gone.
      await rm(join(dir, 'proxy-provisioned-state'), { recursive: true, force: true });
      await workspace!.startConfigured(join(dir, 'proxy-provisioned.yaml'));
      const secondSerial = new X509Certificate(await readFile(certFile, 'utf8')).serialNumber;
      expect(secondSerial).not.toBe(firstSerial);
      expect(auth.process.stdout() + auth.process.stderr()).not.toContain('-provisioned-0123456789abcdef');
    },
    SLOW_TEST_MS,
  );
});
