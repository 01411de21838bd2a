import { fileURLToPath } from 'node:url';
import { runKubectl } from '@remoteler/testkit';
import { parseAllDocuments } from 'yaml';

/** The repository root (this file is examples/reference-server/test/deploy/support/manifests.ts). */
export const REPO_ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));
/** The kustomize base and the single-pod overlay, as operators apply them. */
export const BASE_DIR = `${REPO_ROOT}deploy/kubernetes/base`;
export const SINGLE_POD_DIR = `${REPO_ROOT}deploy/kubernetes/overlays/single-pod`;

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are free-form JSON
export type Manifest = Record<string, any> & {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
};

/** What `kubectl kustomize DIR` printed, and the objects in it. */
export interface Rendered {
  readonly yaml: string;
  readonly objects: readonly Manifest[];
}

/** Renders a kustomization with real `kubectl.1.33 kustomize` (its embedded kustomize v5). */
export async function kustomize(dir: string): Promise<Rendered> {
  const result = await runKubectl('1.33', ['kustomize', dir]);
  if (result.code !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${result.stderr}`);
  const docs = parseAllDocuments(result.stdout);
  const objects: Manifest[] = [];
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    if (doc.errors.length > 0) throw new Error(`kustomize output is not YAML: ${doc.errors[0]?.message}`);
    const value = doc.toJS() as Manifest | null;
    if (value) objects.push(value);
  }
  return { yaml: result.stdout, objects };
}

/** The one object of `kind` whose name is `name` (generated names match by their prefix before the hash). */
export function find(objects: readonly Manifest[], kind: string, name: string): Manifest {
  const matches = objects.filter(
    (o) =>
      o.kind === kind &&
      (o.metadata.name === name || new RegExp(`^${name}-[a-z0-9]{10}$`).test(o.metadata.name)),
  );
  if (matches.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${matches.length}`);
  return matches[0]!;
}

/** All objects of a kind. */
export function ofKind(objects: readonly Manifest[], kind: string): Manifest[] {
  return objects.filter((o) => o.kind === kind);
}

/** A Secret's `data` entry, decoded (kustomize's secretGenerator base64-encodes file contents). */
export function secretText(secret: Manifest, key: string): string {
  const value = secret.data?.[key];
  if (typeof value !== 'string') throw new Error(`secret ${secret.metadata.name} has no key ${key}`);
  return Buffer.from(value, 'base64').toString('utf8');
}

/** The pod template's containers of a Deployment. */
export function containers(deployment: Manifest): Manifest[] {
  return deployment.spec.template.spec.containers;
}

/** The volume a container mounts at `mountPath`, with the mount. */
export function volumeAt(deployment: Manifest, container: Manifest, mountPath: string) {
  const mount = (container.volumeMounts ?? []).find((m: { mountPath: string }) => m.mountPath === mountPath);
  if (!mount) return undefined;
  const volume = deployment.spec.template.spec.volumes.find((v: { name: string }) => v.name === mount.name);
  return { mount, volume };
}

/** The mount whose path is the folder (or the file itself) that holds `file`, the longest one first. */
export function mountHolding(container: Manifest, file: string) {
  return (container.volumeMounts ?? [])
    .filter((m: { mountPath: string }) => file === m.mountPath || file.startsWith(`${m.mountPath}/`))
    .sort((a: { mountPath: string }, b: { mountPath: string }) => b.mountPath.length - a.mountPath.length)[0];
}
