// Sign-in throughput of the Auth server over its real HTTPS API on 127.0.0.1:
// 1. password logins per second at the production scrypt cost (DEFAULT_SCRYPT_COST, ~128 MiB per
//    check by design: it is what makes offline guessing expensive) and at a low test cost;
// 2. whole OpenID Connect logins per second (start, provider login and consent pages in a headless
//    browser, Auth callback, redeem) against npm oidc-provider from @remoteler/sso-oidc/testing;
// 3. concurrent OpenID logins of distinct users, 200 at first, then more, up to 2,000 (issue 7
//    target: 2,000 without an error on this 2-core machine), bounded by BENCH_SSO_BUDGET_MS;
//    BENCH_SSO_LEVELS (comma-separated, e.g. `2000`) chooses the sizes instead.
// The users' side of OpenID logins (client calls and browsers) runs in BENCH_SSO_CLIENT_PROCESSES
// processes (bench/lib/sso-client-child.mjs, default 2) and the provider in one of its own, so this
// process does Auth's work only and its CPU time per login is Auth's. BENCH_SSO_CPU_PROF_DIR=<dir>
// writes those processes' CPU profiles there.
// Figures only: the suite exits 0 whatever the speed, non-zero only when it cannot run.
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { Agent } from 'node:https';
import { cpus, setPriority } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { AuthHttpServer, AuthService } from '@remoteler/auth';
import { MemoryCaKeyStore, X509CertificateAuthority, X509IdentityDecoder } from '@remoteler/ca';
import {
  createMemoryClusterStore,
  createMemoryLockStore,
  createMemoryUserStore,
  DEFAULT_SCRYPT_COST,
  hashPassword,
  LocalUserConnector,
  MemoryAuditSink,
  MemoryRoleStore,
} from '@remoteler/core';
import { OidcConnector } from '@remoteler/sso-oidc';
import { createTestCertificateAuthority } from '@remoteler/testkit';
import { startRpcChild } from '../lib/child-process-rpc.mjs';
import { printTable, writeResults } from '../lib/harness.mjs';
import { postJson } from '../lib/post-json.mjs';
import { cpuMicros, loadAverage } from '../lib/proc-stats.mjs';

const passwordMs = Number(process.env.BENCH_DURATION_MS ?? 6000);
const ssoMs = Number(process.env.BENCH_SSO_DURATION_MS ?? 5000);
const budgetMs = Number(process.env.BENCH_SSO_BUDGET_MS ?? 480_000);
const maxUsers = Number(process.env.BENCH_SSO_MAX_USERS ?? 2000);
const levelsOverride = process.env.BENCH_SSO_LEVELS?.split(',').map(Number);
const clientProcesses = Number(process.env.BENCH_SSO_CLIENT_PROCESSES ?? 2);
// Niceness of the client processes: users' browsers run on users' machines, not on the servers'
// cores; at the same priority here they take the CPU the provider and Auth need (see the README).
const clientNice = Number(process.env.BENCH_SSO_CLIENT_NICE ?? 10);
// Profiles of the provider and client processes (`node --cpu-prof` this suite for Auth's own).
const profileDir = process.env.BENCH_SSO_CPU_PROF_DIR;
const childNodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
const PASSWORD = 'correct horse battery staple';
const LOW_COST = { logN: 10, r: 8, p: 1 };
const CALLBACK = 'https://auth.bench/v1/sso/callback';
const CLIENT_SECRET = randomBytes(24).toString('base64url');
const user = (i) => `user${String(i).padStart(4, '0')}`;
const spkiPem = () =>
  generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'pem' });

// --- one Auth server with a local connector (two users: production and low cost) and OIDC -------
const idpCa = await createTestCertificateAuthority('bench-idp-ca');
const accounts = {};
for (let i = 0; i < maxUsers; i++)
  accounts[user(i)] = { email: `${user(i)}@example.com`, email_verified: true, groups: ['devs'] };
// The provider runs in its own process, as a real IdP would: in this one it would share the event
// loop with Auth and thousands of browsers, and its token endpoint would time out for that reason.
const provider = await startProviderProcess({
  tls: await idpCa.issue({ commonName: '127.0.0.1', usage: 'server' }),
  clients: [{ clientId: 'remoteler-auth', clientSecret: CLIENT_SECRET, redirectUris: [CALLBACK] }],
  accounts,
});

