import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RemotelerError } from '@remoteler/core';

/** A PEM certificate and its PEM private key. */
export interface CertificateAndKey {
  /** PEM `CERTIFICATE`. */
  readonly certPem: string;
  /** PEM `PRIVATE KEY` (PKCS#8, ECDSA P-256). Test material: never reuse it outside tests. */
  readonly keyPem: string;
}

/** What to put in a certificate issued by {@link TestCertificateAuthority.issue}. */
export interface IssueOptions {
  /** Subject CN: the Kubernetes user name for client certificates. */
  readonly commonName: string;
  /** Subject O values: Kubernetes groups for client certificates. Default none. */
  readonly organizations?: readonly string[];
  /** `server` adds serverAuth and the SANs; `client` adds clientAuth. */
  readonly usage: 'server' | 'client';
  /** Subject alternative names for server certificates. Default `IP:127.0.0.1, DNS:localhost`. */
  readonly subjectAltNames?: readonly string[];
  /** Lifetime in days. Default 1. */
  readonly days?: number;
}

/** A throwaway certificate authority for tests, backed by the `openssl` command. */
export interface TestCertificateAuthority extends CertificateAndKey {
  /** Issues a certificate signed by this authority for a fresh ECDSA P-256 key. */
  issue(options: IssueOptions): Promise<CertificateAndKey>;
}

// RFC 4514-like escaping for openssl's `-subj /A=b/C=d` syntax: `/`, `+`, `=` and `\` separate parts.
function subjectPart(value: string): string {
  return value.replace(/[\\/+=]/g, (c) => `\\${c}`);
}

function run(cwd: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { cwd, timeout: 20_000 }, (error, _stdout, stderr) => {
      if (!error) return resolve();
      reject(
        new RemotelerError(
          'RMT_TESTKIT_OPENSSL_FAILED',
          `openssl ${args[0]} failed: ${String(stderr).trim() || error.message}`,
          { cause: error },
        ),
      );
    });
  });
}

// Each operation gets its own directory so that concurrent issues never share files; the keys
// are written 0600 and the directory is removed as soon as the PEM text is read back.
async function withScratch<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'remoteler-testkit-pki-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const KEY_ARGS = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'] as const;

/**
 * Creates a test CA with a fresh ECDSA P-256 key (`openssl` 3.x must be on PATH).
 *
 * @param commonName - the CA subject CN. Default `remoteler-testkit-ca`.
 */
export async function createTestCertificateAuthority(
  commonName = 'remoteler-testkit-ca',
): Promise<TestCertificateAuthority> {
  const ca = await withScratch(async (dir) => {
    await run(dir, [
      'req',
      '-x509',
      ...KEY_ARGS,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-subj',
      `/CN=${subjectPart(commonName)}`,
      '-days',
      '2',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    return {
      certPem: await readFile(join(dir, 'ca.crt'), 'utf8'),
      keyPem: await readFile(join(dir, 'ca.key'), 'utf8'),
    };
  });

  const issue = (options: IssueOptions): Promise<CertificateAndKey> =>
    withScratch(async (dir) => {
      await writeFile(join(dir, 'ca.crt'), ca.certPem);
      await writeFile(join(dir, 'ca.key'), ca.keyPem, { mode: 0o600 });
      const subject = [
        `/CN=${subjectPart(options.commonName)}`,
        ...(options.organizations ?? []).map((o) => `/O=${subjectPart(o)}`),
      ].join('');
      const ext =
        options.usage === 'server'
          ? [
              '-addext',
              `subjectAltName=${(options.subjectAltNames ?? ['IP:127.0.0.1', 'DNS:localhost']).join(',')}`,
              '-addext',
              'extendedKeyUsage=serverAuth',
            ]
          : ['-addext', 'extendedKeyUsage=clientAuth'];
      await run(dir, [
        'req',
        '-x509',
        ...KEY_ARGS,
        '-keyout',
        'leaf.key',
        '-out',
        'leaf.crt',
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-subj',
        subject,
        '-days',
        String(options.days ?? 1),
        '-addext',
        'basicConstraints=critical,CA:FALSE',
        '-addext',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        ...ext,
      ]);
      return {
        certPem: await readFile(join(dir, 'leaf.crt'), 'utf8'),
        keyPem: await readFile(join(dir, 'leaf.key'), 'utf8'),
      };
    });

  return { ...ca, issue };
}
