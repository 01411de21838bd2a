import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashPassword } from '@remoteler/core';
import type { KubeApiSimulator } from '@remoteler/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type ServerWorkspace, startServerWorkspace } from './support/configured-server.js';
import { userSide } from './support/demo-walk.js';
import { type ServerProcess, startServerProcess } from './support/server-process.js';

// SIGHUP reads remoteler.yaml again: clusters and role files apply at once, other changes are
// logged as waiting for a restart, and a broken file changes nothing.

const SLOW_TEST_MS = 180_000;
const SIM_TOKEN = 'proxy-upstream-token-reload';
const PASSWORD = 'reload me';

let dir: string;
let sim: KubeApiSimulator;
let workspace: ServerWorkspace | undefined;
let server: ServerProcess | undefined;

beforeAll(async () => {
  workspace = await startServerWorkspace('rmt-config-reload-', SIM_TOKEN, 'view');
  dir = workspace.dir;
  sim = workspace.sim;
}, SLOW_TEST_MS);

afterAll(async () => {
  await server?.stop();
  await workspace?.close();
});

describe('SIGHUP with a changed remoteler.yaml', () => {
  it(
    'adds and removes clusters at once, reports what needs a restart, and ignores a broken file',
    async () => {
      const port = await freePort();
      const hash = await hashPassword(PASSWORD, { cost: { logN: 10, r: 8, p: 1 } });
      const cluster = (name: string) =>
        `    - { name: ${name}, labels: { env: dev }, token: { server: "${sim.url}", token: { file: sim-token }, ca_file: sim-ca.pem } }\n`;
      const file = join(dir, 'remoteler.yaml');
      const write = (clusters: string[], level = 'info') =>
        writeFile(
          file,
          `version: v1
cluster_name: reload
state_dir: ./state
log: { level: ${level} }
auth:
  listen: 127.0.0.1:0
  proxy_public_addr: localhost:${port}
  connectors:
    - type: local
      users: [{ username: alice, password_hash: "${hash}", roles: [developer] }]
  roles_files: [roles.yaml]
proxy:
  web_listen: 127.0.0.1:${port}
  clusters:
${clusters.map(cluster).join('')}`,
        );
      await write(['dev']);
      server = startServerProcess(['start', '--config', file], { HOME: dir });
      const [line] = await server.waitFor(/^.*"msg":"remoteler-server started".*$/m);
      const pin = (JSON.parse(line) as { hostCaFingerprints: string[] }).hostCaFingerprints[0] as string;
      const user = await userSide(join(dir, 'alice'));
      const login = await user.remoteler(
        ['login', '--proxy', `localhost:${port}`, '--user', 'alice', '--ca-pin', pin, '--password-stdin'],
        `${PASSWORD}\n`,
      );
      expect(login.code, login.stderr).toBe(0);
      const listed = async () =>
        (JSON.parse((await user.remoteler(['kube', 'ls', '--json'])).stdout) as Array<{ name: string }>).map(
          (c) => c.name,
        );
      expect(await listed()).toEqual(['dev']);

      let reloads = 0;
      const hangUp = async (pattern: string) => {
        reloads += 1;
        server?.child.kill('SIGHUP');
        await server?.waitFor(new RegExp(`(?:[\\s\\S]*?${pattern}){${reloads}}`));
      };

      await write(['dev', 'dev-2'], 'debug');
      await hangUp('"msg":"(?:reloaded|configuration reloaded)"[\\s\\S]*?"msg":"reloaded"');
      expect(server.stdout()).toMatch(
        /"fields":\["log"\].*"msg":"these configuration changes apply at the next restart"/,
      );
      expect(await listed()).toEqual(['dev', 'dev-2']);
      expect((await user.remoteler(['kube', 'login', 'dev-2'])).code).toBe(0);
      const pods = await user.kubectl('1.33', ['get', 'pods', '-o', 'name']);
      expect(pods.stderr).toBe('');
      expect(pods.stdout).toContain('pod/web-0');

      await writeFile(file, 'version: v1\nproxy: [not, a, map\n');
      server.child.kill('SIGHUP');
      await server.waitFor(/RMT_CONFIG_YAML_INVALID/);
      expect(await listed()).toEqual(['dev', 'dev-2']);

      await write(['dev']);
      await hangUp('"msg":"(?:reloaded|configuration reloaded)"[\\s\\S]*?"msg":"reloaded"');
      expect(await listed()).toEqual(['dev']);
    },
    SLOW_TEST_MS,
  );
});
