import { RemotelerError } from '@remoteler/core';

function refuse(why: string): RemotelerError {
  return new RemotelerError('RMT_AUTH_REDIRECT_NOT_LOOPBACK', `the SSO redirect is refused: ${why}`);
}

/**
 * Checks an SSO client redirect: exactly `http://127.0.0.1:PORT/callback` or
 * `http://[::1]:PORT/callback` (RFC 8252 §7.3: loopback IP literals, not `localhost`, which DNS or
 * /etc/hosts could point elsewhere; plain http is fine because the traffic never leaves the host).
 * No user info, query or fragment, and an explicit port, so the one-time code can only reach a
 * listener on the user's own machine. Returns the normalised URL.
 */
export function checkLoopbackRedirect(input: unknown): string {
  if (typeof input !== 'string' || input.length > 64) throw refuse('expected http://127.0.0.1:PORT/callback');
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw refuse('it is not a URL');
  }
  if (url.protocol !== 'http:') throw refuse('the scheme must be http (a loopback listener)');
  if (url.hostname !== '127.0.0.1' && url.hostname !== '[::1]')
    throw refuse('the host must be the loopback literal 127.0.0.1 or [::1]');
  if (url.username !== '' || url.password !== '') throw refuse('user information is not allowed');
  // WHATWG URL drops a default port (80), so an empty port means none was given or it was 80.
  if (url.port === '') throw refuse('an explicit non-default port is required');
  if (url.pathname !== '/callback') throw refuse('the path must be /callback');
  if (url.search !== '' || url.hash !== '' || input.includes('?') || input.includes('#'))
    throw refuse('query and fragment are not allowed');
  // Refuse anything the parser normalised (e.g. `127.1`, `/x/../callback`): the string the client
  // sent must be the one it listens on.
  if (url.href !== input) throw refuse(`write it exactly as ${url.href}`);
  return url.href;
}
