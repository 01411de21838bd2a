// Child process of the proxy benchmark: the upstream. Either the testkit KubeApiSimulator (what the
// Proxy and nginx forward to) or a bare node:https server answering fixed bytes (Node's floor: the
// least a Node HTTPS server can spend per answered request).
import { createServer } from 'node:https';
import { KubeApiSimulator } from '@remoteler/testkit';
import { serveRpc } from './child-process-rpc.mjs';

let sim;
let bare;

serveRpc(
  {
    async simulator({ token }) {
      sim = await KubeApiSimulator.start({
        seed: true,
        tokens: { [token]: { name: 'remoteler-proxy', groups: ['system:masters'] } },
        // The benchmark sends millions of requests; the simulator's request log is for tests.
        maxRecordedRequests: 100,
      });
      const admin = sim.adminCertificate;
      return {
        url: sim.url,
        port: sim.port,
        caPem: sim.caPem,
        admin: { cert: admin.certPem, key: admin.keyPem },
      };
    },
    async bare({ cert, key, body }) {
      const length = Buffer.byteLength(body);
      bare = createServer({ cert, key }, (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': length });
        res.end(body);
      });
      await new Promise((resolve) => bare.listen(0, '127.0.0.1', resolve));
      return { port: bare.address().port };
    },
    gc() {
      globalThis.gc?.();
      return true;
    },
  },
  async () => {
    bare?.closeAllConnections();
    bare?.close();
    await sim?.close();
  },
);
