import { writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { hashPassword } from '@remoteler/core';
import type { KubeApiSimulator } from '@remoteler/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type ServerWorkspace, startServerWorkspace } from './support/configured-server.js';
import { userSide } from './support/demo-walk.js';
import { runServerBin } from './support/run-server-bin.js';
import { type ServerProcess, startServerProcess } from './support/server-process.js';

// `remoteler-server ca rotate start|switch|finish` on the CA directory of a running server, which
// follows each step on SIGHUP: the new user CA is trusted first, then signs, then the old one is
// dropped, and kubectl keeps working through all three.

const SLOW_TEST_MS = 180_000;
const SIM_TOKEN = 'proxy-upstream-token-rotation';
const PASSWORD = 'rotate me gently';

let dir: string;
let sim: KubeApiSimulator;
let workspace: ServerWorkspace | undefined;
let server: ServerProcess | undefined;

function ping(url: string): Promise<{ caFingerprints: { user: string[]; host: string[] } }> {
  return new Promise((resolve, reject) => {
    // Only the answer matters here; the TLS trust of the web port is tested by the logins.
    request(`${url}/v1/ping`, { rejectUnauthorized: false, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => {
        text += d;
      });
      res.on('end', () => resolve(JSON.parse(text)));
    })
      .on('error', reject)
      .end();
  });
}

beforeAll(async () => {
  workspace = await startServerWorkspace('rmt-ca-rotation-', SIM_TOKEN, 'view');
  dir = workspace.dir;
  sim = workspace.sim;
}, SLOW_TEST_MS);

afterAll(async () => {
  await server?.stop();
  await workspace?.close();
});

describe('remoteler-server ca rotate', () => {
  it(
    'rotates the user CA of a running server step by step on SIGHUP while kubectl keeps working',
    async () => {
      const port = await freePort();
      const hash = await hashPassword(PASSWORD, { cost: { logN: 10, r: 8, p: 1 } });
      const file = join(dir, 'remoteler.yaml');
      await writeFile(
        file,
        `version: v1
cluster_name: rotation
state_dir: ./state
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
    - name: dev
      labels: { env: dev }
      token: { server: "${sim.url}", token: { file: sim-token }, ca_file: sim-ca.pem }
`,
      );
      server = startServerProcess(['start', '--config', file], { HOME: dir });
      const [line] = await server.waitFor(/^.*"msg":"remoteler-server started".*$/m);
      const started = JSON.parse(line) as { webUrl: string; hostCaFingerprints: string[] };
      const pin = started.hostCaFingerprints[0] as string;
      const before = (await ping(started.webUrl)).caFingerprints.user;
      expect(before).toHaveLength(1);

      const user = await userSide(join(dir, 'alice'));
      const login = () =>
        user.remoteler(
          ['login', '--proxy', `localhost:${port}`, '--user', 'alice', '--ca-pin', pin, '--password-stdin'],
          `${PASSWORD}\n`,
        );
      const getPods = async () => {
        const pods = await user.kubectl('1.33', ['get', 'pods', '-o', 'name']);
        expect(pods.stderr).toBe('');
        expect(pods.stdout).toContain('pod/web-0');
      };
      let reloads = 0;
      const step = async (name: string, phase: string) => {
        const result = await runServerBin(['ca', 'rotate', name, '--config', file, '--ca', 'user']);
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdout).toContain(`user CA: phase ${phase}`);
        reloads += 1;
        server?.child.kill('SIGHUP');
        await server?.waitFor(new RegExp(`(?:[\\s\\S]*?"msg":"reloaded"){${reloads}}`));
      };

      expect((await login()).code).toBe(0);
      await getPods();

      await step('start', 'init');
      const trusted = (await ping(started.webUrl)).caFingerprints.user;
      expect(trusted).toHaveLength(2);
      expect(trusted).toContain(before[0]);
      await getPods(); // the certificate from the old CA is still trusted

      await step('switch', 'update-clients');
      await getPods(); // still trusted during the grace period
      const relogin = await login();
      expect(relogin.code, relogin.stderr).toBe(0);
      await getPods(); // a certificate from the new CA

      await step('finish', 'standby');
      const after = (await ping(started.webUrl)).caFingerprints.user;
      expect(after).toHaveLength(1);
      expect(after[0]).not.toBe(before[0]);
      await getPods();

      const status = await runServerBin(['ca', 'status', '--config', file, '--json']);
      expect(JSON.parse(status.stdout).map((s: { ca: string; phase: string }) => [s.ca, s.phase])).toEqual([
        ['user', 'standby'],
        ['host', 'standby'],
      ]);
    },
    SLOW_TEST_MS,
  );

  it(
    'refuses to rotate where there is no CA yet, instead of making one',
    async () => {
      const file = join(dir, 'empty.yaml');
      await writeFile(
        file,
        'version: v1\ncluster_name: empty\nstate_dir: ./empty-state\nroles: [auth]\nauth: {}\n',
      );
      const result = await runServerBin(['ca', 'rotate', 'start', '--config', file]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/RMT_SERVER_STATE_DIR_UNUSABLE: there are no CAs in .*empty-state\/ca/);
    },
    SLOW_TEST_MS,
  );
});
