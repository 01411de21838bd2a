import type { ConnectorRegistration } from '@remoteler/auth';
import { LocalUserConnector, type LocalUserEntry, RemotelerError } from '@remoteler/core';
import { OidcConnector } from '@remoteler/sso-oidc';
import { parse } from 'yaml';
import { localUsersSchema, type ServerConfig } from '../config/schema.js';
import { type ConfigContext, readConfigFile, readSecret } from './config-files.js';

type ConnectorConfig = NonNullable<ServerConfig['auth']>['connectors'][number];

async function localUsers(
  context: ConfigContext,
  connector: Extract<ConnectorConfig, { type: 'local' }>,
  field: string,
): Promise<LocalUserEntry[]> {
  const entries = [...(connector.users ?? [])];
  if (connector.users_file !== undefined) {
    const text = await readConfigFile(context, connector.users_file, `${field}.users_file`);
    const parsed = localUsersSchema.safeParse(parse(text) ?? []);
    if (!parsed.success) {
      throw new RemotelerError(
        'RMT_CONFIG_REFERENCE_UNREADABLE',
        `${field}.users_file: ${connector.users_file} is not a list of users (username, password_hash, roles)`,
        { details: { field: `${field}.users_file` } },
      );
    }
    entries.push(...parsed.data);
  }
  return entries.map((u) => ({
    username: u.username,
    passwordHash: u.password_hash,
    roles: u.roles,
    ...(u.traits === undefined ? {} : { traits: u.traits }),
    ...(u.disabled === undefined ? {} : { disabled: u.disabled }),
  }));
}

/** A built connector and what must be closed with the server. */
export interface BuiltConnectors {
  readonly registrations: ConnectorRegistration[];
  close(): Promise<void>;
}

/** Builds the configured identity connectors (local users, OpenID Connect). */
export async function buildConnectors(
  context: ConfigContext,
  config: ServerConfig,
): Promise<BuiltConnectors> {
  const registrations: ConnectorRegistration[] = [];
  const closers: Array<() => Promise<void>> = [];
  for (const [index, connector] of (config.auth?.connectors ?? []).entries()) {
    const field = `auth.connectors[${index}]`;
    if (connector.type === 'local') {
      const local = new LocalUserConnector({
        id: connector.id,
        ...(connector.display_name === undefined ? {} : { displayName: connector.display_name }),
        users: await localUsers(context, connector, field),
      });
      registrations.push({ connector: local });
      closers.push(() => local.close());
    } else {
      const oidc = new OidcConnector({
        id: connector.id,
        issuer: connector.issuer,
        clientId: connector.client_id,
        ...(connector.display_name === undefined ? {} : { displayName: connector.display_name }),
        ...(connector.client_secret === undefined
          ? {}
          : { clientSecret: await readSecret(context, connector.client_secret, `${field}.client_secret`) }),
        ...(connector.ca_file === undefined
          ? {}
          : { ca: await readConfigFile(context, connector.ca_file, `${field}.ca_file`) }),
        ...(connector.scopes === undefined ? {} : { scopes: connector.scopes }),
        ...(connector.username_claim === undefined ? {} : { usernameClaim: connector.username_claim }),
      });
      registrations.push({ connector: oidc, claimsToRoles: connector.claims_to_roles });
      closers.push(() => oidc.close());
    }
  }
  return {
    registrations,
    async close() {
      await Promise.allSettled(closers.map((close) => close()));
    },
  };
}
