import { defineErrors } from './define.js';

/** Errors raised by `@remoteler/client` and the `remoteler` command. */
export const CLIENT_ERRORS = defineErrors({
  RMT_CLIENT_USAGE: {
    category: 'input',
    summary: 'The command line is not valid: an unknown command or flag, or a missing argument.',
    hint: 'Run `remoteler help` for the commands and their flags.',
  },
  RMT_CLIENT_NOT_LOGGED_IN: {
    category: 'unauthenticated',
    summary:
      'There is no profile for this proxy under $REMOTELER_HOME (or no proxy was named and there are several).',
    hint: 'Run `remoteler login --proxy HOST:PORT` first.',
  },
  RMT_CLIENT_LOGIN_REQUIRED: {
    category: 'unauthenticated',
    summary:
      'The certificate has expired and renewing it needs a person (a sign-in), but the exec plugin runs without a terminal.',
    hint: 'Run `remoteler login --proxy HOST:PORT` in a terminal, then repeat the kubectl command.',
  },
  RMT_CLIENT_PROFILE_INVALID: {
    category: 'internal',
    summary: 'A file of the profile under $REMOTELER_HOME is unreadable or not what this version wrote.',
    hint: 'Run `remoteler logout --proxy HOST:PORT` and log in again.',
  },
  RMT_CLIENT_KUBECONFIG_INVALID: {
    category: 'input',
    summary:
      'The kubeconfig file is not a YAML mapping with clusters, users and contexts lists, so it was not changed.',
    hint: 'Fix the file (kubectl config view shows what kubectl reads) or point $KUBECONFIG at another file.',
  },
  RMT_CLIENT_KUBECONFIG_CONFLICT: {
    category: 'conflict',
    summary:
      'The kubeconfig already holds a cluster, user or context of that name that Remoteler did not create.',
    hint: 'Rename or delete the existing entry (kubectl config rename-context / delete-context), then log in again.',
  },
  RMT_CLIENT_KUBECONFIG_LOCKED: {
    category: 'unavailable',
    summary: "Another program holds kubectl's lock file (<kubeconfig>.lock) and did not release it in time.",
    hint: 'Wait for the other kubectl or remoteler to finish; delete the .lock file only if no such process runs.',
  },
  RMT_CLIENT_CLUSTER_NOT_FOUND: {
    category: 'not-found',
    summary: 'The named Kubernetes cluster is not among the clusters your roles allow.',
    hint: 'Run `remoteler kube ls` to see the clusters you may use.',
  },
  RMT_CLIENT_PROXY_UNREACHABLE: {
    category: 'unavailable',
    summary: 'The proxy could not be reached or its TLS certificate could not be verified.',
    hint: 'Check the address; for a private CA pass --ca-file PEM or --ca-pin sha256:… (as GET /v1/ping lists it).',
  },
  RMT_CLIENT_CA_PIN_MISMATCH: {
    category: 'forbidden',
    summary:
      'No certificate the proxy presented matches the pinned CA fingerprint, so nothing was sent to it.',
    hint: 'Compare the pin with the CA fingerprints your administrator published; never log in to a proxy that does not match.',
  },
  RMT_CLIENT_SERVER_ERROR: {
    category: 'unavailable',
    summary: 'The proxy answered with something that is not a Remoteler API answer.',
    hint: 'Check that --proxy names a Remoteler proxy (or Auth) address and try again later.',
  },
  RMT_CLIENT_LOCK_TIMEOUT: {
    category: 'unavailable',
    summary: 'Another remoteler process held the renewal lock in $REMOTELER_HOME for too long.',
    hint: 'Wait for the other login to finish; the lock is broken automatically once it is stale (2 minutes).',
  },
  RMT_CLIENT_PASSWORD_REQUIRED: {
    category: 'input',
    summary: 'A password login needs the password on standard input and none was given.',
    hint: 'Pipe the password in with --password-stdin, or run the command in a terminal.',
  },
  RMT_CLIENT_SSO_TIMEOUT: {
    category: 'unavailable',
    summary: 'The browser did not come back to the loopback listener before the SSO login timed out.',
    hint: 'Run `remoteler login` again and finish signing in within the time shown; with --browser none open the printed URL yourself.',
  },
  RMT_CLIENT_SSO_FAILED: {
    category: 'unauthenticated',
    summary: 'The identity provider or Auth ended the SSO login with an error instead of a one-time code.',
    hint: 'Read the code in the message (an RMT_AUTH_… code from Auth) and run `remoteler login` again.',
  },
  RMT_CLIENT_FILE_UNREADABLE: {
    category: 'input',
    summary: 'A file named on the command line (such as `admin create -f FILE`) could not be read.',
    hint: 'Check the path and its permissions; use `-f -` to read standard input.',
  },
  RMT_CLIENT_LOGIN_EXPIRED: {
    category: 'unauthenticated',
    summary:
      'The login certificate of the profile has expired, and the command calls the API with it (admin commands do).',
    hint: 'Run `remoteler login --proxy HOST:PORT` again, then repeat the command.',
  },
  RMT_CLIENT_ADMIN_EXISTS: {
    category: 'conflict',
    summary:
      'An admin command that only creates (users add, a changed lock in create -f) found a resource of that name already there; nothing was written.',
    hint: 'Pick another name, or remove the existing one first (`remoteler admin rm KIND/NAME`, `remoteler admin unlock NAME`).',
  },
});
