import { createHash } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { Identity } from '@remoteler/core';
import { RemotelerError } from '@remoteler/core';
import type { UserCertificateDecoder } from '../../identity/user-certificate-decoder.js';
import { isHttp2Request } from '../../listener/http-messages.js';
import type { ProxyExchange } from '../exchange.js';
import type { ProxyStep } from '../pipeline.js';

// OpenSSL verification codes node:tls reports in `authorizationError` for a certificate outside its validity.
const EXPIRED_CODES = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

function unauthenticated(reason: string): RemotelerError {
  return new RemotelerError('RMT_PROXY_UNAUTHENTICATED', `no valid Remoteler client certificate: ${reason}`);
}

function expired(): RemotelerError {
  return new RemotelerError('RMT_PROXY_CERTIFICATE_EXPIRED', 'your Remoteler certificate has expired');
}

/** Decoded identities kept by certificate: kubectl and watches open many connections with one certificate. */
const DECODED_CACHE_SIZE = 4_096;

/**
 * The gate, first on both the `request` and the `upgrade` path: a connection that TLS did not
 * authorize against the *user* CA bundle gets 401 before anything else looks at the request. Then
 * the verified certificate is decoded into an identity (once per connection) and its validity is
 * checked again on every request, because a keep-alive connection outlives its handshake.
 */
export function createAuthenticateStep(decoder: UserCertificateDecoder): ProxyStep {
  // Owned by this step instance; entries go away with their sockets.
  const identities = new WeakMap<object, Identity>();
  // By the SHA-256 of the certificate's DER, oldest first. Decoding (ASN.1 and a signature check)
  // costs milliseconds per new connection; the TLS layer has just verified the same certificate
  // against the current user CA bundle, so a rotated-out CA never reaches this cache, and validity
  // is checked on every request below.
  const decoded = new Map<string, Identity>();
  return {
    name: 'authenticate',
    run(exchange: ProxyExchange) {
      const socket = exchange.req.socket as TLSSocket;
      if (socket.authorized !== true) {
        const reason = socket.authorizationError;
        const code = typeof reason === 'string' ? reason : (reason as Error | null)?.message;
        if (code && EXPIRED_CODES.has(code)) throw expired();
        throw unauthenticated(
          typeof socket.getPeerCertificate === 'function' && socket.getPeerCertificate()?.raw
            ? 'the certificate was not issued by a trusted Remoteler user CA'
            : 'the request came without a client certificate',
        );
      }
      // One connection, one certificate: over HTTP/2 each stream has its own `req.socket` view,
      // so the connection (session) is the key.
      const connection = isHttp2Request(exchange.req) ? exchange.req.stream.session : socket;
      let identity = connection && identities.get(connection);
      if (!identity) {
        const raw = socket.getPeerX509Certificate?.()?.raw ?? socket.getPeerCertificate()?.raw;
        if (!raw) throw unauthenticated('the request came without a client certificate');
        const key = createHash('sha256').update(raw).digest('base64');
        identity = decoded.get(key);
        if (!identity) {
          try {
            identity = decoder.decodeUserCertificate({ raw }, { now: exchange.receivedAt }).identity;
          } catch (cause) {
            if (RemotelerError.is(cause) && /EXPIRED/.test(cause.code)) throw expired();
            throw new RemotelerError(
              'RMT_PROXY_IDENTITY_INVALID',
              'the client certificate carries no usable Remoteler user identity',
              { cause },
            );
          }
          if (decoded.size >= DECODED_CACHE_SIZE) decoded.delete(decoded.keys().next().value as string);
          decoded.set(key, identity);
        }
        if (connection) identities.set(connection, identity);
      }
      const now = exchange.receivedAt.getTime();
      if (identity.notAfter && identity.notAfter.getTime() <= now) throw expired();
      if (identity.notBefore && identity.notBefore.getTime() > now) throw expired();
      exchange.identity = identity;
    },
  };
}
