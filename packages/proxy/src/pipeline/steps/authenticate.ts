import type { TLSSocket } from 'node:tls';
import type { Identity } from '@remoteler/core';
import { RemotelerError } from '@remoteler/core';
import type { UserCertificateDecoder } from '../../identity/user-certificate-decoder.js';
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

/**
 * The gate, first on both the `request` and the `upgrade` path: a connection that TLS did not
 * authorize against the *user* CA bundle gets 401 before anything else looks at the request. Then
 * the verified certificate is decoded into an identity (once per connection) and its validity is
 * checked again on every request, because a keep-alive connection outlives its handshake.
 */
export function createAuthenticateStep(decoder: UserCertificateDecoder): ProxyStep {
  // Owned by this step instance; entries go away with their sockets.
  const identities = new WeakMap<object, Identity>();
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
      let identity = identities.get(socket);
      if (!identity) {
        const peer = socket.getPeerCertificate();
        if (!peer?.raw) throw unauthenticated('the request came without a client certificate');
        try {
          identity = decoder.decodeUserCertificate({ raw: peer.raw }, { now: exchange.receivedAt }).identity;
        } catch (cause) {
          if (RemotelerError.is(cause) && /EXPIRED/.test(cause.code)) throw expired();
          throw new RemotelerError(
            'RMT_PROXY_IDENTITY_INVALID',
            'the client certificate carries no usable Remoteler user identity',
            { cause },
          );
        }
        identities.set(socket, identity);
      }
      const now = exchange.receivedAt.getTime();
      if (identity.notAfter && identity.notAfter.getTime() <= now) throw expired();
      if (identity.notBefore && identity.notBefore.getTime() > now) throw expired();
      exchange.identity = identity;
    },
  };
}
