// Proxy throughput and latency: small keep-alive GETs side by side against a bare node:https server
// answering the same bytes (Node's floor), the testkit API simulator directly, and the simulator
// through the Remoteler Proxy (mTLS, identity decoding, policy, impersonation, undici forwarding).
// Everything runs in this one Node process (one core for client, Proxy and server together), so the
// figures compare paths, not absolute capacity; `CPU µs/req` is the whole process's CPU per request.
// Issue 6 targets (nginx baseline not run here yet): Proxy >= 0.6x nginx's throughput, CPU per
// proxied request <= 2x the bare-server floor, p99 added latency <= 2 ms at half of nginx's peak.
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:https';
import { MemoryCaKeyStore, TrustBundle, X509CertificateAuthority, X509IdentityDecoder } from '@remoteler/ca';
import { createAccessChecker } from '@remoteler/core';
import { createProxy, MemoryClusterRegistry } from '@remoteler/proxy';
import { KubeApiSimulator } from '@remoteler/testkit';
import { Pool } from 'undici';
import { printTable, ratio, writeResults } from '../lib/harness.mjs';

const durationMs = Number(process.env.BENCH_DURATION_MS ?? 3000);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
const HOUR = 3_600_000;
const PATH = '/api/v1/namespaces/default/configmaps/settings';

function keyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
    spki: publicKey.export({ type: 'spki', format: 'pem' }),
  };
}

// --- Remoteler PKI and the Proxy ---------------------------------------------------------------
const store = new MemoryCaKeyStore();
const userCa = await X509CertificateAuthority.open({ kind: 'user', keyStore: store, clusterName: 'bench' });
const hostCa = await X509CertificateAuthority.open({ kind: 'host', keyStore: store, clusterName: 'bench' });
const serverKey = keyPair();
const serverCert = await hostCa.issueHostCertificate({
  publicKey: { spki: serverKey.spki },
  host: { hostId: 'proxy-1', role: 'proxy', clusterName: 'bench' },
  ipAddresses: ['127.0.0.1'],
  ttlMs: HOUR,
});
const userKey = keyPair();
const userCert = await userCa.issueUserCertificate({
  publicKey: { spki: userKey.spki },
  identity: {
    username: 'alice',
    roles: ['developer'],
    traits: {},
    userType: 'local',
    mfaVerified: false,
    kubernetesUsers: [],
    kubernetesGroups: [],
    kubernetesCluster: 'dev',
  },
  ttlMs: HOUR,
  maxTtlMs: HOUR,
});

const sim = await KubeApiSimulator.start({
  seed: true,
  tokens: { 'bench-proxy': { name: 'remoteler-proxy', groups: ['system:masters'] } },
});
const role = {
  kind: 'role',
  version: 'v1',
  metadata: { name: 'developer' },
  spec: {
    options: {},
    allow: {
      kubernetes_labels: { '*': '*' },
      kubernetes_users: ['alice'],
      kubernetes_groups: ['system:masters'],
      kubernetes_resources: [{ kind: '*', namespace: '*', name: '*', verbs: ['*'] }],
    },
    deny: {},
  },
};
const checker = createAccessChecker({ username: 'alice', roles: [role], traits: {} });
const decoder = new X509IdentityDecoder({ userBundle: TrustBundle.from('user', [userCa.trustBundlePem()]) });
const proxy = createProxy({
  tls: { cert: serverCert.certificatePem, key: serverKey.key, userCaBundle: userCa.trustBundlePem() },
  identityDecoder: decoder,
  // Like the core AccessCheckerProvider, one compiled checker per identity, reused across requests.
  access: { forIdentity: () => checker },
  clusters: new MemoryClusterRegistry([
    {
      name: 'dev',
      labels: {},
      upstream: { kind: 'token', server: sim.url, token: 'bench-proxy', ca: sim.caPem },
    },
  ]),
  checkImpersonation: false,
  // One benchmark user drives every connection: the per-user rate and concurrency limits (on by
  // default) would measure 429s, not forwarding.
  limits: { requestsPerSecond: 0, maxConcurrentPerUser: 0 },
});
const { port: proxyPort } = await proxy.listen();

// --- the floor: a bare node:https server answering the simulator's bytes -----------------------
const admin = sim.adminCertificate;
const sample = await new Pool(sim.url, { connect: { ca: sim.caPem, cert: admin.certPem, key: admin.keyPem } })
  .request({ path: PATH, method: 'GET' })
  .then((r) => r.body.text());
const bare = createServer({ cert: serverCert.certificatePem, key: serverKey.key }, (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(sample) });
  res.end(sample);
});
await new Promise((resolve) => bare.listen(0, '127.0.0.1', resolve));

// --- load ----------------------------------------------------------------------------------------
async function load(name, origin, connect, headers = {}) {
  const pool = new Pool(origin, { connect, connections, pipelining: 1 });
  const latencies = [];
  let failures = 0;
  const run = async (until) => {
    while (performance.now() < until) {
      const t0 = performance.now();
      const response = await pool.request({ path: PATH, method: 'GET', headers });
      await response.body.text();
      if (response.statusCode !== 200) failures++;
      latencies.push((performance.now() - t0) * 1000);
    }
  };
  await Promise.all(Array.from({ length: connections }, () => run(performance.now() + 300)));
  latencies.length = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  await Promise.all(Array.from({ length: connections }, () => run(start + durationMs)));
  const elapsed = performance.now() - start;
  const used = process.cpuUsage(cpu);
  await pool.close();
  latencies.sort((a, b) => a - b);
  const pick = (p) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  return {
    path: name,
    'req/s': (latencies.length * 1000) / elapsed,
    'p50 µs': pick(50),
    'p99 µs': pick(99),
    'CPU µs/req': (used.user + used.system) / latencies.length,
    failures,
  };
}

const trustHost = hostCa.trustBundlePem();
const results = [];
results.push(await load('bare node:https', `https://127.0.0.1:${bare.address().port}`, { ca: trustHost }));
results.push(
  await load('simulator, direct', sim.url, { ca: sim.caPem }, { authorization: 'Bearer bench-proxy' }),
);
results.push(
  await load('simulator via Proxy', `https://127.0.0.1:${proxyPort}`, {
    ca: trustHost,
    cert: userCert.certificatePem,
    key: userKey.key,
  }),
);

printTable(`small GETs, ${connections} keep-alive connections, ${durationMs} ms each, one process`, results);
const [floor, direct, proxied] = results;
printTable('ratios', [
  {
    comparison: 'Proxy vs direct',
    throughput: ratio(proxied['req/s'], direct['req/s']),
    'CPU/req': ratio(proxied['CPU µs/req'], direct['CPU µs/req']),
  },
  {
    comparison: 'Proxy vs bare floor',
    throughput: ratio(proxied['req/s'], floor['req/s']),
    'CPU/req': ratio(proxied['CPU µs/req'], floor['CPU µs/req']),
  },
]);
writeResults('proxy', { connections, durationMs, results });

await proxy.close();
await sim.close();
bare.close();
