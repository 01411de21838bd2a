// The users' side of OpenID logins for bench/suites/auth.mjs, in a process of its own so that the Auth
// server's process does only Auth's work: for each login, the `remoteler` client's two calls
// (`/v1/sso/start`, `/v1/sso/redeem`, over a connection of its own as separate client processes would
// have) and a HeadlessBrowser of its own doing the provider's login and consent pages and Auth's
// callback, stopping at the RFC 8252 loopback redirect (read, not requested). Driven over Node's IPC
// channel (child-process-rpc.mjs):
//   init({ authUrl, authCa, idpCa })        once;
//   prepare({ logins: [login, …] })         makes one fresh P-256 key per login (not timed);
//   run()                                   starts every prepared login at once and answers when all
//                                           settled: [{ ok, ms, error?, certificatePem? }], CPU µs;
//   throughput({ logins, concurrency, durationMs })  closed-loop logins per second.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { Agent } from 'node:https';
import { performance } from 'node:perf_hooks';
import { createSecureContext } from 'node:tls';
import { s256Challenge } from '@remoteler/auth';
import { HeadlessBrowser } from '@remoteler/sso-oidc/testing';
import { serveRpc } from './child-process-rpc.mjs';
import { postJson } from './post-json.mjs';

let context;
let prepared = [];

const spkiPem = () =>
  generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'pem' });

function post(agent, path, body) {
  return postJson(agent, new URL(path, context.authUrl), body);
}

/** Runs one step of a login; a failure names the step (start, browser or redeem). */
async function step(name, fn) {
  try {
    return await fn();
  } catch (error) {
    throw new Error(`${name}: ${error?.code ?? ''} ${error?.message ?? error}`.replace(/\s+/g, ' '));
  }
}

/** One whole OpenID login as the `remoteler` client and a browser would do it; returns the cert PEM. */
async function ssoLogin(login, key) {
  // One client process per user: its own connection to Auth, reused from start to redeem when Auth
  // kept it open.
  const agent = new Agent({ keepAlive: true, secureContext: context.authTrust, maxSockets: 1 });
  try {
    const verifier = randomBytes(32).toString('base64url');
    const state = randomBytes(16).toString('base64url');
    // RFC 8252 loopback redirect: the browser stops before requesting it, so nothing listens there.
    const redirectUri = 'http://127.0.0.1:9/callback';
    const start = await step('start', () =>
      post(agent, '/v1/sso/start', {
        connectorId: 'corp-oidc',
        publicKey: key,
        codeChallenge: s256Challenge(verifier),
        codeChallengeMethod: 'S256',
        redirectUri,
        state,
      }),
    );
    if (start.status !== 200) throw new Error(`sso start ${start.status}: ${JSON.stringify(start.json)}`);
    const browser = new HeadlessBrowser({
      ca: [context.idpCa, context.authCa],
      resolve: { 'auth.bench': new URL(context.authUrl).host },
    });
    const landed = await step('browser', () =>
      browser
        .navigate(start.json.authorizationUrl, {
          stopAt: (url) => url.href.startsWith(redirectUri),
          credentials: { login, password: 'any' },
        })
        .finally(() => browser.close()),
    );
    const code = landed.searchParams.get('code');
    if (landed.searchParams.get('state') !== state || !code)
      throw new Error(`callback without code: ${landed.searchParams.get('error') ?? landed.search}`);
    const redeem = await step('redeem', () =>
      post(agent, '/v1/sso/redeem', { code, codeVerifier: verifier, publicKey: key, redirectUri }),
    );
    if (redeem.status !== 200) throw new Error(`sso redeem ${redeem.status}: ${JSON.stringify(redeem.json)}`);
    return redeem.json.certificatePem;
  } finally {
    agent.destroy();
  }
}

async function timed(login, key) {
  const t0 = performance.now();
  try {
    const certificatePem = await ssoLogin(login, key);
    return { ok: true, ms: performance.now() - t0, certificatePem };
  } catch (error) {
    return { ok: false, ms: performance.now() - t0, error: String(error?.message ?? error) };
  }
}

serveRpc({
  init(params) {
    // A client process loads its trusted CA once, not per connection.
    context = { ...params, authTrust: createSecureContext({ ca: params.authCa }) };
  },
  prepare({ logins }) {
    prepared = logins.map((login) => ({ login, key: spkiPem() }));
    return prepared.length;
  },
  async run({ keepCertificates = false } = {}) {
    const cpu = process.cpuUsage();
    const outcomes = await Promise.all(prepared.map(({ login, key }) => timed(login, key)));
    const used = process.cpuUsage(cpu);
    prepared = [];
    return {
      outcomes: outcomes.map((o) => (keepCertificates ? o : { ...o, certificatePem: undefined })),
      cpuMicros: used.user + used.system,
    };
  },
  async throughput({ logins, concurrency, durationMs }) {
    const key = spkiPem();
    const samples = [];
    const errors = [];
    let n = 0;
    const cpu = process.cpuUsage();
    const start = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() - start < durationMs) {
          const outcome = await timed(logins[n++ % logins.length], key);
          if (outcome.ok) samples.push(outcome.ms);
          else errors.push(outcome.error);
        }
      }),
    );
    const used = process.cpuUsage(cpu);
    return { samples, errors, elapsedMs: performance.now() - start, cpuMicros: used.user + used.system };
  },
});
