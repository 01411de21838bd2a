import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import type { DecodedUserCertificate, RemotelerError } from '@remoteler/core';
import { afterEach, describe, expect, it } from 'vitest';
import { fullIdentity, HOUR, openAuthorities, userKeyPair } from './helpers.js';

type Authorities = Awaited<ReturnType<typeof openAuthorities>>;

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

/** A Proxy-like listener: host certificate, client certificates verified against the user bundle. */
async function startServer(
  authorities: Authorities,
  onIdentity: (result: DecodedUserCertificate | RemotelerError) => void,
) {
  const key = userKeyPair();
  const certificate = await authorities.host.issueHostCertificate({
    publicKey: { spki: key.publicKeyPem },
    host: { hostId: 'proxy-1', role: 'proxy', clusterName: 'root.example.com' },
    ipAddresses: ['127.0.0.1'],
    ttlMs: HOUR,
  });
  const server = createServer(
    {
      key: key.privateKeyPem,
      cert: certificate.certificatePem,
      ca: authorities.user.trustBundlePem(),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (socket: TLSSocket) => {
      try {
        onIdentity(authorities.user.decodeUserIdentity(socket.getPeerX509Certificate()!));
      } catch (error) {
        onIdentity(error as RemotelerError);
      }
      socket.end('ok');
    },
  );
  const handshakeFailed = new Promise<Error>((resolve) => server.once('tlsClientError', resolve));
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, handshakeFailed };
}

/**
 * Connects as a client; resolves with what the server sent. With TLS 1.3 the server judges the
 * client certificate after the client's handshake completes, so a refusal reaches the client as an
 * alert or a reset (an error) or a bare close (no data), depending on timing: both mean "no data".
 */
async function connectWith(
  port: number,
  authorities: Authorities,
  cert: string,
  key: string,
): Promise<string> {
  const socket = connect({ host: '127.0.0.1', port, ca: authorities.host.trustBundlePem(), cert, key });
  socket.setEncoding('utf8');
  let data = '';
  socket.on('data', (chunk: string) => {
    data += chunk;
  });
  await new Promise<void>((resolve) => {
    socket.once('end', resolve);
    socket.once('close', resolve);
    socket.once('error', () => resolve());
  });
  socket.destroy();
  return data;
}

describe('mutual TLS with node:tls', () => {
  it('the server verifies the client certificate against the user bundle and decodes its identity', async () => {
    const authorities = await openAuthorities();
    const seen: (DecodedUserCertificate | RemotelerError)[] = [];
    const { port } = await startServer(authorities, (r) => seen.push(r));
    const key = userKeyPair();
    const identity = fullIdentity({ username: 'dana', roles: ['admin'] });
    const issued = await authorities.user.issueUserCertificate({
      publicKey: { spki: key.publicKeyPem },
      identity,
      ttlMs: HOUR,
      maxTtlMs: HOUR,
    });
    expect(await connectWith(port, authorities, issued.certificatePem, key.privateKeyPem)).toBe('ok');
    expect(seen).toHaveLength(1);
    const decoded = seen[0] as DecodedUserCertificate;
    expect(decoded.identity).toMatchObject({ ...identity, notAfter: issued.notAfter });
    expect(decoded.caId).toBe(authorities.user.signingCaId);
  });

  it('the handshake fails for a client certificate from a foreign user CA', async () => {
    const authorities = await openAuthorities();
    const foreign = await openAuthorities();
    const seen: unknown[] = [];
    const { port, handshakeFailed } = await startServer(authorities, (r) => seen.push(r));
    const key = userKeyPair();
    const issued = await foreign.user.issueUserCertificate({
      publicKey: { spki: key.publicKeyPem },
      identity: fullIdentity(),
      ttlMs: HOUR,
      maxTtlMs: HOUR,
    });
    expect(await connectWith(port, authorities, issued.certificatePem, key.privateKeyPem)).toBe('');
    // The server refused the handshake: it never got to the connection handler.
    expect(await handshakeFailed).toBeInstanceOf(Error);
    expect(seen).toHaveLength(0);
  });

  it('the handshake fails for a host certificate presented as a client certificate', async () => {
    const authorities = await openAuthorities();
    const seen: unknown[] = [];
    const { port, handshakeFailed } = await startServer(authorities, (r) => seen.push(r));
    const key = userKeyPair();
    const hostCertificate = await authorities.host.issueHostCertificate({
      publicKey: { spki: key.publicKeyPem },
      host: { hostId: 'agent-1', role: 'agent', clusterName: 'root.example.com' },
      ttlMs: HOUR,
    });
    expect(await connectWith(port, authorities, hostCertificate.certificatePem, key.privateKeyPem)).toBe('');
    // The server refused the handshake: it never got to the connection handler.
    expect(await handshakeFailed).toBeInstanceOf(Error);
    expect(seen).toHaveLength(0);
  });
});
