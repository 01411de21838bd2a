import { parseRoles, RemotelerError, type Role } from '@remoteler/core';
import type { ServerConfig } from '../config/schema.js';
import { type ConfigContext, listYamlFiles, readConfigFile } from './config-files.js';

/**
 * The roles of `auth.roles_files` and `auth.roles_dir` (or the same fields under a Proxy-only
 * process's configuration), parsed with the core role parser: a bad role is `RMT_ROLE_INVALID`
 * naming the line and field. A name defined twice is refused rather than one silently winning.
 */
export async function loadRoleFiles(
  context: ConfigContext,
  source: { readonly roles_files?: readonly string[]; readonly roles_dir?: string | undefined },
): Promise<Role[]> {
  const files = [...(source.roles_files ?? [])];
  if (source.roles_dir !== undefined)
    files.push(...(await listYamlFiles(context, source.roles_dir, 'roles_dir')));
  const byName = new Map<string, { role: Role; file: string }>();
  for (const file of files) {
    const text = await readConfigFile(context, file, 'roles_files');
    for (const role of parseRoles(text)) {
      const earlier = byName.get(role.metadata.name);
      if (earlier) {
        throw new RemotelerError(
          'RMT_CONFIG_REFERENCE_UNREADABLE',
          `role "${role.metadata.name}" is defined in ${earlier.file} and again in ${file}`,
          { hint: 'Keep one definition of each role.', details: { role: role.metadata.name } },
        );
      }
      byName.set(role.metadata.name, { role, file });
    }
  }
  return [...byName.values()].map((entry) => entry.role);
}

/** Where a process reads its roles: the auth section, or for a Proxy-only process the same fields under proxy. */
export function roleSources(config: ServerConfig): { roles_files: readonly string[]; roles_dir?: string } {
  const auth = config.auth;
  if (auth)
    return {
      roles_files: auth.roles_files,
      ...(auth.roles_dir === undefined ? {} : { roles_dir: auth.roles_dir }),
    };
  const proxy = config.proxy;
  return {
    roles_files: proxy?.roles_files ?? [],
    ...(proxy?.roles_dir === undefined ? {} : { roles_dir: proxy.roles_dir }),
  };
}