/** Starts bench/lib/oidc-provider-child.mjs; resolves with `{ issuer, close() }`. */
function startProviderProcess(options) {
  const child = spawn(
    process.execPath,
    [...childNodeArgs, fileURLToPath(new URL('../lib/oidc-provider-child.mjs', import.meta.url))],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  child.stdin.end(JSON.stringify(options));
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the OpenID provider process exited with ${code}`)));
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      const newline = out.indexOf('\n');
      if (newline === -1) return;
      child.removeAllListeners('exit');
      resolve({
        pid: child.pid,
        issuer: out.slice(0, newline),
        close: () =>
          new Promise((done) => {
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}
const oidc = new OidcConnector({
  id: 'corp-oidc',
  issuer: provider.issuer,
  clientId: 'remoteler-auth',
  clientSecret: CLIENT_SECRET,
  scopes: ['openid', 'email', 'profile', 'groups'],
  ca: idpCa.certPem,
});
// Why logins failed inside Auth (the browser sees only the RMT_ code): the cause chain, per kind.
const connectorFailures = new Map();
const completeLogin = oidc.completeLogin.bind(oidc);
oidc.completeLogin = async (request) => {
  try {
    return await completeLogin(request);
  } catch (error) {
    const chain = [];
    for (let e = error; e && chain.length < 4; e = e.cause) chain.push(`${e.code ?? e.name}: ${e.message}`);
    const key = chain.join(' <- ').slice(0, 300);
    connectorFailures.set(key, (connectorFailures.get(key) ?? 0) + 1);
    throw error;
  }
};
const keyStore = new MemoryCaKeyStore();
const userCa = await X509CertificateAuthority.open({ keyStore, clusterName: 'root.bench', kind: 'user' });
const hostCa = await X509CertificateAuthority.open({ keyStore, clusterName: 'root.bench', kind: 'host' });
const roles = new MemoryRoleStore();
await roles.create({
  kind: 'role',
  version: 'v1',
  metadata: { name: 'developer' },
  spec: {
    options: { max_session_ttl: '8h' },
    allow: {
      kubernetes_labels: { env: ['dev'] },
      kubernetes_groups: ['developers'],
      kubernetes_resources: [{ kind: '*', namespace: '*', name: '*', verbs: ['*'] }],
    },
    deny: {},
  },
});
const local = new LocalUserConnector({
  users: [
    { username: 'prod-cost', passwordHash: await hashPassword(PASSWORD), roles: ['developer'] },
    {
      username: 'low-cost',
      passwordHash: await hashPassword(PASSWORD, { cost: LOW_COST }),
      roles: ['developer'],
    },
  ],
});
const service = await AuthService.create({
  clusterName: 'root.bench',
  userCa,
  hostCa,
  certificateDecoder: new X509IdentityDecoder({ userBundle: userCa.bundle(), hostBundle: hostCa.bundle() }),
  connectors: [
    { connector: local },
    { connector: oidc, claimsToRoles: [{ claim: 'groups', value: 'devs', roles: ['developer'] }] },
  ],
  ssoCallbackUrl: CALLBACK,
  // The brute-force limits (10/min per user, 50/min per source) would stop a throughput test at once;
  // every request here comes from one user and 127.0.0.1.
  passwordLimitPerUser: { max: 1_000_000, windowMs: 60_000 },
  passwordLimitPerSource: { max: 1_000_000, windowMs: 60_000 },
  roles,
  users: createMemoryUserStore(),
  clusters: createMemoryClusterStore(),
  locks: createMemoryLockStore(),
  audit: new MemoryAuditSink({}),
  proxyKubeAddress: '127.0.0.1:3026',
});
const server = await AuthHttpServer.start({ service, host: '127.0.0.1', port: 0, dnsNames: ['auth.bench'] });
const authCa = hostCa.trustBundlePem();
const agent = new Agent({ keepAlive: true, ca: authCa, maxSockets: 256 });

function post(path, body) {
  return postJson(agent, new URL(path, server.url), body);
}

/** Runs `fn` with `concurrency` workers for `durationMs`; logins/s, mean and p99 latency in ms. */
async function throughput(fn, { durationMs, concurrency }) {
  const samples = [];
  let errors = 0;
  let firstError;
  const start = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() - start < durationMs) {
        const t0 = performance.now();
        try {
          await fn();
          samples.push(performance.now() - t0);
        } catch (error) {
          errors++;
          firstError ??= error;
        }
      }
    }),
  );
  const elapsed = performance.now() - start;
  const used = process.cpuUsage(cpu);
  samples.sort((a, b) => a - b);
  return {
    logins: samples.length,
    errors,
    firstError: firstError ? String(firstError.message ?? firstError) : undefined,
    perSecond: (samples.length * 1000) / elapsed,
    meanMs: samples.reduce((a, b) => a + b, 0) / Math.max(1, samples.length),
    p99Ms: samples[Math.min(samples.length - 1, Math.floor(samples.length * 0.99))] ?? 0,
    cpuMsPerLogin: (used.user + used.system) / 1000 / Math.max(1, samples.length),
  };
}

const publicKey = spkiPem();
function passwordLogin(username) {
  return async () => {
    const { status, json } = await post('/v1/login/password', { username, password: PASSWORD, publicKey });
    if (status !== 200) throw new Error(`password login ${status}: ${JSON.stringify(json)}`);
  };
}

/** Closed-loop OpenID logins in one client process; figures as {@link throughput}'s plus other parties' CPU. */
async function ssoThroughput(client, concurrency) {
  const authCpu = process.cpuUsage();
  const providerCpu = cpuMicros(provider.pid);
  const logins = Array.from({ length: 100 }, (_, i) => user(i + 1));
  const r = await client.call('throughput', { logins, concurrency, durationMs: ssoMs });
  const authUsed = process.cpuUsage(authCpu);
  const providerUsed = cpuMicros(provider.pid) - providerCpu;
  const samples = r.samples.sort((a, b) => a - b);
  const count = Math.max(1, samples.length);
  return {
    logins: samples.length,
    errors: r.errors.length,
    firstError: r.errors[0],
    perSecond: (samples.length * 1000) / r.elapsedMs,
    meanMs: samples.reduce((a, b) => a + b, 0) / count,
    p99Ms: samples[Math.min(samples.length - 1, Math.floor(samples.length * 0.99))] ?? 0,
    cpuMsPerLogin: (authUsed.user + authUsed.system) / 1000 / count,
    clientCpuMsPerLogin: r.cpuMicros / 1000 / count,
    providerCpuMsPerLogin: providerUsed / 1000 / count,
  };
}

let stopClients = async () => {};
const results = {};
try {
  // Each path must work once before its figure means anything.
  await passwordLogin('prod-cost')();
  await passwordLogin('low-cost')();
  const clients = await Promise.all(
    Array.from({ length: clientProcesses }, (_, i) =>
      startRpcChild(fileURLToPath(new URL('../lib/sso-client-child.mjs', import.meta.url)), {
        label: `SSO client process ${i + 1}`,
        nodeArgs: childNodeArgs,
      }),
    ),
  );
  stopClients = () => Promise.all(clients.map((c) => c.exit()));
  for (const c of clients) setPriority(c.pid, clientNice);
  await Promise.all(
    clients.map((c) => c.call('init', { authUrl: server.url, authCa, idpCa: idpCa.certPem })),
  );
  await clients[0].call('prepare', { logins: [user(0)] });
  const [first] = (await clients[0].call('run', { keepCertificates: true })).outcomes;
  if (!first.ok) throw new Error(`the first OpenID login failed: ${first.error}`);
  if (!new X509Certificate(first.certificatePem).checkIssued(new X509Certificate(userCa.trustBundlePem())))
    throw new Error('the SSO certificate is not issued by the user CA');

  const cores = cpus().length;
  const rows = [];
  for (const [name, username] of [
    [`production cost (logN ${DEFAULT_SCRYPT_COST.logN}, r ${DEFAULT_SCRYPT_COST.r})`, 'prod-cost'],
    [`low cost (logN ${LOW_COST.logN}, r ${LOW_COST.r})`, 'low-cost'],
  ]) {
    for (const concurrency of [1, cores]) {
      const r = await throughput(passwordLogin(username), { durationMs: passwordMs, concurrency });
      results[`password ${username} x${concurrency}`] = r;
      rows.push({ 'password login': name, concurrency, ...pick(r) });
    }
  }
  printTable(
    'Password logins over HTTPS (scrypt check + certificate); production cost is the one that counts',
    rows,
  );

  const ssoRows = [];
  for (const concurrency of [1, cores * 4]) {
    const r = await ssoThroughput(clients[0], concurrency);
    results[`sso x${concurrency}`] = r;
    ssoRows.push({
      'OpenID login flow': 'start, IdP login + consent, callback, redeem',
      concurrency,
      ...pick(r),
      'client CPU ms/login': r.clientCpuMsPerLogin,
      'IdP CPU ms/login': r.providerCpuMsPerLogin,
    });
  }
  printTable(
    'Whole OpenID Connect logins per second (oidc-provider on loopback, headless browser); CPU ms/login is the Auth process',
    ssoRows,
  );

  // Concurrency: N distinct users at once, one fresh key each, all started together.
  // 200 first, then straight to the target: intermediate levels would double the run time on a
  // machine doing ~6 OpenID logins/s. A level the last wave's rate says cannot finish within the
  // remaining budget is skipped (and reported), so the suite stays bounded in time.
  const levels = levelsOverride ?? [...new Set([200, maxUsers])].filter((l) => l <= maxUsers);
  let halved = false;
  const errorsByLevel = {};
  const waves = [];
  const deadline = performance.now() + budgetMs;
  let rate = Number.POSITIVE_INFINITY;
  for (const level of levels) {
    if (performance.now() + (level / rate) * 1000 > deadline) {
      console.log(
        `skipped ${level} concurrent logins: at ${rate.toFixed(1)}/s they would overrun the budget`,
      );
      break;
    }
    // Split the users over the client processes, let each make its keys, then start all at once.
    const share = (k) => Array.from({ length: level }, (_, i) => i).filter((i) => i % clients.length === k);
    await Promise.all(clients.map((c, k) => c.call('prepare', { logins: share(k).map(user) })));
    const load = loadAverage();
    const authCpu = process.cpuUsage();
    const providerCpu = cpuMicros(provider.pid);
    const loopDelay = monitorEventLoopDelay({ resolution: 20 });
    loopDelay.enable();
    const t0 = performance.now();
    const answers = await Promise.all(clients.map((c) => c.call('run')));
    const seconds = (performance.now() - t0) / 1000;
    const authUsed = process.cpuUsage(authCpu);
    const providerUsed = cpuMicros(provider.pid) - providerCpu;
    loopDelay.disable();
    const outcomes = answers.flatMap((a) => a.outcomes);
    const clientMicros = answers.reduce((sum, a) => sum + a.cpuMicros, 0);
    const failed = outcomes.filter((o) => !o.ok);
    const latencies = outcomes
      .filter((o) => o.ok)
      .map((o) => o.ms)
      .sort((x, y) => x - y);
    const messages = new Map();
    for (const f of failed) {
      // One line per kind of failure: drop per-login ids from URLs and the HTML around the reason.
      const message = String(f.error)
        .replace(/(https:\/\/[^/\s]+\/[a-z]+\/)[^\s:]+/g, '$1…')
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ')
        .slice(0, 200);
      messages.set(message, (messages.get(message) ?? 0) + 1);
    }
    for (const [cause, count] of connectorFailures) messages.set(`in Auth: ${cause}`, count);
    connectorFailures.clear();
    const wave = {
      'concurrent users': level,
      succeeded: level - failed.length,
      errors: failed.length,
      'wall s': seconds,
      'logins/s': (level - failed.length) / seconds,
      'p50 s': (latencies[Math.floor(latencies.length / 2)] ?? 0) / 1000,
      'max s': (latencies.at(-1) ?? 0) / 1000,
      'Auth loop delay p99 ms': loopDelay.percentile(99) / 1e6,
      'Auth loop delay max ms': loopDelay.max / 1e6,
      'Auth CPU ms/login': (authUsed.user + authUsed.system) / 1000 / level,
      'IdP CPU ms/login': providerUsed / 1000 / level,
      'clients CPU ms/login': clientMicros / 1000 / level,
      'load avg before': load.map((x) => x.toFixed(1)).join(' '),
      'load avg after': loadAverage()
        .map((x) => x.toFixed(1))
        .join(' '),
    };
    waves.push(wave);
    errorsByLevel[level] = Object.fromEntries(messages);
    rate = wave['logins/s'];
    // One more wave at half the failing level, to bracket what the machine holds.
    if (failed.length > 0 && !halved && level / 2 > 200) {
      halved = true;
      levels.push(level / 2);
    } else if (failed.length > 0) break;
  }
  results.concurrent = waves;
  printTable(
    `Concurrent OpenID logins of distinct users (target: 2,000 without an error; budget ${budgetMs / 1000} s)`,
    waves,
  );
  for (const [level, messages] of Object.entries(errorsByLevel))
    for (const [message, count] of Object.entries(messages).sort((a, b) => b[1] - a[1]))
      console.log(`  ${level} concurrent: ${count} x ${message}`);
  writeResults('auth', {
    errorsByLevel,
    target: { concurrentSsoLoginsWithoutError: 2000 },
    results,
  });
} finally {
  await stopClients();
  agent.destroy();
  await server.close();
  service.close();
  await local.close();
  await oidc.close();
  await provider.close();
}

function pick(r) {
  return {
    'logins/s': r.perSecond,
    'mean ms': r.meanMs,
    'p99 ms': r.p99Ms,
    'CPU ms/login': r.cpuMsPerLogin,
    errors: r.errors,
  };
}
