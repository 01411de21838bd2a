import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeApiSimulator } from '@remoteler/testkit';
import { find, type Manifest } from './manifests.js';
import { writeProjectedVolume } from './projected-volume.js';

/** What the kubelet would have mounted, laid out under a temporary root. */
export interface PodFilesystem {
  /** The temporary folder that stands for the container's `/`. */
  readonly root: string;
  /** The service-account token written into the projected volume, if any. */
  readonly token: string | undefined;
}

/**
 * Lays out every volume a container mounts under `root`, the way the kubelet would: Secrets and
 * ConfigMaps from the rendered objects and projected service-account volumes (token from the
 * simulator's TokenRequest API, its CA as `kube-root-ca.crt`, the namespace) with the kubelet's
 * symlinked layout and modes, and emptyDirs as mode-0777 folders.
 */
export async function layOutPodVolumes(
  root: string,
  objects: readonly Manifest[],
  deployment: Manifest,
  container: Manifest,
  sim: KubeApiSimulator,
): Promise<PodFilesystem> {
  const pod = deployment.spec.template.spec;
  let token: string | undefined;
  for (const mount of container.volumeMounts) {
    const volume = pod.volumes.find((v: Manifest) => v.name === mount.name);
    const dir = join(root, mount.mountPath);
    if (volume.emptyDir) {
      await mkdir(dir, { recursive: true });
      await chmod(dir, 0o777); // kubernetes pkg/volume/emptydir: the folder is created 0777
    } else if (volume.secret) {
      const secret = find(objects, 'Secret', volume.secret.secretName);
      const files = Object.fromEntries(
        Object.entries(secret.data as Record<string, string>).map(([k, v]) => [
          k,
          Buffer.from(v, 'base64').toString('utf8'),
        ]),
      );
      await writeProjectedVolume(dir, files, volume.secret.defaultMode ?? 0o644);
    } else if (volume.configMap) {
      const configMap = find(objects, 'ConfigMap', volume.configMap.name);
      await writeProjectedVolume(dir, configMap.data, volume.configMap.defaultMode ?? 0o644);
    } else if (volume.projected) {
      const projected = projectedFiles(volume, deployment, sim);
      token ??= projected.token;
      await writeProjectedVolume(dir, projected.files, volume.projected.defaultMode ?? 0o644);
    } else throw new Error(`unexpected volume ${JSON.stringify(volume)}`);
  }
  return { root, token };
}

/**
 * The files of a projected volume as the kubelet fills it: a service-account token from the
 * TokenRequest API (the pod's ServiceAccount, the requested lifetime), the cluster CA for
 * `kube-root-ca.crt`, and the namespace from the downward API.
 */
export function projectedFiles(
  volume: Manifest,
  deployment: Manifest,
  sim: KubeApiSimulator,
): { files: Record<string, string>; token: string | undefined } {
  const namespace = deployment.metadata.namespace!;
  const files: Record<string, string> = {};
  let token: string | undefined;
  for (const source of volume.projected.sources) {
    if (source.serviceAccountToken) {
      token = sim.createServiceAccountToken(
        namespace,
        deployment.spec.template.spec.serviceAccountName,
        source.serviceAccountToken.expirationSeconds,
      ).token;
      files[source.serviceAccountToken.path] = token;
    } else if (source.configMap) {
      // Every namespace's kube-root-ca.crt holds the CA of the API server's serving certificate.
      if (source.configMap.name !== 'kube-root-ca.crt')
        throw new Error(`unexpected projected ConfigMap ${source.configMap.name}`);
      for (const item of source.configMap.items) files[item.path] = sim.caPem;
    } else if (source.downwardAPI) {
      for (const item of source.downwardAPI.items) {
        if (item.fieldRef.fieldPath !== 'metadata.namespace')
          throw new Error(`unexpected downward API field ${item.fieldRef.fieldPath}`);
        files[item.path] = namespace;
      }
    } else throw new Error(`unexpected projected source ${JSON.stringify(source)}`);
  }
  return { files, token };
}

/**
 * A parsed remoteler.yaml as it would run on this machine: absolute paths moved under `root` (the
 * container's `/`), every `*listen` address on a random loopback port.
 */
export function reRooted(value: unknown, root: string, key = ''): unknown {
  if (typeof value === 'string') {
    if (/(^|_)listen$/.test(key)) return '127.0.0.1:0';
    return value.startsWith('/') ? join(root, value) : value;
  }
  if (Array.isArray(value)) return value.map((v) => reRooted(v, root));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reRooted(v, root, k)]));
  return value;
}
