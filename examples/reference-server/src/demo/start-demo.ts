import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { startTestOidcProvider, type TestOidcProvider } from '@remoteler/sso-oidc/testing';
import { createTestCertificateAuthority, KubeApiSimulator } from '@remoteler/testkit';
import { parseServerConfig } from '../config/load-config.js';
import type { ServerConfigInput } from '../config/schema.js';
import type { RemotelerLogger } from '../ops/index.js';
import { listenError } from '../server/listen-error.js';
import { type RunningServer, startServer } from '../server/start-server.js';
import { ensurePrivateDir } from '../server/state-dir.js';
import { DEMO_ROLES_YAML } from './demo-roles.js';
import { type DemoCredential, demoCredentials } from './demo-state.js';

/** Options of {@link startDemo}. */
export interface DemoOptions {
  /** Keeps the CA and the generated passwords between restarts. */
  readonly stateDir: string;
  /** Port of the one listener (web API + Kubernetes). Default 3080; 0 picks a free one. */
  readonly port?: number;
  /** Address it listens on. Default 127.0.0.1 (the demo is for this machine only). */
  readonly listenHost?: string;
  /** Diagnostics listener (`host:port`). Default none. */
  readonly diagListen?: string;
  readonly logger?: RemotelerLogger;
}

/** The OpenID user of the demo and the connector id that signs it in. */
export const DEMO_SSO = {
  connectorId: 'demo-sso',
  login: 'carol',
  email: 'carol@example.com',
  groups: ['devs'],
} as const;

/** A running demo. */
export interface RunningDemo {
  readonly server: RunningServer;
  /** `localhost:PORT`: what `remoteler login --proxy` takes. */
  readonly proxyAddress: string;
  readonly caPin: string;
  readonly credentials: readonly DemoCredential[];
  /** Issuer of the embedded OpenID provider (`https://127.0.0.1:PORT`). */
  readonly oidcIssuer: string;
  /** PEM of the CA of the OpenID provider's certificate (for a headless browser). */
  readonly oidcCaPem: string;
  readonly stateDir: string;
  /** Stops the server (gracefully; cut when `signal` aborts), the provider and the simulators. Idempotent. */
  close(signal?: AbortSignal): Promise<void>;
}

const SIM_TOKEN_USER = 'remoteler-proxy';

/** A port that is free now: the OpenID client's redirect URI must name the port before the listener opens. */
async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Fails early with the demo's next step (`--port`) when the port is taken. */
async function checkPortFree(host: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error) =>
      reject(listenError(error, 'demo listener', `${host}:${port}`, `--port, e.g. --port ${port + 1}`)),
    );
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

/**
 * Starts the demo: two API server simulators (`dev`, `prod`) seeded with namespaces, pods and a
 * deployment, where the Proxy may impersonate and the demo groups have RBAC bindings; an embedded
 * OpenID provider; and Auth + Proxy in this process from a configuration written like an
 * operator's (roles, token and CA files under the state directory), on one listener.
 */
