import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoQuickStart, startDemoProcess, userSide } from '../support/demo-walk.js';
import type { ServerProcess } from '../support/server-process.js';

// Real processes and real kubectl on a shared 2-core machine: generous, never a timing assertion.
const SLOW_TEST_MS = 120_000;

// The README's demo, as a newcomer runs it: `remoteler-server start` (here on a free port), then the
// printed quick start with the real `remoteler` command and real kubectl against the demo's
// simulated clusters.

let dir: string;
let demo: { process: ServerProcess; quickStart: DemoQuickStart };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rmt-demo-walk-'));
  demo = await startDemoProcess(join(dir, 'state'));
}, SLOW_TEST_MS);

afterAll(async () => {
  await demo?.process.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the demo quick start', () => {
  it(
    'prints the CA pin, both passwords and the exact commands',
    () => {
      const out = demo.process.stdout();
      const { proxy, pin } = demo.quickStart;
      expect(out).toContain(`npx remoteler login --proxy ${proxy} --user alice --ca-pin ${pin}`);
      expect(out).toContain('kubectl get pods');
      expect(out).toContain('kubectl exec web-0 -- hostname');
      expect(out).toContain('npx remoteler kube login prod');
      expect(out).toContain('npx remoteler status');
      expect(out).toContain('npx remoteler logout');
      expect(out).toContain('--auth demo-sso');
      expect(demo.quickStart.passwords.alice).not.toBe(demo.quickStart.passwords.bob);
    },
    SLOW_TEST_MS,
  );

  it(
    'works step by step: login as alice, get pods on dev (kubectl 1.33 and 1.27), exec with output, prod refused with the reason, status, and logout leaves the kubeconfig byte for byte as it was',
    async () => {
      const user = await userSide(join(dir, 'alice'));
      const original =
        '# my own kubeconfig\napiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\npreferences: {}\n';
      await writeFile(user.kubeconfig, original, { mode: 0o600 });
      const { proxy, pin, passwords } = demo.quickStart;

      const login = await user.remoteler(
        ['login', '--proxy', proxy, '--user', 'alice', '--ca-pin', pin, '--password-stdin'],
        `${passwords.alice}\n`,
      );
      expect(login.stderr).toBe('');
      expect(login.code, login.stderr).toBe(0);

      for (const version of ['1.33', '1.27']) {
        const pods = await user.kubectl(version, ['get', 'pods']);
        expect(pods.stderr).toBe('');
        expect(pods.stdout).toMatch(/^web-0\s+1\/1\s+Running/m);
        expect(pods.stdout).toMatch(/^web-1\s/m);
      }

      const exec = await user.kubectl('1.33', ['exec', 'web-0', '--', 'hostname']);
      expect(exec.code, exec.stderr).toBe(0);
      expect(exec.stdout).toBe('web-0\n');

      // Outside the developer role's namespaces the Proxy refuses, naming the rule.
      const elsewhere = await user.kubectl('1.33', ['get', 'pods', '-n', 'team-b']);
      expect(elsewhere.code).not.toBe(0);
      expect(elsewhere.stderr).toMatch(/forbidden/i);

      const prod = await user.remoteler(['kube', 'login', 'prod']);
      expect(prod.code).not.toBe(0);
      // The refusal names the reason: the roles, and what they do allow.
      expect(prod.stderr).toMatch(
        /RMT_CLIENT_CLUSTER_NOT_FOUND: your roles \(developer\) do not allow the cluster "prod"; they allow dev/,
      );

      const status = await user.remoteler(['status']);
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toMatch(/Logged in as:\s+alice/);
      expect(status.stdout).toMatch(/Roles:\s+developer/);
      expect(status.stdout).toMatch(/\* dev\s+users: alice\s+groups: developers/);
      expect(status.stdout).not.toMatch(/\bprod\b/);

      const logout = await user.remoteler(['logout']);
      expect(logout.code, logout.stderr).toBe(0);
      expect(await readFile(user.kubeconfig, 'utf8')).toBe(original);
    },
    SLOW_TEST_MS,
  );

  it(
    'lets bob (admin) use prod',
    async () => {
      const user = await userSide(join(dir, 'bob'));
      const { proxy, pin, passwords } = demo.quickStart;
      const login = await user.remoteler(
        ['login', '--proxy', proxy, '--user', 'bob', '--ca-pin', pin, '--password-stdin', 'prod'],
        `${passwords.bob}\n`,
      );
      expect(login.code, login.stderr).toBe(0);
      const deployments = await user.kubectl('1.33', ['get', 'deployments', '-A', '-o', 'name']);
      expect(deployments.stderr).toBe('');
      expect(deployments.stdout).toContain('deployment.apps/web');
    },
    SLOW_TEST_MS,
  );

  it(
    'keeps the CA and the passwords across a restart, so earlier logins stay valid',
    async () => {
      const user = await userSide(join(dir, 'restart'));
      const before = demo.quickStart;
      const login = await user.remoteler(
        ['login', '--proxy', before.proxy, '--user', 'alice', '--ca-pin', before.pin, '--password-stdin'],
        `${before.passwords.alice}\n`,
      );
      expect(login.code, login.stderr).toBe(0);
      expect(await demo.process.stop()).toBe(0);

      demo = await startDemoProcess(join(dir, 'state'));
      expect(demo.quickStart.pin).toBe(before.pin);
      expect(demo.quickStart.passwords).toEqual(before.passwords);
      const relogin = await user.remoteler(
        [
          'login',
          '--proxy',
          demo.quickStart.proxy,
          '--user',
          'alice',
          '--ca-pin',
          before.pin,
          '--password-stdin',
        ],
        `${before.passwords.alice}\n`,
      );
      expect(relogin.stderr).toBe('');
      expect(relogin.code, relogin.stderr).toBe(0);
      const pods = await user.kubectl('1.33', ['get', 'pods', '-o', 'name']);
      expect(pods.stdout).toContain('pod/web-0');
    },
    SLOW_TEST_MS,
  );
});
