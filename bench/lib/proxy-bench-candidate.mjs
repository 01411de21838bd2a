// Child process of the proxy benchmark: the Remoteler Proxy alone in its own Node process, so its CPU
// time (/proc/<pid>/stat) and RSS are its own. Configured like a production Proxy for one cluster,
// except the per-user limits, which would otherwise measure 429s (one user drives every connection).
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { writeHeapSnapshot } from 'node:v8';
import { TrustBundle, X509IdentityDecoder } from '@remoteler/ca';
import { createAccessChecker } from '@remoteler/core';
import { createProxy, MemoryClusterRegistry } from '@remoteler/proxy';
import { serveRpc } from './child-process-rpc.mjs';

let proxy;
let inspector;

serveRpc(
  {
    async start({ cert, key, userCaPem, role, username, upstream }) {
      const checker = createAccessChecker({ username, roles: [role], traits: {} });
      proxy = createProxy({
        tls: { cert, key, userCaBundle: userCaPem },
        identityDecoder: new X509IdentityDecoder({ userBundle: TrustBundle.from('user', [userCaPem]) }),
        // Like the core AccessCheckerProvider: one compiled checker per identity, reused.
        access: { forIdentity: () => checker },
        clusters: new MemoryClusterRegistry([{ name: 'dev', labels: {}, upstream }]),
        checkImpersonation: false,
        limits: { requestsPerSecond: 0, maxConcurrentPerUser: 0 },
      });
      const { port } = await proxy.listen();
      return { port };
    },
    // A CPU profile of one phase only (what `node --cpu-prof` records, but for the measured window):
    // the suite profiles keep-alive requests and new connections separately.
    async profileStart() {
      inspector = new Session();
      inspector.connect();
      await inspector.post('Profiler.enable');
      // 500 µs: fine enough for a 3 s run, coarse enough not to dominate the CPU figure it sits in.
      await inspector.post('Profiler.setSamplingInterval', { interval: 500 });
      await inspector.post('Profiler.start');
      return true;
    },
    async profileStop({ file }) {
      const { profile } = await inspector.post('Profiler.stop');
      inspector.disconnect();
      inspector = undefined;
      writeFileSync(file, JSON.stringify(profile));
      return file;
    },
    gc() {
      globalThis.gc?.();
      return true;
    },
    // Where the memory is: the JS heap (and what it holds outside it) next to the whole RSS.
    memory() {
      return process.memoryUsage();
    },
    heapSnapshot({ file }) {
      return writeHeapSnapshot(file);
    },
  },
  async () => {
    await proxy?.close();
  },
);
