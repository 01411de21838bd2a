import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runKubectl } from '@remoteler/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthStack, startAuthStack } from './support/auth-stack.js';
import { REMOTELER_BIN } from './support/run-remoteler.js';

let stack: AuthStack;
let dir: string;

beforeAll(async () => {
  stack = await startAuthStack({ proxyKubeAddress: '127.0.0.1:3026' });
  dir = await mkdtemp(join(tmpdir(), 'rmt-client-sso-'));
});
afterAll(async () => {
  await stack?.close();
  await rm(dir, { recursive: true, force: true });
});

/** One GET without following redirects: status and Location. */
function get(url: string, ca?: string): Promise<{ status: number; location: string | undefined }> {
  return new Promise((resolve, reject) => {
    const request = url.startsWith('https:') ? httpsRequest : httpRequest;
    const req = request(url, { agent: false, ...(ca ? { ca } : {}) }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('remoteler login with SSO (loopback redirect, headless browser)', () => {
  it('prints the URL with --browser none, refuses a forged state, redeems the code and writes the kubeconfig', async () => {
    const caFile = join(dir, 'ca.pem');
    await writeFile(caFile, stack.hostCaPem);
    const kubeconfig = join(dir, 'config');
    const env = {
      PATH: process.env.PATH ?? '',
      REMOTELER_HOME: join(dir, 'home'),
      KUBECONFIG: kubeconfig,
      HOME: dir,
    };
    const child = spawn(
      process.execPath,
      [REMOTELER_BIN, 'login', '--proxy', stack.address, '--ca-file', caFile, '--browser', 'none', '--json'],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    const exited = once(child, 'close');
    const authorizationUrl = await new Promise<string>((resolve) => {
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
        const match = /https:\/\/idp\.test\/authorize\S+/.exec(stderr);
        if (match) resolve(match[0]);
      });
    });
    // The IdP sends the browser to Auth's callback, which redirects to the loopback with the code.
    const callback = await get(
      `https://${stack.address}/v1/sso/callback${stack.idp.signIn(authorizationUrl)}`,
      stack.hostCaPem,
    );
    expect(callback.status).toBe(302);
    const loopback = new URL(callback.location as string);
    expect(loopback.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(loopback.searchParams.get('code')).toBeTruthy();

    const forged = new URL(loopback.href);
    forged.searchParams.set('state', 'forged');
    expect((await get(forged.href)).status).toBe(400);

    const landed = await get(loopback.href);
    expect(landed).toEqual({ status: 302, location: '/done' });
    const [code] = await exited;
    expect(stderr).not.toContain('RMT_');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ username: 'zoe@example.com', roles: ['developer'] });
    const current = await runKubectl('1.33', ['config', 'current-context'], {
      kubeconfig,
      cacheDir: join(dir, 'cache'),
    });
    expect(current.stdout.trim()).toBe(`${stack.address}-dev-1`);
    expect(await readFile(kubeconfig, 'utf8')).toContain('provideClusterInfo: true');
  });
});
