// The Status an exec/attach session ends with, on channel 3 (WebSocket v4/v5) or the `error` stream
// (SPDY v4). Shapes from k8s-protocols.md §5.4 (client-go `errorDecoderV4`, kubelet `exec.go`).

/** A cause of a `metav1.Status`. Its JSON key is `reason` (the Go field `Type`). */
export interface KubeStatusCause {
  readonly reason?: string;
  readonly message?: string;
  readonly field?: string;
}

/** The `metav1.Status` shape, as far as streaming sessions use it. */
export interface KubeStatus {
  readonly kind?: 'Status';
  readonly apiVersion?: 'v1';
  readonly metadata: Record<string, never>;
  readonly status: 'Success' | 'Failure';
  readonly message?: string;
  readonly reason?: string;
  readonly details?: { readonly causes?: readonly KubeStatusCause[] };
  readonly code?: number;
}

/** `NonZeroExitCode`, the reason kubectl turns into its own exit code. */
export const NON_ZERO_EXIT_CODE_REASON = 'NonZeroExitCode';

/** `ExitCode`, the cause type whose message is the decimal exit code. */
export const EXIT_CODE_CAUSE = 'ExitCode';

/**
 * The Status for a process that exited with `exitCode` (0-255): Success, or Failure with reason
 * `NonZeroExitCode` and an `ExitCode` cause, exactly as the kubelet writes it. `command` (argv) only
 * goes into the message.
 */
export function execExitStatus(exitCode: number, command: readonly string[] = []): KubeStatus {
  if (exitCode === 0) return { metadata: {}, status: 'Success' };
  const code = exitCode & 0xff;
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`,
    reason: NON_ZERO_EXIT_CODE_REASON,
    details: { causes: [{ reason: EXIT_CODE_CAUSE, message: String(code) }] },
  };
}

/** The Status for a session that failed for another reason than the process's exit (HTTP 500 shape). */
export function execInternalErrorStatus(message: string): KubeStatus {
  return {
    metadata: {},
    status: 'Failure',
    message: `Internal error occurred: ${message}`,
    reason: 'InternalError',
    details: { causes: [{ message }] },
    code: 500,
  };
}

/** What a relay learns from a session's final Status. */
export interface ExecOutcome {
  readonly success: boolean;
  /** The process's exit code when the Status carries one (0 for Success). */
  readonly exitCode: number | undefined;
  readonly message: string | undefined;
}

/**
 * Reads the error channel's content as client-go does: empty means success; a Status JSON gives the
 * exit code from a `NonZeroExitCode` reason with an `ExitCode` cause (unsigned decimal 0-255); any other
 * text (v1-v3 protocols) is a failure message without a code.
 */
export function parseExecOutcome(content: Uint8Array | string): ExecOutcome {
  const text = typeof content === 'string' ? content : Buffer.from(content).toString('utf8');
  if (text.trim().length === 0) return { success: true, exitCode: 0, message: undefined };
  let status: Partial<KubeStatus>;
  try {
    status = JSON.parse(text) as Partial<KubeStatus>;
  } catch {
    return { success: false, exitCode: undefined, message: text };
  }
  if (status.status === 'Success') return { success: true, exitCode: 0, message: undefined };
  let exitCode: number | undefined;
  if (status.reason === NON_ZERO_EXIT_CODE_REASON) {
    const cause = status.details?.causes?.find((entry) => entry.reason === EXIT_CODE_CAUSE);
    if (cause?.message && /^\d{1,3}$/.test(cause.message) && Number(cause.message) <= 255)
      exitCode = Number(cause.message);
  }
  return { success: false, exitCode, message: status.message };
}
