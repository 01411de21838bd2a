import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthWebApi } from '@remoteler/auth';
import { createAccessChecker } from '@remoteler/core';
import {
  type AuthForwarder,
  createAuthForwarder,
  createProxy,
  MemoryClusterRegistry,
  type RemotelerProxy,
} from '@remoteler/proxy';
import { KubeApiSimulator, runKubectl } from '@remoteler/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthStack, PASSWORD, type StackParts, startAuthStack } from './support/auth-stack.js';
import { runRemoteler } from './support/run-remoteler.js';

// One address for everything: `remoteler login --proxy <Proxy web port>` signs in through the web API
// the Proxy serves beside Kubernetes, and kubectl then uses the same host and port. Both ways of
// serving the web API are exercised: the Auth service in the Proxy's process (AuthWebApi), and a
// remote Auth service reached over mutual TLS with the Proxy's host certificate (createAuthForwarder).

const PROXY_TOKEN = 'remoteler-proxy-token';

async function issueProxyHost(parts: StackParts) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const issued = await parts.hostCa.issueHostCertificate({
    publicKey: { spki: publicKey.export({ type: 'spki', format: 'pem' }) as string },
    host: { hostId: 'proxy', role: 'proxy', clusterName: 'root.test' },
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
    ttlMs: 3_600_000,
    now: new Date(),
  });
  return { cert: issued.certificatePem, key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}

describe.each(['in-process Auth', 'remote Auth over mutual TLS'] as const)(
  'login through the Proxy web port (%s)',
  (mode) => {
    let sim: KubeApiSimulator;
    let proxy: RemotelerProxy;
    let forwarder: AuthForwarder | undefined;
    let stack: AuthStack;
    let dir: string;
    let proxyAddress: string;
    let proxyTls: { cert: string; key: string };

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'rmt-web-port-'));
      sim = await KubeApiSimulator.start({
        seed: true,
        tokens: { [PROXY_TOKEN]: { name: 'remoteler-proxy' } },
      });
      sim.allowImpersonation('remoteler-proxy');
      sim.bindClusterRole('developers-edit', 'edit', { kind: 'Group', name: 'developers' });
      // The web API handler is bound once the Auth service exists (it announces the Proxy's address).
      let web: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
      stack = await startAuthStack({
        startProxy: async (parts) => {
          const tls = await issueProxyHost(parts);
          proxy = createProxy({
            tls: { ...tls, userCaBundle: parts.userCa.trustBundlePem() },
            identityDecoder: parts.decoder,
            access: {
              forIdentity: (identity) =>
                createAccessChecker({
                  username: identity.username,
                  roles: parts.roles.filter((r) => identity.roles.includes(r.metadata.name)),
                  traits: identity.traits,
                }),
            },
            clusters: new MemoryClusterRegistry([
              {
                name: 'dev-1',
                labels: { env: 'dev' },
                upstream: { kind: 'token', server: sim.url, token: PROXY_TOKEN, ca: sim.caPem },
              },
            ]),
            webApi: (req, res) => {
              if (web) web(req, res);
              else res.writeHead(503).end();
            },
            closeTimeoutMs: 2_000,
            checkImpersonation: false,
          });
          proxyTls = tls;
          const { port } = await proxy.listen();
          proxyAddress = `127.0.0.1:${port}`;
          return proxyAddress;
        },
      });
      if (mode === 'in-process Auth') {
        const api = new AuthWebApi({ service: stack.service });
        web = (req, res) => api.handle(req, res);
      } else {
        const tls = proxyTls;
        const remote = createAuthForwarder({
          url: stack.server.url,
          tls: () => ({ ...tls, ca: stack.hostCaPem }),
        });
        forwarder = remote;
        web = remote.handle;
      }
    });

    afterAll(async () => {
      await proxy?.close();
      await forwarder?.close();
      await stack?.close();
      await sim?.close();
      await rm(dir, { recursive: true, force: true });
    });

    it('signs in, writes a kubeconfig naming the same address, and kubectl works through it', async () => {
      const caFile = join(dir, 'ca.pem');
      await writeFile(caFile, stack.hostCaPem);
      const kubeconfig = join(dir, 'config');
      const env = { REMOTELER_HOME: join(dir, 'home'), KUBECONFIG: kubeconfig, HOME: dir };
      const login = await runRemoteler(
        [
          'login',
          '--proxy',
          proxyAddress,
          '--user',
          'alice',
          '--password-stdin',
          '--ca-file',
          caFile,
          'dev-1',
        ],
        env,
        PASSWORD,
      );
      expect(login.stderr).toBe('');
      expect(login.code).toBe(0);
      expect(await readFile(kubeconfig, 'utf8')).toContain(`server: https://${proxyAddress}/k8s/dev-1`);

      const ls = await runRemoteler(['kube', 'ls', '--json'], env);
      expect(ls.code, ls.stderr).toBe(0);
      expect(JSON.parse(ls.stdout)).toEqual(
        expect.arrayContaining([expect.objectContaining({ name: 'dev-1' })]),
      );

      // The exec plugin gets its pinned certificate from the reissue endpoint, through the web port.
      const pods = await runKubectl('1.33', ['get', 'pods', '-n', 'default', '-o', 'name'], {
        kubeconfig,
        cacheDir: join(dir, 'cache'),
        env,
      });
      expect(pods.stderr).toBe('');
      expect(pods.code).toBe(0);
      const seen = sim.requests.filter((r) => r.path.startsWith('/api/v1/namespaces/default/pods'));
      expect(seen.at(-1)?.user).toMatchObject({ name: 'alice' });
    });
  },
);
