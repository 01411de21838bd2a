import { defineErrors } from './define.js';

/** Errors of the reference server (`remoteler-server`): its configuration file, start-up and demo. */
export const SERVER_ERRORS = defineErrors({
  RMT_CONFIG_NOT_FOUND: {
    category: 'input',
    summary: 'The configuration file named by --config does not exist.',
    hint: 'Check the path, or run `remoteler-server start` without --config for the demo.',
  },
  RMT_CONFIG_UNREADABLE: {
    category: 'input',
    summary: 'The configuration file exists but cannot be read (permissions, a directory, an I/O error).',
    hint: 'Make the file readable by the user the server runs as.',
  },
  RMT_CONFIG_YAML_INVALID: {
    category: 'input',
    summary: 'The configuration file is not valid YAML; the line of each syntax error is listed.',
    hint: 'Fix the YAML syntax at the listed lines, then run `remoteler-server config check FILE`.',
  },
  RMT_CONFIG_REFERENCE_UNREADABLE: {
    category: 'input',
    summary:
      'A file or environment variable the configuration refers to (a secret, a CA file, a users or roles file) is missing, unreadable or invalid.',
    hint: 'Create the file or set the variable the message names, or fix the path in the configuration.',
  },
  RMT_SERVER_USAGE: {
    category: 'input',
    summary: 'The command line of `remoteler-server` is not valid (unknown command or flag, missing value).',
    hint: 'Run `remoteler-server --help` for the commands and flags.',
  },
  RMT_SERVER_PORT_IN_USE: {
    category: 'unavailable',
    summary: 'A listener could not start because another process already uses its address and port.',
    hint: 'Stop the other process or choose another port (--port for the demo, the listen fields of the configuration otherwise).',
  },
  RMT_SERVER_LISTEN_FAILED: {
    category: 'unavailable',
    summary:
      'A listener could not start for a reason other than a port in use (no permission for a port below 1024, an address not on this machine).',
    hint: 'Use a port above 1023 or an address of this machine.',
  },
  RMT_SERVER_STATE_DIR_UNUSABLE: {
    category: 'input',
    summary:
      'The state or CA directory cannot be created, read or written, or its permissions let others read key material.',
    hint: 'Give the directory to the user the server runs as with mode 0700 (chmod 700 DIR), or choose another with --state-dir / state_dir / auth.ca_dir.',
  },
  RMT_SERVER_JOIN_TOKEN_MISSING: {
    category: 'input',
    summary: 'A Proxy-only process has no host certificate yet and no join token to get one.',
    hint: 'Set proxy.join_token to the file or variable holding a token made by the Auth server (auth.tokens or `remoteler admin tokens add --type proxy`).',
  },
  RMT_SERVER_JOIN_FAILED: {
    category: 'unavailable',
    summary: 'A Proxy-only process could not join the Auth server or renew its host certificate.',
    hint: 'Check that proxy.auth_server is reachable and that the join token is fresh and unused; the message names the Auth answer.',
  },
  RMT_SERVER_CLUSTER_UNAVAILABLE: {
    category: 'unavailable',
    summary:
      "A cluster's API server refused the Proxy's credentials or could not be reached; the Proxy keeps serving the other clusters and /readyz names this one.",
    hint: "Check the cluster's credentials in proxy.clusters and that the Proxy may impersonate users and groups there.",
  },
});
