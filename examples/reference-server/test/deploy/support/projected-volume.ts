import { chmod, mkdir, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Writes files the way the kubelet's atomic writer lays out a projected (or Secret/ConfigMap)
 * volume: the data in a timestamped hidden folder, `..data` pointing at it, and each visible name a
 * symlink through `..data` (kubernetes pkg/volume/util/atomic_writer.go). A reader that resolves
 * only regular files, or caches a file descriptor across rotations, fails here as it would in a pod.
 */
export async function writeProjectedVolume(
  dir: string,
  files: Readonly<Record<string, string>>,
  mode: number,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const stamp = `..${new Date().toISOString().replace(/[-:]/g, '_').replace('T', '_').replace('Z', '')}`;
  const data = join(dir, stamp);
  await mkdir(data);
  for (const [name, content] of Object.entries(files)) {
    await writeFile(join(data, name), content);
    await chmod(join(data, name), mode);
  }
  // ..data is switched with a rename of a fresh link, so readers never see a half-written volume.
  await symlink(stamp, join(dir, '..data_tmp'));
  await rename(join(dir, '..data_tmp'), join(dir, '..data'));
  for (const name of Object.keys(files)) await symlink(join('..data', name), join(dir, name));
}
