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

  it('ten parallel exec plugins in a terminal after the login expired sign in again once and all get one certificate', async () => {
    const caFile = join(dir, 'ca.pem');
    await writeFile(caFile, stack.hostCaPem);
    const home = join(dir, 'home-relogin');
    const env = {
      PATH: process.env.PATH ?? '',
      REMOTELER_HOME: home,
      KUBECONFIG: join(dir, 'config-relogin'),
      HOME: dir,
      REMOTELER_BROWSER: 'none',
    };
    const first = startRemoteler(
      ['login', '--proxy', stack.address, '--ca-file', caFile, '--browser', 'none'],
      env,
    );
    await signInFromStderr(first, stack);
    expect(await first.exit).toBe(0);
    // The login certificate "expired": the profile says so, and no cluster certificate is cached.
    const profilePath = join(home, 'profiles', stack.address.replace(':', '_3a'), 'profile.json');
    const profile = JSON.parse(await readFile(profilePath, 'utf8'));
    await writeFile(
      profilePath,
      JSON.stringify({ ...profile, notAfter: new Date(Date.now() - 1000).toISOString() }),
    );
    const execInfo = JSON.stringify({ kind: 'ExecCredential', spec: { interactive: true } });
    const runs = Array.from({ length: 10 }, () =>
      startRemoteler(['kube', 'credentials', '--proxy', stack.address, '--cluster', 'dev-1'], {
        ...env,
        KUBERNETES_EXEC_INFO: execInfo,
      }),
    );
    const prompter = await Promise.race(runs.map((run) => signInFromStderr(run, stack).then(() => run)));
    const codes = await Promise.all(runs.map((run) => run.exit));
    expect(codes).toEqual(Array(10).fill(0));
    const prompted = runs.filter((run) => run.stderr().includes('https://idp.test/authorize'));
    expect(prompted).toEqual([prompter]);
    const certificates = new Set(runs.map((run) => JSON.parse(run.stdout()).status.clientCertificateData));
    expect(certificates.size).toBe(1);
    const renewed = JSON.parse(await readFile(profilePath, 'utf8'));
    expect(Date.parse(renewed.notAfter)).toBeGreaterThan(Date.now());
  }, 120_000); // ten node processes at once: slow on a busy 2-core machine, never a timing assertion
});

interface Started {
  readonly exit: Promise<number>;
  stdout(): string;
  stderr(): string;
  onStderr(listener: (all: string) => void): void;
}

function startRemoteler(args: string[], env: Record<string, string>): Started {
  const child = spawn(process.execPath, [REMOTELER_BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const listeners: Array<(all: string) => void> = [];
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    for (const listener of listeners) listener(err);
  });
  return {
    exit: once(child, 'close').then(([code]) => code as number),
    stdout: () => out,
    stderr: () => err,
    onStderr: (listener) => {
      listeners.push(listener);
      listener(err);
    },
  };
}

/** Plays the browser: waits for the printed URL, signs in at the IdP, follows Auth's redirect to the loopback. */
async function signInFromStderr(run: Started, auth: AuthStack): Promise<void> {
  const url = await new Promise<string>((resolve) => {
    run.onStderr((all) => {
      const match = /https:\/\/idp\.test\/authorize\S+/.exec(all);
      if (match) resolve(match[0]);
    });
  });
  const callback = await get(
    `https://${auth.address}/v1/sso/callback${auth.idp.signIn(url)}`,
    auth.hostCaPem,
  );
  await get(callback.location as string);
}
