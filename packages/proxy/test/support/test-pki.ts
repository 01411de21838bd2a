import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Identity } from '@remoteler/core';
import { RemotelerError } from '@remoteler/core';
import type { UserCertificateDecoder } from '../../src/index.js';

// Test-only certificates made with the openssl command, until @remoteler/ca issues real ones.
// The identity is carried in the subject (CN user, O roles, OU usage, L pinned cluster), which
// `testIdentityDecoder` reads back; real certificates use the identity extension of design §3.

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

export interface TestPki {
  readonly dir: string;
  readonly userCa: TestCa;
  readonly hostCa: TestCa;
  readonly foreignCa: TestCa;
  /** The CA of the (simulated) Kubernetes API server, unrelated to Remoteler's CAs. */
  readonly clusterCa: TestCa;
  /** The API server's certificate for 127.0.0.1, from `clusterCa`. */
  readonly apiServer: Pem;
  /** The Proxy's server certificate, from the host CA. */
  readonly server: Pem;
  /** A user certificate: CN=username, O per role, OU=usage:kube, L=pinned cluster. */
  user(
    username: string,
    options?: {
      roles?: string[];
      pin?: string;
      ca?: TestCa;
      usage?: string;
      endDays?: number;
      startDays?: number;
    },
  ): Promise<Pem>;
  dispose(): Promise<void>;
}

export async function createTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'remoteler-proxy-pki-'));
  const [userCa, hostCa, foreignCa, clusterCa] = await Promise.all([
    createTestCa(dir, 'user-ca'),
    createTestCa(dir, 'host-ca'),
    createTestCa(dir, 'foreign-ca'),
    createTestCa(dir, 'cluster-ca'),
  ]);
  const server = await hostCa.issue({ subject: '/CN=proxy/OU=usage:host', usage: 'server' });
  const apiServer = await clusterCa.issue({ subject: '/CN=kube-apiserver', usage: 'server' });
  return {
    dir,
    userCa,
    hostCa,
    foreignCa,
    clusterCa,
    apiServer,
    server,
    user(username, options = {}) {
      const roles = (options.roles ?? ['developer']).map((role) => `/O=${role}`).join('');
      const pin = options.pin ? `/L=${options.pin}` : '';
      return (options.ca ?? userCa).issue({
        subject: `/CN=${username}${roles}/OU=${options.usage ?? 'usage:kube'}${pin}`,
        usage: 'client',
        ...(options.endDays !== undefined && { endDays: options.endDays }),
        ...(options.startDays !== undefined && { startDays: options.startDays }),
      });
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Reads the test identity back from a verified certificate (stand-in for @remoteler/ca's decoder). */
export const testIdentityDecoder: UserCertificateDecoder = {
  decodeUserCertificate(certificate) {
    const x509 = new X509Certificate(certificate.raw);
    const fields = x509.subject.split('\n').map((line) => line.split('=') as [string, string]);
    const all = (key: string) => fields.filter(([k]) => k === key).map(([, v]) => v);
    if (all('OU')[0] !== 'usage:kube')
      throw new RemotelerError('RMT_CONFIG_INVALID', 'not a kube user certificate');
    const username = all('CN')[0];
    if (!username) throw new RemotelerError('RMT_CONFIG_INVALID', 'no username');
    const pin = all('L')[0];
    const identity: Identity = {
      username,
      roles: all('O'),
      traits: {},
      userType: 'local',
      mfaVerified: false,
      kubernetesUsers: [],
      kubernetesGroups: [],
      notBefore: new Date(x509.validFrom),
      notAfter: new Date(x509.validTo),
      ...(pin && { kubernetesCluster: pin }),
    };
    return { identity };
  },
};
