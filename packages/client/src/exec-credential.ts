// Imported by the exec plugin's fast path (bin.ts): no imports at all.

/** The ExecCredential apiVersion Remoteler writes into kubeconfig and answers with. */
export const EXEC_API_VERSION = 'client.authentication.k8s.io/v1';

/** A cached certificate is served while it has more than this left, in ms (30 s). */
export const FRESH_MARGIN_MS = 30_000;

/**
 * The ExecCredential kubectl reads from the plugin's stdout (k8s-protocols §11.3): cert and key as
 * PEM text (not base64), `expirationTimestamp` RFC 3339 so client-go calls the plugin again after it.
 */
export function execCredentialJson(certificatePem: string, keyPem: string, notAfter: string): string {
  return `${JSON.stringify({
    apiVersion: EXEC_API_VERSION,
    kind: 'ExecCredential',
    status: {
      clientCertificateData: certificatePem,
      clientKeyData: keyPem,
      expirationTimestamp: new Date(notAfter).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    },
  })}\n`;
}

/**
 * What `KUBERNETES_EXEC_INFO` says about the terminal: `false` only when kubectl says the session is
 * not interactive (k8s-protocols §11.2); missing or unreadable info counts as interactive only when
 * stdin is a terminal.
 */
export function execIsInteractive(execInfo: string | undefined, stdinIsTty: boolean): boolean {
  if (execInfo === undefined || execInfo === '') return stdinIsTty;
  try {
    return (JSON.parse(execInfo) as { spec?: { interactive?: unknown } }).spec?.interactive === true;
  } catch {
    return false;
  }
}
