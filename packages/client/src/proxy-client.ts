import { createHash, X509Certificate } from 'node:crypto';
import { request } from 'node:https';
import { isIP } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { type ErrorCode, errorDefinition, RemotelerError } from '@remoteler/core';
import type { ProxyTrust } from './profile.js';

/** Options of {@link ProxyClient}. */
export interface ProxyClientOptions {
  /** `HOST:PORT` of the proxy web API (for now: the Auth server's address). */
  readonly proxy: string;
  readonly trust: ProxyTrust;
  /** Client certificate and key (PEM) for endpoints that need mutual TLS. */
  readonly certificatePem?: string;
  readonly keyPem?: string;
  /** Per-request timeout in ms (default 30 000). */
  readonly timeoutMs?: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fingerprint(der: Buffer): string {
  return `sha256:${createHash('sha256').update(der).digest('hex')}`;
}

/** `HOST:PORT` -> an https base URL; a bare host gets port 443. */
export function proxyUrl(proxy: string): URL {
  const url = new URL(`https://${proxy}`);
  if (url.pathname !== '/' || url.search !== '' || url.username !== '') {
    throw new RemotelerError('RMT_CLIENT_USAGE', `--proxy must be HOST or HOST:PORT, got ${proxy}`);
  }
  return url;
}

/** The PEM certificates above the leaf the server sent (its chain), for pinning. */
function peerChain(socket: TLSSocket): Buffer[] {
  const chain: Buffer[] = [];
  let cert = socket.getPeerCertificate(true);
  const seen = new Set<string>();
  while (cert?.raw && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    chain.push(cert.raw);
    cert = cert.issuerCertificate;
  }
  return chain;
}

/**
 * A small JSON client for the proxy's web API (node:https). The server certificate is verified
 * against `trust.caPem`, or the system store when no CA is given; a `caPin` accepts only a chain that
 * contains a certificate with that SHA-256 fingerprint (checked before any byte is sent); `insecure`
 * verifies nothing. API errors come back as RemotelerErrors with the server's `RMT_` code.
 */
export class ProxyClient {
  readonly #options: ProxyClientOptions;
  readonly #base: URL;

  constructor(options: ProxyClientOptions) {
    this.#options = options;
    this.#base = proxyUrl(options.proxy);
  }

  /**
   * Sends one request and returns the parsed JSON answer (`undefined` for an answer without a body,
   * such as a 204 to a DELETE).
   */
  async call<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const pinned = this.#options.trust.caPin !== undefined && this.#options.trust.caPem === undefined;
    // A pin is resolved to the CA certificate first, on a connection that sends no data; the request
    // itself then verifies the chain against that certificate like any --ca-file.
    const trust = pinned ? { caPem: await this.resolvePin() } : this.#options.trust;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const req = request(new URL(path, this.#base), {
        method,
        agent: false,
        timeout: this.#options.timeoutMs ?? 30_000,
        ...(trust.caPem ? { ca: trust.caPem } : {}),
        rejectUnauthorized: !trust.insecure,
        ...(this.#options.certificatePem
          ? { cert: this.#options.certificatePem, key: this.#options.keyPem }
          : {}),
        headers: {
          accept: 'application/json',
          ...(payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
        },
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', (error) => {
        if (RemotelerError.is(error)) reject(error);
        else
          reject(
            new RemotelerError(
              'RMT_CLIENT_PROXY_UNREACHABLE',
              `cannot reach ${this.#options.proxy}: ${error.message}`,
              {
                cause: error,
              },
            ),
          );
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          let json: Record<string, unknown> | undefined;
          try {
            json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            json = undefined;
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300 && json !== undefined) return resolve(json as T);
          if (status === 204) return resolve(undefined as T);
          const code = typeof json?.code === 'string' ? json.code : '';
          if (errorDefinition(code)) {
            return reject(
              new RemotelerError(code as ErrorCode, String(json?.message ?? code), {
                ...(typeof json?.hint === 'string' ? { hint: json.hint } : {}),
                // Validation problems (paths and expectations) help the user fix the request.
                ...(isRecord(json?.details) ? { details: json.details } : {}),
              }),
            );
          }
          reject(new RemotelerError('RMT_CLIENT_SERVER_ERROR', `${method} ${path} answered HTTP ${status}`));
        });
      });
      req.end(payload);
    });
  }

  /**
   * Finds the certificate matching `trust.caPin` in the chain the server sends (PEM), or fails with
   * `RMT_CLIENT_CA_PIN_MISMATCH`. The server must send its CA in the chain for a CA pin to match.
   */
  resolvePin(): Promise<string> {
    const { caPin } = this.#options.trust;
    return new Promise<string>((resolve, reject) => {
      const socket = tlsConnect({
        host: this.#base.hostname.replace(/^\[|\]$/g, ''),
        port: Number(this.#base.port || 443),
        ...(isIP(this.#base.hostname.replace(/^\[|\]$/g, '')) ? {} : { servername: this.#base.hostname }),
        // Nothing is verified or sent on this connection: it only reads the chain to compare the pin.
        rejectUnauthorized: false,
        timeout: this.#options.timeoutMs ?? 30_000,
      });
      socket.once('secureConnect', () => {
        const match = peerChain(socket).find((der) => fingerprint(der) === caPin);
        socket.destroy();
        if (match) resolve(new X509Certificate(match).toString());
        else
          reject(
            new RemotelerError(
              'RMT_CLIENT_CA_PIN_MISMATCH',
              `no certificate of ${this.#options.proxy} matches ${caPin}`,
            ),
          );
      });
      socket.once('timeout', () => socket.destroy(new Error('timed out')));
      socket.once('error', (error) =>
        reject(
          new RemotelerError(
            'RMT_CLIENT_PROXY_UNREACHABLE',
            `cannot reach ${this.#options.proxy}: ${error.message}`,
            {
              cause: error,
            },
          ),
        ),
      );
    });
  }
}

/** The RFC 3339 expiry of a PEM certificate (node:crypto X509Certificate). */
export function certificateNotAfter(certificatePem: string): string {
  return new Date(new X509Certificate(certificatePem).validTo).toISOString();
}
