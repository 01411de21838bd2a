import { X509Certificate } from 'node:crypto';
import { AuthHttpServer, CLIENT_CERTIFICATE_HEADER, CLIENT_IP_HEADER } from '@remoteler/auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinHost, keyPair, PASSWORD, type Stack, startStack } from './helpers.js';
import { type CallOptions, call } from './https-client.js';

// A Proxy that fronts Auth on its web port relays the end client's address and verified user
// certificate in two headers. These tests pin down who Auth believes: the headers count only from a
// joined Proxy's host certificate, the relayed certificate is verified by Auth itself, and the
// Proxy's own certificate never stands for a forwarded caller.

let stack: Stack;
let server: AuthHttpServer;
let proxy: { cert: string; key: string };
let node: { cert: string; key: string };
let alice: { cert: string; key: string };

function api(method: string, path: string, options?: CallOptions) {
  return call(server.url, stack.hostCa.trustBundlePem(), method, path, options);
}

function der(pem: string): string {
  return new X509Certificate(pem).raw.toString('base64');
}

beforeAll(async () => {
  stack = await startStack();
  server = await AuthHttpServer.start({ service: stack.service });
  proxy = await joinHost(stack.service, 'proxy', 'proxy-1');
  node = await joinHost(stack.service, 'agent', 'agent-1');
  const key = keyPair();
  const res = await api('POST', '/v1/login/password', {
    body: { username: 'alice', password: PASSWORD, publicKey: key.publicKeyPem },
  });
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  alice = { cert: res.json.certificatePem, key: key.privateKeyPem };
});

afterAll(async () => {
  await server?.close();
  await stack?.close();
});

describe('requests forwarded by a Proxy', () => {
  it('serve the relayed user certificate as the caller when a joined Proxy sends it', async () => {
    const res = await api('GET', '/v1/kube/clusters', {
      ...proxy,
      headers: { [CLIENT_IP_HEADER]: '192.0.2.10', [CLIENT_CERTIFICATE_HEADER]: der(alice.cert) },
    });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(res.json.clusters.map((c: { name: string }) => c.name).sort()).toEqual(['dev-1', 'prod-1']);
  });

  it("never let the Proxy's own host certificate stand for a forwarded caller without a certificate", async () => {
    const res = await api('GET', '/v1/kube/clusters', {
      ...proxy,
      headers: { [CLIENT_IP_HEADER]: '192.0.2.10' },
    });
    expect(res.status).toBe(401);
    expect(res.json.code).toBe('RMT_AUTH_CLIENT_CERT_REQUIRED');
  });

  it('refuse host renewal through a Proxy, so a client without a certificate cannot renew as that Proxy', async () => {
    const attacker = keyPair();
    const res = await api('POST', '/v1/join/renew', {
      ...proxy,
      headers: { [CLIENT_IP_HEADER]: '192.0.2.66' },
      body: { publicKey: attacker.publicKeyPem },
    });
    expect(res.status).toBe(401);
    expect(res.json.code).toBe('RMT_AUTH_CLIENT_CERT_REQUIRED');
    // The Proxy itself, calling Auth directly, still renews.
    const direct = await api('POST', '/v1/join/renew', {
      ...proxy,
      body: { publicKey: keyPair().publicKeyPem },
    });
    expect(direct.status, JSON.stringify(direct.json)).toBe(200);
  });

  it('refuse a relayed certificate that no trusted user CA signed, even from a joined Proxy', async () => {
    // A host certificate is a real Remoteler certificate, but from the host CA: not a user.
    const res = await api('GET', '/v1/kube/clusters', {
      ...proxy,
      headers: { [CLIENT_IP_HEADER]: '192.0.2.10', [CLIENT_CERTIFICATE_HEADER]: der(node.cert) },
    });
    expect(res.status).toBe(401);
    const garbage = await api('GET', '/v1/kube/clusters', {
      ...proxy,
      headers: { [CLIENT_IP_HEADER]: '192.0.2.10', [CLIENT_CERTIFICATE_HEADER]: 'bm90IGEgY2VydGlmaWNhdGU=' },
    });
    expect(garbage.status).toBe(401);
  });

  it('ignore both headers from a user certificate or a host that is not a Proxy', async () => {
    // Alice presents her own certificate and claims to be forwarding for a certificate-less client:
    // she is still alice (the headers are ignored), not "nobody".
    const fromUser = await api('GET', '/v1/kube/clusters', {
      ...alice,
      headers: { [CLIENT_IP_HEADER]: '192.0.2.10', [CLIENT_CERTIFICATE_HEADER]: 'AAAA' },
    });
    expect(fromUser.status).toBe(200);
    // An agent host relaying alice's certificate is not believed: it is not a Proxy.
    const fromNode = await api('GET', '/v1/kube/clusters', {
      ...node,
      headers: { [CLIENT_IP_HEADER]: '192.0.2.10', [CLIENT_CERTIFICATE_HEADER]: der(alice.cert) },
    });
    expect(fromNode.status).toBe(401);
    // Without any certificate the headers mean nothing either.
    const anonymous = await api('GET', '/v1/kube/clusters', {
      headers: { [CLIENT_IP_HEADER]: '192.0.2.10', [CLIENT_CERTIFICATE_HEADER]: der(alice.cert) },
    });
    expect(anonymous.status).toBe(401);
  });

  it('reissue for the relayed certificate: the new certificate carries the client key, not the Proxy key', async () => {
    const res = await api('POST', '/v1/certs/reissue', {
      ...proxy,
      headers: { [CLIENT_IP_HEADER]: '192.0.2.10', [CLIENT_CERTIFICATE_HEADER]: der(alice.cert) },
      body: { kubernetesCluster: 'dev-1' },
    });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    const issued = new X509Certificate(res.json.certificatePem);
    expect(issued.publicKey.equals(new X509Certificate(alice.cert).publicKey)).toBe(true);
    expect(issued.subject).toContain('CN=alice');
    const audit = (await stack.events()).filter((e) => e.type === 'cert.reissued');
    expect(audit.at(-1)?.clientIp).toBe('192.0.2.10');
  });
});
