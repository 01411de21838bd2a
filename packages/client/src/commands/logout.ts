import type { ClientContext } from '../context.js';
import { removeFromKubeconfig } from '../kube-entries.js';
import { normaliseProxy } from './login.js';

/**
 * Removes the kubeconfig entries a login added (restoring the previous current-context), then the
 * profile's key and certificates. Without `proxy`, every profile. Returns the proxies logged out of.
 */
export async function logout(context: ClientContext, proxy?: string): Promise<string[]> {
  const profiles =
    proxy === undefined ? await context.store.list() : [await context.store.resolve(normaliseProxy(proxy))];
  // Newest login last in the kubeconfig, so undo in reverse order: each restores what it found.
  for (const profile of [...profiles].reverse()) {
    await removeFromKubeconfig(profile);
    await context.store.remove(profile.proxy);
  }
  return profiles.map((p) => p.proxy);
}
