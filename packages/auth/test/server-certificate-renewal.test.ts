import { connect } from 'node:tls';
import { AuthHttpServer } from '@remoteler/auth';
import { afterEach, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './helpers.js';

// The Auth listener's own certificate is a host certificate it makes for itself; it must be
// replaced before it expires, or a long-running Auth service stops accepting connections.

let stack: Stack | undefined;
let server: AuthHttpServer | undefined;

afterEach(async () => {
  await server?.close();
  await stack?.close();
  server = undefined;
  stack = undefined;
});

/** The serial number of the certificate a new TLS connection is served. */
function servedSerial(url: string, ca: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), ca, servername: 'localhost' }, () => {
      const serial = socket.getPeerX509Certificate()?.serialNumber ?? '';
      socket.end();
      resolve(serial);
    });
    socket.on('error', reject);
  });
}

describe("the Auth server's own certificate", () => {
  it('is replaced by itself at half its lifetime, and new connections get the new one', async () => {
    stack = await startStack({ hostCertificateTtlMs: 4_000 });
    let onRenewed: (notAfter: string) => void = () => {};
    const renewed = new Promise<string>((resolve) => {
      onRenewed = resolve;
    });
    server = await AuthHttpServer.start({
      service: stack.service,
      onCertificateRenewed: (n) => onRenewed(n),
    });
    const ca = stack.hostCa.trustBundlePem();
    const first = await servedSerial(server.url, ca);
    const notAfter = await renewed;
    expect(Date.parse(notAfter)).toBeGreaterThan(Date.now());
    const second = await servedSerial(server.url, ca);
    expect(second).not.toBe(first);
  });

  it('can be renewed on demand (after a CA rotation step)', async () => {
    stack = await startStack();
    server = await AuthHttpServer.start({ service: stack.service });
    const ca = stack.hostCa.trustBundlePem();
    const first = await servedSerial(server.url, ca);
    await server.renewCertificate();
    expect(await servedSerial(server.url, ca)).not.toBe(first);
  });

  it('is left to the host when the host gave it', async () => {
    stack = await startStack();
    const made = await stack.service.createServerCredentials({ hostId: 'auth', ipAddresses: ['127.0.0.1'] });
    server = await AuthHttpServer.start({
      service: stack.service,
      tls: { key: made.keyPem, cert: `${made.certificatePem}${made.caCertificatePem}` },
    });
    await expect(server.renewCertificate()).rejects.toMatchObject({ code: 'RMT_CONFIG_INVALID' });
  });
});
