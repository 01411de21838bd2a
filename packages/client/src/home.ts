import { homedir } from 'node:os';
import { join } from 'node:path';

/** The environment a client reads; `process.env` in the command, a plain object in tests. */
export type ClientEnv = Readonly<Record<string, string | undefined>>;

/** `$REMOTELER_HOME`, else `~/.remoteler`: where profiles (keys, certificates, CA) live. */
export function remotelerHome(env: ClientEnv): string {
  const configured = env.REMOTELER_HOME;
  return configured !== undefined && configured !== ''
    ? configured
    : join(env.HOME ?? homedir(), '.remoteler');
}

/**
 * The kubeconfig file logins write to: the first entry of `$KUBECONFIG` (kubectl writes new entries
 * to the first file of the list too, client-go `ClientConfigLoadingRules.GetDefaultFilename`), else
 * `~/.kube/config`.
 */
export function kubeconfigPath(
  env: ClientEnv,
  platformDelimiter = process.platform === 'win32' ? ';' : ':',
): string {
  const first = (env.KUBECONFIG ?? '').split(platformDelimiter).find((part) => part !== '');
  return first ?? join(env.HOME ?? homedir(), '.kube', 'config');
}
