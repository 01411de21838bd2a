import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { sha256Fingerprint } from '@remoteler/ca';
import { RemotelerError } from '@remoteler/core';
import { ensurePrivateDir } from './state-dir.js';

/** What a Proxy-only process holds after joining: its key (made here, never sent), its host certificate and the CA bundles. */
export interface HostCredentials {
  readonly keyPem: string;
  readonly certificatePem: string;
  /** Host CA bundle: verifies the Auth listener; sent after the leaf so clients can pin it. */
  readonly hostCaPem: string;
  /** User CA bundle: what the Proxy's listener trusts for kubectl clients. */
  readonly userCaPem: string;
  readonly notAfter: Date;
}

const FILES = { key: 'host.key', cert: 'host.crt', hostCa: 'host-ca.pem', userCa: 'user-ca.pem' } as const;

function joinFailed(message: string, cause?: unknown): RemotelerError {
  return new RemotelerError('RMT_SERVER_JOIN_FAILED', message, cause === undefined ? {} : { cause });
}

/** Splits a PEM bundle into its certificates. */
export function splitPem(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** Writes a file 0600 atomically (temp file + rename), so a crash never leaves half a key. */
async function writePrivate(path: string, text: string): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, text, { mode: 0o600 });
  await rename(temp, path);
}

/** Saves host credentials under `dir` (0700; files 0600). */
export async function saveHostCredentials(dir: string, credentials: HostCredentials): Promise<void> {
  await ensurePrivateDir(dir, 'the Proxy state directory');
  await writePrivate(join(dir, FILES.key), credentials.keyPem);
  await writePrivate(join(dir, FILES.hostCa), credentials.hostCaPem);
  await writePrivate(join(dir, FILES.userCa), credentials.userCaPem);
  // The certificate last: its presence says the set is complete.
  await writePrivate(join(dir, FILES.cert), credentials.certificatePem);
}

/** Loads saved host credentials; `undefined` when there are none (first start). */
export async function loadHostCredentials(dir: string): Promise<HostCredentials | undefined> {
  try {
    const [keyPem, certificatePem, hostCaPem, userCaPem] = await Promise.all(
      [FILES.key, FILES.cert, FILES.hostCa, FILES.userCa].map((f) => readFile(join(dir, f), 'utf8')),
    );
    const notAfter = new Date(new X509Certificate(certificatePem as string).validTo);
    return {
      keyPem: keyPem as string,
      certificatePem: certificatePem as string,
      hostCaPem: hostCaPem as string,
      userCaPem: userCaPem as string,
      notAfter,
    };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Fetches the host CA from the Auth listener's own TLS chain and accepts it only when its SHA-256
 * fingerprint is `pin` and it signed the leaf, which names the host we dialled (the same
 * trust-on-first-use-with-a-pin that `remoteler login --ca-pin` does). Later requests then verify
 * Auth normally against this CA.
 */
export async function fetchPinnedCa(authUrl: string, pin: string, timeoutMs = 15_000): Promise<string> {
  const url = new URL(authUrl);
  const chain = await new Promise<PeerCertificate[]>((resolve, reject) => {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const socket = connect({
      host,
      port: Number(url.port || 443),
      // SNI carries host names only (RFC 6066 §3), never IP literals.
      ...(isIP(host) ? {} : { servername: host }),
      rejectUnauthorized: false,
    });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error('timed out')));
    socket.once('secureConnect', () => {
      const certs: PeerCertificate[] = [];
      let current: PeerCertificate | undefined = socket.getPeerCertificate(true);
      const seen = new Set<string>();
      while (current?.raw && !seen.has(current.fingerprint256)) {
        seen.add(current.fingerprint256);
        certs.push(current);
        current = (current as PeerCertificate & { issuerCertificate?: PeerCertificate }).issuerCertificate;
      }
      socket.end();
      resolve(certs);
    });
    socket.once('error', reject);
  }).catch((error: unknown) => {
    throw joinFailed(`cannot reach the Auth server at ${authUrl} (${(error as Error).message})`, error);
  });
  const leaf = chain[0];
  const ca = chain.find((c) => sha256Fingerprint(c.raw) === pin);
  if (!leaf || !ca) throw joinFailed(`the Auth server at ${authUrl} did not present the host CA ${pin}`);
  const caCert = new X509Certificate(ca.raw);
  const leafCert = new X509Certificate(leaf.raw);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const namesHost = /^[\d.]+$|:/.test(host) ? leafCert.checkIP(host) : leafCert.checkHost(host);
  if (!leafCert.verify(caCert.publicKey) || !namesHost)
    throw joinFailed(
      `the Auth server's certificate at ${authUrl} is not signed by the pinned host CA for ${host}`,
    );
  return caCert.toString();
}

