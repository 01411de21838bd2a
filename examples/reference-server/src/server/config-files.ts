import { readdir, readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { RemotelerError } from '@remoteler/core';
import type { SecretRef } from '../config/schema.js';

/** Where relative paths of a configuration resolve, and the environment secrets come from. */
export interface ConfigContext {
  /** Directory of the configuration file; relative paths in it resolve here. */
  readonly baseDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** `path` resolved against the configuration file's directory. */
export function resolvePath(context: ConfigContext, path: string): string {
  return isAbsolute(path) ? path : resolve(context.baseDir, path);
}

/**
 * Reads a file the configuration names (a CA bundle, a users or roles file). Failing is
 * `RMT_CONFIG_REFERENCE_UNREADABLE`, naming the field and the path (paths are not secrets).
 */
export async function readConfigFile(context: ConfigContext, path: string, field: string): Promise<string> {
  const full = resolvePath(context, path);
  try {
    return await readFile(full, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'I/O error';
    throw new RemotelerError('RMT_CONFIG_REFERENCE_UNREADABLE', `${field}: cannot read ${full} (${code})`, {
      details: { field, path: full, errno: code },
      cause: error,
    });
  }
}

/** The `*.yaml` / `*.yml` files of a directory, sorted (so role order never depends on the file system). */
export async function listYamlFiles(context: ConfigContext, dir: string, field: string): Promise<string[]> {
  const full = resolvePath(context, dir);
  try {
    const names = await readdir(full);
    return names
      .filter((n) => /\.ya?ml$/.test(n))
      .sort()
      .map((n) => join(full, n));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'I/O error';
    throw new RemotelerError('RMT_CONFIG_REFERENCE_UNREADABLE', `${field}: cannot list ${full} (${code})`, {
      details: { field, path: full, errno: code },
      cause: error,
    });
  }
}

/**
 * Reads a secret from its file (trailing newline dropped, as `kubectl create secret --from-file`
 * and `echo` leave one) or its environment variable. The error names the field and where the secret
 * should be, never its value; an empty secret counts as missing.
 */
export async function readSecret(context: ConfigContext, ref: SecretRef, field: string): Promise<string> {
  let value: string | undefined;
  if (ref.env !== undefined) {
    value = context.env[ref.env];
    if (value === undefined || value === '')
      throw new RemotelerError(
        'RMT_CONFIG_REFERENCE_UNREADABLE',
        `${field}: the environment variable ${ref.env} is not set`,
        {
          details: { field, env: ref.env },
        },
      );
  } else {
    value = (await readConfigFile(context, ref.file as string, field)).replace(/\r?\n$/, '');
    if (value === '')
      throw new RemotelerError(
        'RMT_CONFIG_REFERENCE_UNREADABLE',
        `${field}: ${resolvePath(context, ref.file as string)} is empty`,
        {
          details: { field, path: resolvePath(context, ref.file as string) },
        },
      );
  }
  return value;
}
