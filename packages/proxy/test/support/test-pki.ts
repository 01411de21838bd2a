import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryCaKeyStore, TrustBundle, X509CertificateAuthority, X509IdentityDecoder } from '@remoteler/ca';
import type { Identity } from '@remoteler/core';
import type { UserCertificateDecoder } from '../../src/index.js';

// Remoteler certificates (user CA, host CA, a foreign Remoteler CA) come from the real
// @remoteler/ca authorities; the Kubernetes API server's own CA, which has nothing to do with
// Remoteler, is made with the openssl command.

export interface Pem {
  readonly cert: string;
  readonly key: string;
}

function openssl(cwd: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { cwd, timeout: 20_000 }, (error, _out, stderr) =>
      error ? reject(new Error(`openssl ${args[0]}: ${stderr || error.message}`)) : resolve(),
    );
  });
}

export interface IssueOptions {
  readonly subject: string;
  readonly usage: 'server' | 'client';
  /** Validity window relative to now, in days; negative `endDays` makes an expired certificate. */
  readonly startDays?: number;
  readonly endDays?: number;
}

export interface TestCa extends Pem {
  issue(options: IssueOptions): Promise<Pem>;
}

/** A throwaway CA; `dispose()` of the PKI removes its directory. */
export async function createTestCa(dir: string, name: string): Promise<TestCa> {
  const base = join(dir, name);
  await openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${base}.key`]);
  await openssl(dir, [
    'req',
    '-x509',
    '-new',
    '-key',
    `${base}.key`,
    '-subj',
    `/CN=${name}`,
    '-days',
    '2',
    '-out',
    `${base}.crt`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await writeFile(`${base}.index`, '');
  await writeFile(`${base}.serial`, '1000\n');
  await writeFile(
    `${base}.cnf`,
    [
      '[ca]',
      'default_ca = this',
      '[this]',
      `database = ${base}.index`,
      `new_certs_dir = ${dir}`,
      `serial = ${base}.serial`,
      `certificate = ${base}.crt`,
      `private_key = ${base}.key`,
      'default_md = sha256',
      'policy = any',
      'unique_subject = no',
      'email_in_dn = no',
      '[any]',
      'commonName = supplied',
      '',
    ].join('\n'),
  );
  const ca: Pem = { cert: await readFile(`${base}.crt`, 'utf8'), key: await readFile(`${base}.key`, 'utf8') };
  let serial = 0;
  return {
    ...ca,
    async issue(options) {
      serial += 1;
      const leaf = join(dir, `${name}-${serial}`);
      await openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${leaf}.key`]);
      await openssl(dir, [
        'req',
        '-new',
        '-key',
        `${leaf}.key`,
        '-subj',
        options.subject,
        '-out',
        `${leaf}.csr`,
      ]);
      const ext =
        options.usage === 'server'
          ? 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n'
          : 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n';
      await writeFile(`${leaf}.ext`, ext);
      const day = 86_400_000;
      // openssl 3.0's `x509 -req` cannot back-date; `openssl ca` can, so every leaf goes through it.
      const stamp = (offsetDays: number) =>
        `${new Date(Date.now() + offsetDays * day).toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
      await openssl(dir, [
        'ca',
        '-batch',
        '-config',
        `${base}.cnf`,
        '-preserveDN',
        '-notext',
        '-in',
        `${leaf}.csr`,
        '-out',
        `${leaf}.crt`,
        '-extfile',
        `${leaf}.ext`,
        '-startdate',
        stamp(options.startDays ?? -1 / 24),
        '-enddate',
        stamp(options.endDays ?? 1),
      ]);
      return { cert: await readFile(`${leaf}.crt`, 'utf8'), key: await readFile(`${leaf}.key`, 'utf8') };
    },
  };
}

export interface UserCertificateOptions {
  readonly roles?: readonly string[];
  /** `kubernetesCluster` of the identity. */
  readonly pin?: string;
  /** Issue with a CA other than the PKI's user CA (a foreign Remoteler cluster). */
  readonly ca?: X509CertificateAuthority;
  /** Lifetime in ms. Default one hour. */
  readonly ttlMs?: number;
  /** Issue time; default now. A time in the past with a short TTL makes an expired certificate. */
  readonly issuedAt?: Date;
}

export interface TestPki {
  readonly dir: string;
  readonly userCa: X509CertificateAuthority;
  readonly hostCa: X509CertificateAuthority;
  /** The user CA of an unrelated Remoteler cluster. */
  readonly foreignCa: X509CertificateAuthority;
  /** The CA of the (simulated) Kubernetes API server, unrelated to Remoteler's CAs. */
  readonly clusterCa: TestCa;
  /** The API server's certificate for 127.0.0.1, from `clusterCa`. */
  readonly apiServer: Pem;
  /** The Proxy's server certificate for 127.0.0.1, from the host CA. */
  readonly server: Pem;
  /** The host CA bundle, which clients use to verify the Proxy. */
  readonly proxyTrust: string;
  /** Decodes user certificates against the user CA's current bundle (follows its rotation). */
  readonly decoder: UserCertificateDecoder;
  /** A user certificate for a key made here (the "user's machine"). */
  user(username: string, options?: UserCertificateOptions): Promise<Pem>;
  /** A host certificate (role `proxy`) for a fresh key, usable as a TLS client certificate. */
  host(hostId: string): Promise<Pem>;
  dispose(): Promise<void>;
}

const HOUR = 3_600_000;

function keyPair(): { key: string; spki: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    spki: publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
}

export function testIdentity(username: string, options: UserCertificateOptions = {}): Identity {
  return {
    username,
    roles: [...(options.roles ?? ['developer'])],
    traits: {},
    userType: 'local',
    mfaVerified: false,
    kubernetesUsers: [],
    kubernetesGroups: [],
    ...(options.pin && { kubernetesCluster: options.pin }),
  };
}

export async function createTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'remoteler-proxy-pki-'));
  const store = new MemoryCaKeyStore();
  const userCa = await X509CertificateAuthority.open({
    kind: 'user',
    keyStore: store,
    clusterName: 'root.test',
  });
  const hostCa = await X509CertificateAuthority.open({
    kind: 'host',
    keyStore: store,
    clusterName: 'root.test',
  });
  const foreignCa = await X509CertificateAuthority.open({
    kind: 'user',
    keyStore: new MemoryCaKeyStore(),
    clusterName: 'elsewhere.test',
  });
  const clusterCa = await createTestCa(dir, 'cluster-ca');
  const apiServer = await clusterCa.issue({ subject: '/CN=kube-apiserver', usage: 'server' });
  const issueHost = async (hostId: string): Promise<Pem> => {
    const pair = keyPair();
    const issued = await hostCa.issueHostCertificate({
      publicKey: { spki: pair.spki },
      host: { hostId, role: 'proxy', clusterName: 'root.test' },
      ipAddresses: ['127.0.0.1'],
      dnsNames: ['localhost'],
      ttlMs: HOUR,
    });
    return { cert: issued.certificatePem, key: pair.key };
  };
  const server = await issueHost('proxy-1');
  return {
    dir,
    userCa,
    hostCa,
    foreignCa,
    clusterCa,
    apiServer,
    server,
    proxyTrust: hostCa.trustBundlePem(),
    decoder: {
      decodeUserCertificate: (certificate, options) =>
        new X509IdentityDecoder({
          userBundle: TrustBundle.from('user', [userCa.trustBundlePem()]),
        }).decodeUserCertificate(certificate, options),
    },
    async user(username, options = {}) {
      const pair = keyPair();
      const ttlMs = options.ttlMs ?? HOUR;
      const issued = await (options.ca ?? userCa).issueUserCertificate({
        publicKey: { spki: pair.spki },
        identity: testIdentity(username, options),
        ttlMs,
        maxTtlMs: ttlMs,
        ...(options.issuedAt && { now: options.issuedAt }),
      });
      return { cert: issued.certificatePem, key: pair.key };
    },
    host: issueHost,
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
