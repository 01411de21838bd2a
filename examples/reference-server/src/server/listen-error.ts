import { RemotelerError } from '@remoteler/core';

/**
 * Turns a listen failure into its own code with the next step: a port in use
 * (`RMT_SERVER_PORT_IN_USE`, with the flag or field that changes it), anything else
 * (`RMT_SERVER_LISTEN_FAILED`).
 */
export function listenError(error: unknown, what: string, address: string, change: string): RemotelerError {
  if (RemotelerError.is(error)) return error;
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'EADDRINUSE')
    return new RemotelerError(
      'RMT_SERVER_PORT_IN_USE',
      `the ${what} cannot listen on ${address}: another process uses it`,
      {
        hint: `Stop the other process or choose another port (${change}).`,
        details: { listener: what, address },
        cause: error,
      },
    );
  return new RemotelerError(
    'RMT_SERVER_LISTEN_FAILED',
    `the ${what} cannot listen on ${address} (${code ?? String(error)})`,
    {
      hint: `Use a port above 1023 and an address of this machine (${change}).`,
      details: { listener: what, address, errno: code },
      cause: error,
    },
  );
}

/** Splits `host:port` (IPv6 in brackets) into the pieces `listen()` takes; `*` and empty mean all addresses. */
export function splitHostPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  let host = address.slice(0, at);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === '' || host === '*') host = '0.0.0.0';
  return { host, port: Number(address.slice(at + 1)) };
}
