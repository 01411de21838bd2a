// The Proxy against nginx (issue 6, "Performance"), side by side in one run. Every party is its own
// process, so client, candidate and server never share an event loop:
//   upstream   the testkit KubeApiSimulator, and a bare node:https server answering the same bytes
//              (Node's floor: the least a Node HTTPS server spends per answered request);
//   candidate  the Remoteler Proxy (its own Node process), a minimal Node proxy (no checks; with
//              undici.stream, with a raw-socket client that reads only Content-Length answers, with
//              that client behind a raw TLS server instead of node:https, and with one upstream
//              HTTP/2 session: references for what Node itself costs), or nginx
//              as an mTLS reverse proxy that verifies the client certificate against the user CA
//              and sets the same impersonation headers and upstream bearer token (master + one
//              worker, private config in a temp dir);
//   load       an undici Pool with the user's client certificate, 64 keep-alive connections.
// CPU per request is the candidate process's own (utime + stime from /proc/<pid>/stat around each
// run). Nothing is pinned: the machine is shared, so the load average is printed with the figures.
//
// Environment: BENCH_DURATION_MS (per run, default 3000), BENCH_PROXY_ROUNDS (interleaved rounds of
// the keep-alive run, medians reported; default 3), BENCH_CONNECTIONS (default 64),
// BENCH_WATCHES (default 5000), BENCH_WATCH_BUDGET_MS (time allowed to open them per candidate,
// default 45000), BENCH_PROXY_CPU_PROFILE=<dir> (record the Proxy's CPU profile during
// its keep-alive run and its new-connection run, write each as a .cpuprofile file and print its top
// self-time functions).
//
// Issue 6 targets: throughput >= 0.6x nginx's; Proxy CPU per request <= 2x the bare floor's; p99
// added latency <= 2 ms at half of nginx's peak rate; <= 60 KiB RSS per open watch; new mTLS
// handshakes >= 0.8x nginx's rate.
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryCaKeyStore, X509CertificateAuthority } from '@remoteler/ca';
import { Pool } from 'undici';
import { startRpcChild } from '../lib/child-process-rpc.mjs';
import { topSelfTime } from '../lib/cpu-profile-top.mjs';
import { printTable, ratio, writeResults } from '../lib/harness.mjs';
import { NGINX_BINARY, nginxAvailable, startNginx } from '../lib/nginx.mjs';
import { cpuMicros, loadAverage, rssKiB } from '../lib/proc-stats.mjs';

const durationMs = Number(process.env.BENCH_DURATION_MS ?? 3000);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
const watchCount = Number(process.env.BENCH_WATCHES ?? 5000);
const warmupMs = Math.max(1000, durationMs / 3);
// Interleaved rounds of the keep-alive run; its figures are the medians (BENCH_PROXY_ROUNDS).
const rounds = Math.max(1, Number(process.env.BENCH_PROXY_ROUNDS ?? 3));
// Opening watches is one full mTLS handshake each; on a loaded machine 5,000 can take minutes per
// candidate, so opening stops after this budget and the figures are per watch actually held open.
const watchBudgetMs = Number(process.env.BENCH_WATCH_BUDGET_MS ?? 45_000);
const profileDir = process.env.BENCH_PROXY_CPU_PROFILE;
// BENCH_PROXY_HEAP_SNAPSHOT=<dir>: the Proxy's heap snapshot before and with the watches open.
const heapSnapshotDir = process.env.BENCH_PROXY_HEAP_SNAPSHOT;
if (heapSnapshotDir) mkdirSync(heapSnapshotDir, { recursive: true });
// BENCH_PROXY_PHASES=rateLimited,handshakes,watches (default: all) chooses the runs after the
// keep-alive one (which always runs), for quicker iterations on one figure.
const phases = new Set(
  (process.env.BENCH_PROXY_PHASES ?? 'rateLimited,handshakes,watches').split(',').map((p) => p.trim()),
);
const HOUR = 3_600_000;
const TOKEN = 'bench-proxy';
const PATH = '/api/v1/namespaces/default/configmaps/settings';
const WATCH_PATH = '/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=3600';
// Watches per HTTP/2 connection in the HTTP/2 watch run: one busy kubectl, below the stream limit (250).
const WATCHES_PER_HTTP2_CONNECTION = 100;
const GROUPS = ['system:masters', 'system:authenticated'];

