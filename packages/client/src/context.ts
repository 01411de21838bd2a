import { type ClientEnv, kubeconfigPath, remotelerHome } from './home.js';
import { ProfileStore } from './profile.js';

/** Everything a command reads from its surroundings, passed in (no globals): tests build their own. */
export interface ClientContext {
  readonly env: ClientEnv;
  readonly store: ProfileStore;
  /** The kubeconfig file logins write to. */
  readonly kubeconfig: string;
  /** What the kubeconfig's exec entry runs (default `remoteler`; the CLI passes its own path). */
  readonly execCommand: string;
  /** Arguments placed before `kube credentials …` (e.g. a script path when the command is node). */
  readonly execArgsPrefix: readonly string[];
  /** Clock in ms (default Date.now). */
  readonly now: () => number;
  /** Warnings for a person (stderr in the CLI). */
  readonly warn: (line: string) => void;
  /** Opens a URL in the user's browser (best effort); default: does nothing. */
  readonly openBrowser: (url: string) => void;
}

/** Options of {@link createClientContext}. */
export interface ClientContextOptions {
  readonly env: ClientEnv;
  readonly execCommand?: string;
  readonly execArgsPrefix?: readonly string[];
  readonly now?: () => number;
  readonly warn?: (line: string) => void;
  readonly openBrowser?: (url: string) => void;
}

/** A context from the environment: `$REMOTELER_HOME`, `$KUBECONFIG`. */
export function createClientContext(options: ClientContextOptions): ClientContext {
  return {
    env: options.env,
    store: new ProfileStore(remotelerHome(options.env)),
    kubeconfig: kubeconfigPath(options.env),
    execCommand: options.execCommand ?? 'remoteler',
    execArgsPrefix: options.execArgsPrefix ?? [],
    now: options.now ?? Date.now,
    warn: options.warn ?? (() => {}),
    openBrowser: options.openBrowser ?? (() => {}),
  };
}
