import { defineErrors } from './define.js';

/** Errors of the reference server's operations: diagnostics listener, graceful shutdown, reload. */
export const OPS_ERRORS = defineErrors({
  RMT_OPS_DIAG_PORT_IN_USE: {
    category: 'unavailable',
    summary: 'The diagnostics listener (/healthz, /readyz, /metrics) could not bind: the port is taken.',
    hint: 'Stop the other process on that port or choose another diagnostics port.',
  },
  RMT_OPS_DIAG_LISTEN_FAILED: {
    category: 'unavailable',
    summary:
      'The diagnostics listener could not start for another reason than a taken port (address not local, no permission).',
    hint: 'Check the diagnostics host and port: the address must belong to this machine and ports below 1024 need privileges.',
  },
  RMT_OPS_SHUTDOWN_STEP_FAILED: {
    category: 'internal',
    summary:
      'A step of the graceful shutdown threw; the other steps still ran and the process exits with code 1.',
    hint: 'Read the logged cause of the step; nothing needs to be done for the next start.',
  },
  RMT_OPS_SHUTDOWN_DEADLINE_EXCEEDED: {
    category: 'unavailable',
    summary:
      'The graceful shutdown did not finish within its deadline; the remaining steps were cut and the process exits with code 1.',
    hint: "The log names the steps still running; raise the shutdown deadline (and the pod's terminationGracePeriodSeconds) if long sessions must drain.",
  },
  RMT_OPS_RELOAD_FAILED: {
    category: 'internal',
    summary: 'A reload (SIGHUP) handler failed; what it reloads stays as it was before.',
    hint: 'Fix the cause the log names (often a configuration, role or certificate file) and send SIGHUP again.',
  },
});
