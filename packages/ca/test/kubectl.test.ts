import { execFileSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import type { CaKeyAlgorithm, DecodedUserCertificate } from '@remoteler/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { X509CertificateAuthority } from '../src/index.js';
import { execFileAsync, fullIdentity, HOUR, openAuthorities, tempDir, userKeyPair } from './helpers.js';

// The preinstalled kubectl binaries live beside the one `kubectl` resolves to (design §5); each is
// called by full path. Not installable from apt here, so a missing one fails with that message.
function kubectlPath(version: string): string {
  // `readlink -f "$(command -v kubectl)"`: realpath resolves every link, relative ones included.
  const resolved = execFileSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim();
  const path = join(dirname(realpathSync(resolved)), `kubectl.${version}`);
  if (!existsSync(path))
    throw new Error(
      `${path} is missing: kubectl 1.27-1.33 are preinstalled on this machine kind and cannot be installed from apt`,
    );
  return path;
}

const cases: { algorithm: CaKeyAlgorithm; userKey: 'ec' | 'ed25519' | 'rsa'; versions: string[] }[] = [
  { algorithm: 'ecdsa-p256', userKey: 'ec', versions: ['1.27', '1.30', '1.33'] },
  // Go's crypto/x509 must also take the other CA algorithms and user key types.
  { algorithm: 'ed25519', userKey: 'ed25519', versions: ['1.33'] },
  { algorithm: 'rsa-2048', userKey: 'rsa', versions: ['1.27'] },
];

describe.each(cases)(
  'real kubectl loads a user certificate from a $algorithm CA ($userKey user key)',
  ({ algorithm, userKey, versions }) => {
    let user: X509CertificateAuthority;
    let server: Server;
    let port: number;
    let dir: string;
    let cleanup: () => Promise<void>;
    const seen: DecodedUserCertificate[] = [];

    beforeAll(async () => {
      ({ dir, cleanup } = await tempDir('rmt-ca-kubectl-'));
      const authorities = await openAuthorities({ algorithm });
      user = authorities.user;
      const serverKey = userKeyPair();
      const serverCert = await authorities.host.issueHostCertificate({
        publicKey: { spki: serverKey.publicKeyPem },
        host: { hostId: 'proxy-1', role: 'proxy', clusterName: 'root.example.com' },
        dnsNames: ['localhost'],
        ipAddresses: ['127.0.0.1'],
        ttlMs: HOUR,
      });
      server = createServer(
        {
          key: serverKey.privateKeyPem,
          cert: serverCert.certificatePem,
          ca: user.trustBundlePem(),
          requestCert: true,
          rejectUnauthorized: true,
        },
        (req, res) => {
          // The identity comes from the verified client certificate only (design §3).
          const peer = (req.socket as TLSSocket).getPeerX509Certificate();
          if (!peer) {
            res.writeHead(401).end();
            return;
          }
          const decoded = user.decodeUserIdentity(peer);
          seen.push(decoded);
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              major: '1',
              minor: '33',
              gitVersion: 'v1.33.1-remoteler-ca-test',
              gitCommit: decoded.identity.username,
              gitTreeState: 'clean',
              buildDate: '2026-01-01T00:00:00Z',
              goVersion: 'go1.24.0',
              compiler: 'gc',
              platform: 'linux/amd64',
            }),
          );
        },
      );
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
      await writeFile(join(dir, 'ca.pem'), authorities.host.trustBundlePem());
    });

    afterAll(async () => {
      server?.closeAllConnections();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      await cleanup?.();
    });

    for (const version of versions) {
      it(`kubectl ${version} authenticates with the certificate and the server decodes the identity`, async () => {
        const key = userKeyPair(userKey);
        const username = `ålice-${version}@example.com`;
        const issued = await user.issueUserCertificate({
          publicKey: { spki: key.publicKeyPem },
          identity: fullIdentity({ username, roles: ['developer', 'viewer', 'on-call'] }),
          ttlMs: HOUR,
          maxTtlMs: 8 * HOUR,
        });
        const certFile = join(dir, `user-${version}.crt`);
        const keyFile = join(dir, `user-${version}.key`);
        await writeFile(certFile, issued.certificatePem);
        await writeFile(keyFile, key.privateKeyPem, { mode: 0o600 });
        const kubeconfig = join(dir, `kubeconfig-${version}`);
        await writeFile(
          kubeconfig,
          [
            'apiVersion: v1',
            'kind: Config',
            'clusters:',
            '- name: test',
            '  cluster:',
            `    server: https://127.0.0.1:${port}`,
            `    certificate-authority: ${join(dir, 'ca.pem')}`,
            'users:',
            '- name: alice',
            '  user:',
            `    client-certificate: ${certFile}`,
            `    client-key: ${keyFile}`,
            'contexts:',
            '- name: test',
            '  context: { cluster: test, user: alice }',
            'current-context: test',
            '',
          ].join('\n'),
        );
        const binary = kubectlPath(version);
        const { stdout } = await execFileAsync(
          binary,
          [
            '--kubeconfig',
            kubeconfig,
            '--cache-dir',
            join(dir, `cache-${version}`),
            'get',
            '--raw',
            '/version',
          ],
          { env: { PATH: process.env.PATH ?? '', HOME: dir }, timeout: 20_000 },
        ).catch((error: { stderr?: string; message: string }) => {
          throw new Error(`${binary} failed: ${error.stderr ?? error.message}`);
        });
        expect(JSON.parse(stdout).gitCommit).toBe(username);
        const decoded = seen.find((d) => d.identity.username === username);
        expect(decoded?.identity.roles).toEqual(['developer', 'viewer', 'on-call']);
        expect(decoded?.serialNumber).toBe(issued.serialNumber);
      });
    }
  },
);
