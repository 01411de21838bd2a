import { createHash, X509Certificate } from 'node:crypto';
import { connect, type DetailedPeerCertificate } from 'node:tls';
import { AuthHttpServer } from '@remoteler/auth';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './helpers.js';
import { call } from './https-client.js';

let stack: Stack;
let server: AuthHttpServer;

beforeEach(async () => {
  stack = await startStack();
  server = await AuthHttpServer.start({ service: stack.service });
});
afterEach(async () => {
  await server.close();
  await stack.close();
});

/**
 * The chain exactly as the server sends it. No `ca` is given on purpose: a pinning client connects
 * before it trusts anything, and with a `ca` node:tls would fill the issuer in from its own store
 * instead of from the wire.
 */
function servedChain(port: number): Promise<DetailedPeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const peer = socket.getPeerCertificate(true);
      socket.end();
      resolve(peer);
    });
    socket.once('error', reject);
  });
}

function fingerprintOf(der: Buffer): string {
  return `sha256:${createHash('sha256').update(der).digest('hex')}`;
}

describe('the default TLS certificate of the Auth HTTPS server', () => {
  it('sends the host CA after the leaf, so a client can pin the fingerprint that ping announces', async () => {
    const leaf = await servedChain(server.port);
    const issuer = leaf.issuerCertificate;
    expect(issuer).toBeDefined();
    expect(fingerprintOf(issuer.raw)).not.toBe(fingerprintOf(leaf.raw));
    // The CA is the leaf's real issuer, not just some certificate sent along.
    expect(new X509Certificate(leaf.raw).checkIssued(new X509Certificate(issuer.raw))).toBe(true);

    const ping = await call(server.url, stack.hostCa.trustBundlePem(), 'GET', '/v1/ping');
    expect(ping.status).toBe(200);
    expect(ping.json.caFingerprints.host).toContain(fingerprintOf(issuer.raw));
  });

  it('still serves its certificate and the host CA after reloadTrust()', async () => {
    server.reloadTrust();
    const leaf = await servedChain(server.port);
    expect(leaf.issuerCertificate).toBeDefined();
    expect(fingerprintOf(leaf.issuerCertificate.raw)).toBe(stack.hostCa.trustedCas()[0]?.fingerprint);
    expect((await call(server.url, stack.hostCa.trustBundlePem(), 'GET', '/v1/ping')).status).toBe(200);
  });
});