const lib = (name) => new URL(`../lib/${name}`, import.meta.url).pathname;
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function keyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
    spki: publicKey.export({ type: 'spki', format: 'pem' }),
  };
}

const startLoad = loadAverage();
console.log(`load average at start: ${startLoad.join(' ')} (shared machine: figures are noisy)`);

// --- PKI: the user CA signs alice's certificate; the host CA signs the listeners' ---------------
const dir = mkdtempSync(join(tmpdir(), 'remoteler-bench-proxy-'));
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
const userTls = { ca: hostCa.trustBundlePem(), cert: userCert.certificatePem, key: userKey.key };

const children = [];
let nginx;
const results = { loadAverageStart: startLoad, connections, durationMs, watchCount };
try {
  // --- processes ----------------------------------------------------------------------------------
  const simChild = await startRpcChild(lib('proxy-bench-upstream.mjs'), { label: 'simulator' });
  children.push(simChild);
  const sim = await simChild.call('simulator', { token: TOKEN });
  const samplePool = new Pool(sim.url, {
    connect: { ca: sim.caPem, cert: sim.admin.cert, key: sim.admin.key },
  });
  const sample = await samplePool.request({ path: PATH, method: 'GET' }).then((r) => r.body.text());
  await samplePool.close();

  const bareChild = await startRpcChild(lib('proxy-bench-upstream.mjs'), { label: 'bare node:https' });
  children.push(bareChild);
  const bare = await bareChild.call('bare', {
    cert: serverCert.certificatePem,
    key: serverKey.key,
    body: sample,
  });

  async function startProxy(label) {
    const child = await startRpcChild(lib('proxy-bench-candidate.mjs'), { label, nodeArgs: ['--expose-gc'] });
    children.push(child);
    const { port } = await child.call('start', {
      cert: serverCert.certificatePem,
      key: serverKey.key,
      userCaPem: userCa.trustBundlePem(),
      role,
      username: 'alice',
      upstream: { kind: 'token', server: sim.url, token: TOKEN, ca: sim.caPem },
    });
    return { child, port };
  }
  const { child: proxyChild, ...proxy } = await startProxy('Remoteler Proxy');

  // The least a Node reverse proxy does for the same job (no policy, no checks): reference points,
  // on undici and on a raw-socket upstream client (how little a Node proxy can spend at all).
  async function startMinimal(label, client, serverKind = 'https') {
    const child = await startRpcChild(lib('proxy-bench-minimal.mjs'), { label });
    children.push(child);
    const { port } = await child.call('start', {
      cert: serverCert.certificatePem,
      key: serverKey.key,
      userCaPem: userCa.trustBundlePem(),
      groups: GROUPS,
      upstream: { server: sim.url, token: TOKEN, ca: sim.caPem },
      client,
      server: serverKind,
    });
    return { port, pid: child.pid };
  }
  const minimal = await startMinimal('minimal Node proxy', 'undici');
  const raw = await startMinimal('raw-socket Node proxy', 'raw');
  const h2 = await startMinimal('h2-upstream Node proxy', 'h2');
  const rawBoth = await startMinimal('raw-both-sides Node proxy', 'raw', 'raw');

  let nginxWorker;
  if (nginxAvailable()) {
    const files = {
      cert: join(dir, 'listener.crt'),
      key: join(dir, 'listener.key'),
      userCa: join(dir, 'user-ca.crt'),
      upstreamCa: join(dir, 'simulator-ca.crt'),
    };
    writeFileSync(files.cert, serverCert.certificatePem);
    writeFileSync(files.key, serverKey.key, { mode: 0o600 });
    writeFileSync(files.userCa, userCa.trustBundlePem());
    writeFileSync(files.upstreamCa, sim.caPem);
    nginx = await startNginx({ dir, files, upstreamPort: sim.port, token: TOKEN, groups: GROUPS });
    nginxWorker = nginx.workerPid;
  } else {
    console.log(`\nnginx not found at ${NGINX_BINARY}: the nginx column is skipped. Install it with:`);
    console.log('  apt-get install -y nginx');
  }

  const load = await startRpcChild(lib('proxy-bench-load.mjs'), { label: 'load generator' });
  children.push(load);

  const targets = [
    {
      name: 'direct to simulator',
      origin: sim.url,
      port: sim.port,
      pid: simChild.pid,
      tls: { ca: sim.caPem },
      headers: { authorization: `Bearer ${TOKEN}` },
    },
    { name: 'via Remoteler Proxy', port: proxy.port, pid: proxyChild.pid, tls: userTls },
    {
      name: 'via minimal Node proxy',
      port: minimal.port,
      pid: minimal.pid,
      tls: userTls,
      reference: true,
    },
    {
      name: 'via raw-socket Node proxy',
      port: raw.port,
      pid: raw.pid,
      tls: userTls,
      reference: true,
      keepAliveOnly: true,
    },
    {
      name: 'via raw-both-sides Node proxy',
      port: rawBoth.port,
      pid: rawBoth.pid,
      tls: userTls,
      reference: true,
      keepAliveOnly: true,
    },
    {
      name: 'via h2-upstream Node proxy',
      port: h2.port,
      pid: h2.pid,
      tls: userTls,
      reference: true,
      keepAliveOnly: true,
    },
    ...(nginx ? [{ name: 'via nginx', port: nginx.port, pid: nginxWorker, tls: userTls }] : []),
    {
      name: 'bare node:https (floor)',
      port: bare.port,
      pid: bareChild.pid,
      tls: { ca: hostCa.trustBundlePem() },
    },
  ].map((t) => ({ origin: `https://127.0.0.1:${t.port}`, headers: {}, ...t }));
  const byName = (name) => targets.find((t) => t.name === name);
  const proxied = (t) => t.name.startsWith('via ');

  // Runs `method` on the load generator and charges the candidate's (and the simulator's) CPU to it.
  // With BENCH_PROXY_CPU_PROFILE, the Proxy's keep-alive and new-connection runs are profiled (the
  // profiler's own cost then shows in those runs' CPU figures).
  const profiles = [];
  async function measured(target, method, params, profile = true) {
    const profiling =
      profile &&
      profileDir &&
      target.pid === proxyChild.pid &&
      (method === 'keepAlive' || method === 'handshakes');
    if (profiling) await proxyChild.call('profileStart');
    const cpu0 = cpuMicros(target.pid);
    const sim0 = cpuMicros(simChild.pid);
    const result = await load.call(method, {
      origin: target.origin,
      port: target.port,
      tls: target.tls,
      ...params,
    });
    const cpu = {
      candidateCpuUs: cpuMicros(target.pid) - cpu0,
      simulatorCpuUs: cpuMicros(simChild.pid) - sim0,
    };
    if (profiling) {
      mkdirSync(profileDir, { recursive: true });
      const file = join(profileDir, `proxy-${method}-${Date.now()}.cpuprofile`);
      profiles.push({ method, file: await proxyChild.call('profileStop', { file }) });
    }
    return { ...result, ...cpu };
  }

  // --- 1. keep-alive throughput -------------------------------------------------------------------
  // Rounds interleave the targets (A B C…, A B C…) and each figure is the median of its rounds, so a
  // burst of someone else's load on this shared machine skews one round of every target, not all of
  // one target's measurement.
  const median = (values) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  };
  const roundsOf = new Map(targets.map((t) => [t, []]));
  // Keep-alive GETs that are not measured: JIT, and connection pools on both sides.
  const warmUp = (target, ms) =>
    load.call('keepAlive', {
      origin: target.origin,
      tls: target.tls,
      headers: target.headers,
      path: PATH,
      connections,
      durationMs: ms,
    });
  for (const target of targets) await warmUp(target, warmupMs);
  for (let round = 0; round < rounds; round++) {
    for (const target of targets) {
      const params = { headers: target.headers, path: PATH, connections, durationMs };
      // The profiler (if asked for) records the first round only.
      const r = await measured(target, 'keepAlive', params, round === 0);
      roundsOf.get(target).push(r);
    }
  }
  const keepAliveRows = [];
  for (const target of targets) {
    const all = roundsOf.get(target);
    const cpuPerRequest = median(all.map((r) => r.candidateCpuUs / r.requests));
    const simulatorPerRequest = median(all.map((r) => r.simulatorCpuUs / r.requests));
    const r = all.find((x) => x.perSecond === median(all.map((y) => y.perSecond)));
    // The median round's latency and count, with the median CPU per request of all rounds.
    target.keepAlive = {
      ...r,
      candidateCpuUs: cpuPerRequest * r.requests,
      simulatorCpuUs: simulatorPerRequest * r.requests,
      rounds: all.map((x) => ({ perSecond: x.perSecond, cpuPerRequestUs: x.candidateCpuUs / x.requests })),
    };
    keepAliveRows.push({
      path: target.name,
      'req/s': r.perSecond,
      'p50 µs': r.p50Us,
      'p99 µs': r.p99Us,
      'candidate CPU µs/req': cpuPerRequest,
      'simulator CPU µs/req': proxied(target) ? simulatorPerRequest : '',
      failures: all.reduce((sum, x) => sum + x.failures, 0),
    });
  }
  printTable(
    `small GETs, ${connections} keep-alive connections, ${durationMs} ms each, median of ${rounds} interleaved round(s)`,
    keepAliveRows,
  );
  if (rounds > 1) {
    const perRound = (name) => byName(name)?.keepAlive.rounds;
    const proxyRounds = perRound('via Remoteler Proxy');
    const nginxRounds = perRound('via nginx');
    const floorRounds = perRound('bare node:https (floor)');
    const roundRows = proxyRounds.map((p, i) => ({
      round: String(i + 1),
      'Proxy / nginx req/s': nginxRounds ? ratio(p.perSecond, nginxRounds[i].perSecond) : 'n/a',
      'Proxy / floor CPU': ratio(p.cpuPerRequestUs, floorRounds[i].cpuPerRequestUs),
    }));
    printTable('the same ratios round by round', roundRows);
  }

  const floor = byName('bare node:https (floor)').keepAlive;
  const viaProxy = byName('via Remoteler Proxy').keepAlive;
  const viaNginx = byName('via nginx')?.keepAlive;
  const cpuPerReq = (r) => r.candidateCpuUs / r.requests;
  const ratios = [
    {
      comparison: 'Proxy / nginx throughput',
      value: viaNginx ? ratio(viaProxy.perSecond, viaNginx.perSecond) : 'n/a',
      target: '>= 0.60x',
    },
    {
      comparison: 'Proxy CPU / floor CPU per req',
      value: ratio(cpuPerReq(viaProxy), cpuPerReq(floor)),
      target: '<= 2.00x',
    },
    {
      comparison: 'Proxy CPU / minimal Node proxy CPU per req',
      value: ratio(cpuPerReq(viaProxy), cpuPerReq(byName('via minimal Node proxy').keepAlive)),
      target: '',
    },
    {
      comparison: 'raw-socket Node proxy CPU / floor CPU per req',
      value: ratio(cpuPerReq(byName('via raw-socket Node proxy').keepAlive), cpuPerReq(floor)),
      target: '',
    },
    {
      comparison: 'raw-both-sides Node proxy CPU / floor CPU per req',
      value: ratio(cpuPerReq(byName('via raw-both-sides Node proxy').keepAlive), cpuPerReq(floor)),
      target: '',
    },
    {
      comparison: 'h2-upstream / raw-socket Node proxy CPU per req',
      value: ratio(
        cpuPerReq(byName('via h2-upstream Node proxy').keepAlive),
        cpuPerReq(byName('via raw-socket Node proxy').keepAlive),
      ),
      target: '',
    },
    {
      comparison: 'Proxy CPU / nginx CPU per req',
      value: viaNginx ? ratio(cpuPerReq(viaProxy), cpuPerReq(viaNginx)) : 'n/a',
      target: '',
    },
  ];

  // --- 2. added latency at half of nginx's peak (open loop) ----------------------------------------
  // Interleaved rounds as in the keep-alive run: a p99 over 3 s is moved by one scheduling hiccup on
  // the shared cores, so each round's "added" (candidate p99 minus the direct p99 of the same round)
  // is computed and the figures are medians over the rounds.
  let rate;
  if (phases.has('rateLimited')) {
    rate = Math.max(1, Math.round((viaNginx ?? viaProxy).perSecond / 2));
    const openLoopTargets = targets.filter((t) => !t.name.startsWith('bare') && !t.keepAliveOnly);
    const openLoopRounds = new Map(openLoopTargets.map((t) => [t, []]));
    for (let round = 0; round < rounds; round++) {
      for (const target of openLoopTargets) {
        // The servers closed the idle keep-alive connections meanwhile: open them again, unmeasured.
        await warmUp(target, 1000);
        const r = await measured(
          target,
          'rateLimited',
          { headers: target.headers, path: PATH, connections, durationMs, rate },
          false,
        );
        openLoopRounds.get(target).push(r);
      }
    }
    const direct = openLoopRounds.get(byName('direct to simulator'));
    const addedP99 = (target) =>
      median(openLoopRounds.get(target).map((r, round) => r.p99Us - direct[round].p99Us));
    const rateRows = [];
    for (const target of openLoopTargets) {
      const all = openLoopRounds.get(target);
      const requests = all.reduce((sum, r) => sum + r.requests, 0);
      target.rateLimited = {
        rounds: all,
        perSecond: median(all.map((r) => r.perSecond)),
        p50Us: median(all.map((r) => r.p50Us)),
        p99Us: median(all.map((r) => r.p99Us)),
        addedP99Us: proxied(target) ? addedP99(target) : undefined,
        candidateCpuUs: all.reduce((sum, r) => sum + r.candidateCpuUs, 0),
        requests,
      };
      rateRows.push({
        path: target.name,
        'sent/s': target.rateLimited.perSecond,
        'p50 µs': target.rateLimited.p50Us,
        'p99 µs': target.rateLimited.p99Us,
        'candidate CPU µs/req': target.rateLimited.candidateCpuUs / requests,
        failures: all.reduce((sum, r) => sum + r.failures, 0),
        'p99 added µs': proxied(target) ? target.rateLimited.addedP99Us : '',
        'added by round µs': proxied(target)
          ? all.map((r, round) => Math.round(r.p99Us - direct[round].p99Us)).join(' / ')
          : '',
      });
    }
    printTable(
      `rate-limited GETs at ${rate}/s (half of ${viaNginx ? "nginx's" : "the Proxy's"} peak), ${durationMs} ms each, median of ${rounds} interleaved round(s)`,
      rateRows,
    );
    ratios.push({
      comparison: 'Proxy p99 added latency (ms)',
      value: (byName('via Remoteler Proxy').rateLimited.addedP99Us / 1000).toFixed(2),
      target: '<= 2 ms',
    });
  }

  // --- 3. new mTLS connections ---------------------------------------------------------------------
  // Interleaved rounds too: one 3 s run of full handshakes moved the Proxy / nginx ratio between
  // 0.59x and 0.94x on the same code. The ratio is the median of the per-round ratios.
  if (phases.has('handshakes')) {
    const handshakeTargets = targets.filter((t) => t.name !== 'direct to simulator' && !t.keepAliveOnly);
    const handshakeRounds = new Map(handshakeTargets.map((t) => [t, []]));
    for (let round = 0; round < rounds; round++) {
      for (const target of handshakeTargets) {
        const r = await measured(
          target,
          'handshakes',
          { headers: target.headers, path: PATH, concurrency: 16, durationMs },
          round === 0,
        );
        handshakeRounds.get(target).push(r);
      }
    }
    const handshakeRows = [];
    for (const target of handshakeTargets) {
      const all = handshakeRounds.get(target);
      const connectionsOpened = all.reduce((sum, r) => sum + r.connections, 0);
      target.handshakes = {
        rounds: all,
        perSecond: median(all.map((r) => r.perSecond)),
        connections: connectionsOpened,
        candidateCpuUs: all.reduce((sum, r) => sum + r.candidateCpuUs, 0),
      };
      handshakeRows.push({
        candidate: target.name,
        'connections/s': target.handshakes.perSecond,
        'by round': all.map((r) => Math.round(r.perSecond)).join(' / '),
        'candidate CPU µs/conn': target.handshakes.candidateCpuUs / Math.max(1, connectionsOpened),
        failures: all.reduce((sum, r) => sum + r.failures, 0),
      });
    }
    printTable(
      `new TLS connections (client certificate, no resumption, one GET each), ${durationMs} ms each, median of ${rounds} interleaved round(s)`,
      handshakeRows,
    );
    const proxyRounds = handshakeRounds.get(byName('via Remoteler Proxy'));
    const nginxRounds = viaNginx ? handshakeRounds.get(byName('via nginx')) : undefined;
    const perRound = nginxRounds?.map((r, round) => proxyRounds[round].perSecond / r.perSecond);
    ratios.push({
      comparison: 'Proxy / nginx handshakes/s',
      value: perRound
        ? `${median(perRound).toFixed(2)}x (${perRound.map((x) => `${x.toFixed(2)}x`).join(', ')})`
        : 'n/a',
      target: '>= 0.80x',
    });
  }

  // --- 4. memory per open watch --------------------------------------------------------------------
  // A Proxy process's garbage collected twice around a pause, so that freed pages have gone back
  // before RSS is read (glibc returns them lazily).
  const collectGarbage = async (child) => {
    await child.call('gc');
    await pause(200);
    await child.call('gc');
  };
  // One row of the RSS-per-watch table.
  const watchRow = (candidate, { idle, loaded, open, opened }) => ({
    candidate,
    'open watches': open,
    'RSS idle MiB': idle / 1024,
    'RSS open MiB': loaded / 1024,
    'KiB/watch': open > 0 ? (loaded - idle) / open : 'n/a',
    'opened/s': (opened.opened * 1000) / opened.elapsedMs,
    failures: opened.failures,
  });
  if (phases.has('watches')) {
    await load.call('closePools');
    const watchRows = [];
    let proxyMemoryRow;
    // The minimal proxy is a CPU reference only; holding watches is measured for the two products.
    for (const target of targets.filter((t) => proxied(t) && !t.reference)) {
      const isProxy = target.name === 'via Remoteler Proxy';
      const gc = async () => {
        if (isProxy) await collectGarbage(proxyChild);
      };
      await gc();
      const idle = rssKiB(target.pid);
      const idleMemory = isProxy ? await proxyChild.call('memory') : undefined;
      if (isProxy && heapSnapshotDir)
        await proxyChild.call('heapSnapshot', {
          file: join(heapSnapshotDir, 'proxy-watches-idle.heapsnapshot'),
        });
      const opened = await load.call('openWatches', {
        port: target.port,
        tls: target.tls,
        path: WATCH_PATH,
        count: watchCount,
        concurrency: 32,
        budgetMs: watchBudgetMs,
      });
      await gc();
      const open = await load.call('countWatches');
      const loaded = rssKiB(target.pid);
      if (isProxy) {
        const openMemory = await proxyChild.call('memory');
        const perWatch = (field) => (open > 0 ? (openMemory[field] - idleMemory[field]) / 1024 / open : 0);
        const jsHeap = perWatch('heapUsed');
        const outside = perWatch('external');
        proxyMemoryRow = {
          'open watches': open,
          'RSS KiB/watch': open > 0 ? (loaded - idle) / open : 'n/a',
          'JS heap used KiB/watch': jsHeap,
          'external KiB/watch': outside,
          'rest (native) KiB/watch':
            open > 0 ? (loaded - idle) / open - perWatch('heapTotal') - outside : 'n/a',
        };
        if (heapSnapshotDir)
          await proxyChild.call('heapSnapshot', {
            file: join(heapSnapshotDir, 'proxy-watches-open.heapsnapshot'),
          });
      }
      await load.call('closeWatches');
      target.watches = { idleKiB: idle, loadedKiB: loaded, open, failures: opened.failures };
      watchRows.push(watchRow(`${target.name}${isProxy ? '' : ' (worker)'}`, { idle, loaded, open, opened }));
    }
    // The same watches as kubectl holds them when the server offers h2: streams of one connection
    // per client. The Proxy only (nginx here is configured for HTTP/1.1).
    // A Proxy process of its own: RSS does not shrink back after the HTTP/1.1 run, so a delta in
    // the same process would count reused pages as free.
    {
      const { child: fresh, port } = await startProxy('Remoteler Proxy (HTTP/2 watches)');
      const gc = () => collectGarbage(fresh);
      await gc();
      const idle = rssKiB(fresh.pid);
      const opened = await load.call('openWatchesHttp2', {
        port,
        tls: byName('via Remoteler Proxy').tls,
        path: WATCH_PATH,
        count: watchCount,
        streamsPerConnection: WATCHES_PER_HTTP2_CONNECTION,
        budgetMs: watchBudgetMs,
      });
      await gc();
      const open = await load.call('countWatches');
      const loaded = rssKiB(fresh.pid);
      await load.call('closeWatches');
      byName('via Remoteler Proxy').watchesHttp2 = {
        idleKiB: idle,
        loadedKiB: loaded,
        open,
        failures: opened.failures,
      };
      watchRows.push(
        watchRow(`via Remoteler Proxy, HTTP/2 (${WATCHES_PER_HTTP2_CONNECTION} per connection)`, {
          idle,
          loaded,
          open,
          opened,
        }),
      );
    }
    printTable(
      `RSS per open watch (${watchCount} asked, opening stopped after ${watchBudgetMs} ms; HTTP/1.1 from the client unless named; target <= 60 KiB)`,
      watchRows,
    );
    if (proxyMemoryRow)
      printTable(
        'Proxy memory per open watch (process.memoryUsage() deltas; rest = RSS - JS heap total - external: sockets, OpenSSL, nghttp2, malloc)',
        [proxyMemoryRow],
      );
    const proxyWatch = byName('via Remoteler Proxy').watches;
    ratios.push({
      comparison: 'Proxy KiB per open watch',
      value:
        proxyWatch.open > 0
          ? ((proxyWatch.loadedKiB - proxyWatch.idleKiB) / proxyWatch.open).toFixed(1)
          : 'n/a',
      target: '<= 60',
    });
  }

  printTable('ratios (issue 6 targets)', ratios);
  results.loadAverageEnd = loadAverage();
  console.log(`\nload average at end: ${results.loadAverageEnd.join(' ')}`);
  results.targets = targets.map(({ name, keepAlive, rateLimited, handshakes, watches, watchesHttp2 }) => ({
    name,
    keepAlive,
    watchesHttp2,
    rateLimited,
    handshakes,
    watches,
  }));
  results.ratios = ratios;
  results.nginx = Boolean(nginx);
  writeResults('proxy', results);
  for (const { method, file } of profiles) {
    printTable(`Proxy process during the ${method} run: top self time (${file})`, topSelfTime(file));
  }
} finally {
  for (const child of children.reverse()) await child.exit();
  await nginx?.stop();
  // nginx explains its 502s only in its log, which goes away with the temporary directory.
  const nginxLog = nginx ? readFileSync(nginx.errorLog, 'utf8').trim().split('\n') : [];
  if (nginxLog.length > 0 && nginxLog[0] !== '')
    console.log(`\nnginx error log (last lines):\n${nginxLog.slice(-10).join('\n')}`);
  rmSync(dir, { recursive: true, force: true });
}
