import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeApiSimulator } from '@remoteler/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_USER, type AuthStack, PASSWORD } from './support/auth-stack.js';
import { runRemoteler } from './support/run-remoteler.js';
import { startWebPortStack, WEB_API_MODES, type WebPortStack } from './support/simulated-proxy.js';

// Admins log in to the same address as everyone else: the Proxy's web port. Every admin call (GET,
// PUT, DELETE, POST tokens) then goes through it, to Auth in the Proxy's process or forwarded to a
// remote Auth with the admin's certificate relayed, and Auth still decides who is an admin.

const PROXY_TOKEN = 'remoteler-proxy-token';

describe.each(WEB_API_MODES)(
  'remoteler admin through the Proxy web port (%s)',
  { timeout: 120_000 },
  (mode) => {
    let sim: KubeApiSimulator;
    let web: WebPortStack;
    let stack: AuthStack;
    let dir: string;
    let address: string;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'rmt-admin-web-'));
      sim = await KubeApiSimulator.start({
        seed: true,
        tokens: { [PROXY_TOKEN]: { name: 'remoteler-proxy' } },
      });
      web = await startWebPortStack(mode, sim, PROXY_TOKEN);
      stack = web.stack;
      address = web.address;
    });

    afterAll(async () => {
      await web?.close();
      await sim?.close();
      await rm(dir, { recursive: true, force: true });
    });

    it('creates, updates, reads and removes a role; a non-admin is refused', async () => {
      const caFile = join(dir, 'ca.pem');
      await writeFile(caFile, stack.hostCaPem);
      const env = (who: string) => ({
        REMOTELER_HOME: join(dir, who),
        KUBECONFIG: join(dir, `${who}-kubeconfig`),
        HOME: dir,
      });
      for (const user of [ADMIN_USER, 'alice']) {
        const login = await runRemoteler(
          ['login', '--proxy', address, '--user', user, '--password-stdin', '--ca-file', caFile],
          env(user),
          PASSWORD,
        );
        expect(login.stderr).toBe('');
      }
      const admin = (args: string[]) => runRemoteler(['admin', ...args], env(ADMIN_USER));
      const file = join(dir, 'viewer.yaml');
      const role = (groups: string) =>
        `kind: role\nversion: v1\nmetadata: { name: viewer }\nspec: { allow: { kubernetes_groups: [${groups}] } }\n`;

      await writeFile(file, role('viewers'));
      expect((await admin(['create', '-f', file])).stdout).toBe('role/viewer created\n');
      await writeFile(file, role('viewers, readers'));
      expect((await admin(['create', '-f', file])).stdout).toBe(
        'role/viewer updated\n    ~ spec.allow.kubernetes_groups: ["viewers"] -> ["viewers","readers"]\n',
      );
      const stored = JSON.parse((await admin(['get', 'roles', 'viewer', '-o', 'json'])).stdout);
      expect(stored.spec.allow.kubernetes_groups).toEqual(['viewers', 'readers']);

      const refused = await runRemoteler(['admin', 'get', 'roles'], env('alice'));
      expect(refused.code).toBe(4);
      expect(refused.stderr).toMatch(/^RMT_AUTH_ADMIN_REQUIRED: /);

      expect((await admin(['rm', 'role/viewer'])).stdout).toBe('role/viewer removed\n');
      expect(await stack.roles.get('viewer')).toBeUndefined();
      const token = await admin(['tokens', 'add', '--type', 'proxy', '--json']);
      expect(token.stderr).toBe('');
      expect(JSON.parse(token.stdout)).toMatchObject({ role: 'proxy', authServer: address });
    });
  },
);