export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  const host = options.listenHost ?? '127.0.0.1';
  const port = options.port === 0 ? await freePort(host) : (options.port ?? 3080);
  await checkPortFree(host, port);
  await ensurePrivateDir(options.stateDir);
  const credentials = await demoCredentials(options.stateDir);
  // Files made for this run (simulator tokens and CAs change at every start).
  const run = join(options.stateDir, 'run');
  await ensurePrivateDir(run, 'the demo run directory');
  const closers: Array<(signal?: AbortSignal) => Promise<void>> = [];
  let closing: Promise<void> | undefined;
  const close = (signal?: AbortSignal) => {
    closing ??= (async () => {
      for (const c of closers.reverse()) await c(signal).catch(() => {});
    })();
    return closing;
  };
  try {
    const clusters: NonNullable<ServerConfigInput['proxy']>['clusters'] = [];
    for (const env of ['dev', 'prod'] as const) {
      const token = randomBytes(24).toString('base64url');
      const sim = await KubeApiSimulator.start({ seed: true, tokens: { [token]: { name: SIM_TOKEN_USER } } });
      closers.push(() => sim.close());
      sim.allowImpersonation(SIM_TOKEN_USER);
      // The demo groups' Kubernetes permissions: developers edit (the Remoteler role narrows it to
      // a few namespaces), admins come as system:masters, which the simulator binds to cluster-admin.
      sim.bindClusterRole('remoteler-developers-edit', 'edit', { kind: 'Group', name: 'developers' });
      await writeFile(join(run, `${env}-token`), `${token}\n`, { mode: 0o600 });
      await writeFile(join(run, `${env}-ca.pem`), sim.caPem, { mode: 0o600 });
      clusters.push({
        name: env,
        labels: { env },
        token: { server: sim.url, token: { file: `run/${env}-token` }, ca_file: `run/${env}-ca.pem` },
      });
    }

    await mkdir(join(options.stateDir, 'roles'), { recursive: true, mode: 0o700 });
    await writeFile(join(options.stateDir, 'roles', 'demo-roles.yaml'), DEMO_ROLES_YAML, { mode: 0o600 });

    // The embedded OpenID provider, with its own test CA (a browser will warn about it: demo only).
    const oidcCa = await createTestCertificateAuthority('remoteler-demo-oidc-ca');
    const oidcTls = await oidcCa.issue({ commonName: '127.0.0.1', usage: 'server' });
    const clientSecretFile = join(run, 'oidc-client-secret');
    let clientSecret: string;
    try {
      clientSecret = (await readFile(clientSecretFile, 'utf8')).trim();
    } catch {
      clientSecret = randomBytes(24).toString('base64url');
      await writeFile(clientSecretFile, `${clientSecret}\n`, { mode: 0o600 });
    }
    await writeFile(join(run, 'oidc-ca.pem'), oidcCa.certPem, { mode: 0o600 });
    const publicAddr = `localhost:${port}`;
    const provider: TestOidcProvider = await startTestOidcProvider({
      tls: oidcTls,
      clients: [
        { clientId: 'remoteler-demo', clientSecret, redirectUris: [`https://${publicAddr}/v1/sso/callback`] },
      ],
      accounts: {
        [DEMO_SSO.login]: {
          email: DEMO_SSO.email,
          email_verified: true,
          name: 'Carol',
          groups: [...DEMO_SSO.groups],
        },
      },
    });
    closers.push(() => provider.close());

    const input: ServerConfigInput = {
      version: 'v1',
      roles: ['auth', 'proxy'],
      cluster_name: 'remoteler-demo',
      state_dir: options.stateDir,
      ...(options.diagListen ? { diag: { listen: options.diagListen } } : {}),
      auth: {
        listen: '127.0.0.1:0',
        proxy_public_addr: publicAddr,
        connectors: [
          {
            type: 'local',
            users: credentials.map((c) => ({
              username: c.username,
              password_hash: c.passwordHash,
              roles: c.username === 'alice' ? ['developer'] : ['admin'],
            })),
          },
          {
            type: 'oidc',
            id: DEMO_SSO.connectorId,
            display_name: 'Demo SSO',
            issuer: provider.issuer,
            client_id: 'remoteler-demo',
            client_secret: { file: 'run/oidc-client-secret' },
            ca_file: 'run/oidc-ca.pem',
            scopes: ['openid', 'email', 'profile', 'groups'],
            claims_to_roles: [{ claim: 'groups', value: 'devs', roles: ['developer'] }],
          },
        ],
        roles_dir: 'roles',
        admin_roles: ['admin'],
      },
      proxy: { web_listen: `${host}:${port}`, public_addr: publicAddr, clusters },
    };
    const config = parseServerConfig(input, { file: '<demo>' });
    const server = await startServer(config, {
      baseDir: options.stateDir,
      env: {},
      ...(options.logger ? { logger: options.logger } : {}),
    });
    closers.push((signal) => server.close(signal));
    // The host CA certificate (public): what `remoteler login --ca-file` takes instead of --ca-pin.
    await writeFile(join(options.stateDir, 'host-ca.pem'), server.hostCaPem ?? '', { mode: 0o644 });
    return {
      server,
      proxyAddress: publicAddr,
      caPin: server.hostCaFingerprints[0] as string,
      credentials,
      oidcIssuer: provider.issuer,
      oidcCaPem: oidcCa.certPem,
      stateDir: options.stateDir,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The quick start the demo prints: the CA pin, the passwords and the exact commands. */
export function quickStart(demo: RunningDemo): string {
  const alice = demo.credentials.find((c) => c.username === 'alice')?.password;
  const bob = demo.credentials.find((c) => c.username === 'bob')?.password;
  const proxy = demo.proxyAddress;
  const pin = demo.caPin;
  return `
Remoteler demo is running on https://${proxy} (web API and Kubernetes), state in ${demo.stateDir}

  CA pin:    ${pin}
  clusters:  dev (env: dev), prod (env: prod)  - simulated API servers
  users:     alice / ${alice}   (role developer: dev only, namespaces default and team-a, exec)
             bob   / ${bob}   (role admin: every cluster)

Try it (from the repository root, in another terminal):

  npx remoteler login --proxy ${proxy} --user alice --ca-pin ${pin}
  kubectl get pods
  kubectl exec web-0 -- hostname
  npx remoteler kube login prod        # refused for alice: her role does not reach env=prod
  npx remoteler status
  npx remoteler logout

  As bob (admin), prod works too:
  npx remoteler login --proxy ${proxy} --user bob --ca-pin ${pin} prod

Single sign-on through the embedded OpenID provider (${demo.oidcIssuer}):

  npx remoteler login --proxy ${proxy} --auth ${DEMO_SSO.connectorId} --ca-pin ${pin}
  Your browser opens the provider's page (its certificate is a demo CA's: accept the warning).
  Sign in as "${DEMO_SSO.login}" with any password; the groups claim "devs" maps to role developer.

The passwords stay the same across restarts (${join(demo.stateDir, 'passwords.json')}).
Stop with Ctrl-C.
`;
}
