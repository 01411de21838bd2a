import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadlessBrowser } from '@remoteler/sso-oidc/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoQuickStart, startDemoProcess, userSide } from '../support/demo-walk.js';
import { REMOTELER_CLIENT_BIN } from '../support/run-remoteler.js';
import type { ServerProcess } from '../support/server-process.js';

// Real processes and real kubectl on a shared 2-core machine: generous, never a timing assertion.
const SLOW_TEST_MS = 120_000;

// The demo's single sign-on, as the quick start describes it: `remoteler login --auth demo-sso`
// prints the provider's URL (--browser none), a scripted browser signs in as carol at the embedded
// OpenID provider, follows the redirects through Auth's callback on the demo listener to the
// client's loopback listener, and kubectl then works as the OpenID user with the role her groups
// claim maps to.

let dir: string;
let stateDir: string;
let demo: { process: ServerProcess; quickStart: DemoQuickStart };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rmt-demo-sso-'));
  stateDir = join(dir, 'state');
  demo = await startDemoProcess(stateDir);
}, SLOW_TEST_MS);

afterAll(async () => {
  await demo?.process.stop();
  await rm(dir, { recursive: true, force: true });
});

/** One plain-HTTP GET, as the browser's last step to the client's RFC 8252 loopback listener. */
function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    })
      .on('error', reject)
      .end();
  });
}

describe('the demo single sign-on', () => {
  it(
    'signs carol in through the embedded OpenID provider headlessly and kubectl then works as her, with the developer role from her groups claim',
    async () => {
      const user = await userSide(join(dir, 'carol'));
      const { proxy, pin, oidcIssuer } = demo.quickStart;
      const child = spawn(
        process.execPath,
        [
          REMOTELER_CLIENT_BIN,
          'login',
          '--proxy',
          proxy,
          '--auth',
          'demo-sso',
          '--ca-pin',
          pin,
          '--browser',
          'none',
        ],
        { env: { PATH: process.env.PATH ?? '', ...user.env }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      const exited = once(child, 'close');
      child.stdout.resume();
      const authorizationUrl = await new Promise<string>((resolve) => {
        child.stderr.setEncoding('utf8').on('data', (d: string) => {
          stderr += d;
          const match = new RegExp(`${oidcIssuer.replace(/[.]/g, '\\.')}/\\S+`).exec(stderr);
          if (match) resolve(match[0]);
        });
      });

      const browser = new HeadlessBrowser({
        // The provider's demo CA and the host CA that signed the demo listener's certificate.
        ca: [
          await readFile(join(stateDir, 'run', 'oidc-ca.pem'), 'utf8'),
          await readFile(join(stateDir, 'host-ca.pem'), 'utf8'),
        ],
      });
      const loopback = await browser.navigate(authorizationUrl, {
        stopAt: (url) =>
          url.protocol === 'http:' && url.hostname === '127.0.0.1' && url.pathname === '/callback',
        credentials: { login: 'carol', password: 'any password' },
      });
      expect(loopback.searchParams.get('code')).toBeTruthy();
      expect(await get(loopback.href)).toBe(302);
      const [code] = await exited;
      expect(stderr).not.toContain('RMT_');
      expect(code).toBe(0);

      const status = await user.remoteler(['status']);
      expect(status.stdout).toMatch(/Logged in as:\s+carol@example\.com/);
      expect(status.stdout).toMatch(/Roles:\s+developer/);
      const pods = await user.kubectl('1.33', ['get', 'pods', '-o', 'name']);
      expect(pods.stderr).toBe('');
      expect(pods.stdout).toContain('pod/web-0');
    },
    SLOW_TEST_MS,
  );
});