interface PostOptions {
  readonly ca: string;
  readonly cert?: string;
  readonly key?: string;
  readonly timeoutMs?: number;
}

/** POSTs JSON to the Auth API over TLS verified against the host CA; Remoteler errors come back as such. */
async function postJson(
  authUrl: string,
  path: string,
  body: unknown,
  options: PostOptions,
): Promise<unknown> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, authUrl),
      {
        method: 'POST',
        agent: false,
        ca: options.ca,
        ...(options.cert ? { cert: options.cert, key: options.key } : {}),
        timeout: options.timeoutMs ?? 15_000,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let json: { code?: string; message?: string } | undefined;
          try {
            json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            json = undefined;
          }
          if (res.statusCode === 200 && json) resolve(json);
          else
            reject(
              joinFailed(
                `the Auth server answered ${res.statusCode}${json?.code ? ` ${json.code}: ${json.message}` : ''}`,
              ),
            );
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (error) =>
      reject(
        RemotelerError.is(error)
          ? error
          : joinFailed(`cannot reach the Auth server at ${authUrl} (${error.message})`, error),
      ),
    );
    req.end(payload);
  });
}

interface IssuedHost {
  readonly certificatePem: string;
  readonly notAfter: string;
  readonly hostCaPem: string;
  readonly userCaPem: string;
}

function credentialsFrom(issued: IssuedHost, keyPem: string): HostCredentials {
  return {
    keyPem,
    certificatePem: issued.certificatePem,
    hostCaPem: issued.hostCaPem,
    userCaPem: issued.userCaPem,
    notAfter: new Date(issued.notAfter),
  };
}

function newKey(): { keyPem: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
}

/** What a join asks for: the names the Proxy's web certificate must carry. */
export interface HostRequest {
  readonly hostId: string;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
}

/** Exchanges a one-time join token (POST /v1/join) for a host certificate for a key made here. */
export async function joinWithToken(
  authUrl: string,
  hostCaPem: string,
  token: string,
  host: HostRequest,
): Promise<HostCredentials> {
  const key = newKey();
  const issued = (await postJson(
    authUrl,
    '/v1/join',
    {
      token,
      publicKey: key.publicKey,
      hostId: host.hostId,
      role: 'proxy',
      dnsNames: host.dnsNames,
      ipAddresses: host.ipAddresses,
    },
    { ca: hostCaPem },
  )) as IssuedHost;
  return credentialsFrom(issued, key.keyPem);
}

/** Renews a host certificate over mutual TLS with the current one (POST /v1/join/renew), with a new key. */
export async function renewHostCertificate(
  authUrl: string,
  current: HostCredentials,
  host: HostRequest,
): Promise<HostCredentials> {
  const key = newKey();
  const issued = (await postJson(
    authUrl,
    '/v1/join/renew',
    { publicKey: key.publicKey, dnsNames: host.dnsNames, ipAddresses: host.ipAddresses },
    { ca: current.hostCaPem, cert: current.certificatePem, key: current.keyPem },
  )) as IssuedHost;
  return credentialsFrom(issued, key.keyPem);
}
