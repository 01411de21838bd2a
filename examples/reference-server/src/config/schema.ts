import { parseGoDuration } from '@remoteler/core';
import { z } from 'zod';

// The schema of `remoteler.yaml`. Keys are snake_case (the file is written by operators, next to
// Kubernetes manifests); the parsed value keeps the same keys, and `src/server` maps them onto the
// packages' camelCase options. Every field has a `description`: it ends up in the published JSON
// Schema, which editors show as hover help.

const HOST_PORT = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\*|):(\d{1,5})$/;

/** `host:port` to listen on; `0.0.0.0:3080`, `127.0.0.1:0` (0 = a free port), `[::]:3080`. */
export const listenAddressSchema = z
  .string({ error: 'host:port, e.g. 0.0.0.0:3080' })
  .refine((value) => {
    const match = HOST_PORT.exec(value);
    return match !== null && Number(match[1]) <= 65_535;
  }, 'host:port, e.g. 0.0.0.0:3080 (port 0-65535)')
  .describe('Listen address as host:port, e.g. 0.0.0.0:3080; port 0 picks a free port.');

/** `host:port` that others dial (no port 0). */
const publicAddressSchema = z
  .string({ error: 'host:port, e.g. proxy.example.com:3080' })
  .refine((value) => {
    const match = HOST_PORT.exec(value);
    return match !== null && Number(match[1]) >= 1 && Number(match[1]) <= 65_535;
  }, 'host:port, e.g. proxy.example.com:3080')
  .describe('Address as host:port that clients dial, e.g. proxy.example.com:3080.');

/** A Go-style duration (`90s`, `15m`, `8h`, `1h30m`), as Kubernetes and Teleport configs write them. */
export const durationSchema = z
  .string({ error: 'a duration such as 30s, 15m, 8h or 1h30m' })
  .refine((value) => (parseGoDuration(value) ?? 0) > 0, 'a duration such as 30s, 15m, 8h or 1h30m')
  .describe('A duration such as 30s, 15m, 8h or 1h30m.');

const pathSchema = z
  .string()
  .min(1, 'a file path')
  .describe('A file path; relative paths are resolved against the configuration file.');

/**
 * Where a secret comes from: a file (first line, trailing newline dropped) or an environment
 * variable. Never inline: a configuration file is copied, diffed and pasted into tickets.
 */
export const secretRefSchema = z
  .strictObject({
    file: pathSchema.optional().describe('Read the secret from this file (trailing newline dropped).'),
    env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
      .optional()
      .describe('Read the secret from this environment variable.'),
  })
  .refine((ref) => (ref.file === undefined) !== (ref.env === undefined), 'exactly one of file or env')
  .describe('A secret, from { file: PATH } or { env: NAME }; never written inline.');

const nameSchema = z
  .string()
  .regex(
    /^[a-z0-9](?:[a-z0-9._-]{0,251}[a-z0-9])?$/,
    'lower-case letters, digits, ".", "_" and "-" (e.g. prod-eu)',
  );

const claimMappingSchema = z.strictObject({
  claim: z.string().min(1).describe('Claim name, e.g. groups.'),
  value: z.string().min(1).describe("Value pattern: exact, '*' glob or ^regex$."),
  roles: z.array(z.string().min(1)).min(1).describe('Roles granted when the claim matches.'),
});

const localUserSchema = z.strictObject({
  username: z.string().min(1),
  password_hash: z
    .string()
    .regex(/^\$scrypt\$/, 'a hash made by `remoteler-server hash-password` ($scrypt$...)')
    .describe('scrypt hash from `remoteler-server hash-password`; never a clear-text password.'),
  roles: z.array(z.string().min(1)).describe('Roles granted to the user.'),
  traits: z.record(z.string(), z.array(z.string())).optional().describe('Traits for role templates.'),
  disabled: z.boolean().optional(),
});

/** The local users' list, inline or in `users_file` (a YAML list of the same entries). */
export const localUsersSchema = z.array(localUserSchema);

const localConnectorSchema = z
  .strictObject({
    type: z.literal('local'),
    id: z.string().min(1).default('local').describe('Connector id. Default local.'),
    display_name: z.string().min(1).optional(),
    users: localUsersSchema.optional().describe('Users with password hashes.'),
    users_file: pathSchema.optional().describe('A YAML file holding a list of users (same shape as users).'),
  })
  .refine((c) => c.users !== undefined || c.users_file !== undefined, 'users or users_file');

const oidcConnectorSchema = z.strictObject({
  type: z.literal('oidc'),
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, . _ - (at most 64)'),
  display_name: z.string().min(1).optional(),
  issuer: z
    .string()
    .refine((v) => URL.canParse(v) && new URL(v).protocol === 'https:', 'an https URL')
    .describe('Issuer URL exactly as the provider publishes it.'),
  client_id: z.string().min(1),
  client_secret: secretRefSchema.optional().describe('Omit for a public client (PKCE only).'),
  ca_file: pathSchema
    .optional()
    .describe("PEM CA bundle for the provider's TLS instead of the system roots."),
  scopes: z.array(z.string().min(1)).optional().describe('Default openid email profile.'),
  username_claim: z.string().min(1).optional().describe('Default email.'),
  claims_to_roles: z.array(claimMappingSchema).default([]).describe('Claim values mapped to roles.'),
});

const connectorSchema = z.discriminatedUnion('type', [localConnectorSchema, oidcConnectorSchema]);

const oneTimeJoinTokenSchema = z.strictObject({
  role: z.literal('proxy').describe('What may join with the token (proxy).'),
  ttl: durationSchema.default('1h').describe('Lifetime of the token. Default 1h (the Auth maximum).'),
  output_file: pathSchema.describe(
    'Auth makes a one-time join token at every start and writes it here (0600) for the Proxy to read.',
  ),
});

const provisionedJoinTokenSchema = z.strictObject({
  role: z.literal('proxy').describe('What may join with the token (proxy).'),
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'letters, digits, ".", "_" or "-"')
    .describe('Non-secret name of the token, in audit events and logs.'),
  token: secretRefSchema.describe(
    'A token the operator provisions (e.g. a Kubernetes Secret mounted in the Auth and Proxy pods): reusable until removed, so a Proxy that lost its state joins again. At least 32 characters; rotate it like a password.',
  ),
});

const joinTokenSchema = z
  .union([oneTimeJoinTokenSchema, provisionedJoinTokenSchema])
  .describe('Either output_file (a one-time token made at start) or name + token (provisioned, reusable).');

const authSchema = z.strictObject({
  listen: listenAddressSchema
    .default('0.0.0.0:3025')
    .describe('Auth API listener (mutual TLS for Proxies). Default 0.0.0.0:3025.'),
  public_url: z
    .string()
    .refine((v) => URL.canParse(v) && new URL(v).protocol === 'https:', 'an https URL')
    .optional()
    .describe(
      'Where browsers reach the web API (the Proxy web address); SSO callbacks go to <public_url>/v1/sso/callback. Default https://<proxy_public_addr>.',
    ),
  server_names: z
    .array(z.string().min(1))
    .default([])
    .describe(
      "Extra DNS names and IPs of the Auth listener's certificate (e.g. auth.remoteler.svc), besides localhost, 127.0.0.1 and ::1.",
    ),
  proxy_public_addr: publicAddressSchema
    .optional()
    .describe('The Proxy address announced to clients (Kubernetes and web API).'),
  ca_dir: pathSchema
    .optional()
    .describe(
      'CA key material (0700 directory, 0600 files), generated on first start. Default <state_dir>/ca.',
    ),
  session_ttl: durationSchema
    .default('12h')
    .describe('Certificate lifetime for roles without max_session_ttl. Default 12h.'),
  host_cert_ttl: durationSchema
    .default('24h')
    .describe(
      'Lifetime of host certificates (Proxy joins and renewals, the web certificate); renewed at two thirds of it. Default 24h.',
    ),
  connectors: z
    .array(connectorSchema)
    .default([])
    .describe('Identity connectors: local users and OpenID Connect providers.'),
  roles_files: z.array(pathSchema).default([]).describe('YAML files of roles (kind: role).'),
  roles_dir: pathSchema.optional().describe('A directory whose *.yaml / *.yml files hold roles.'),
  admin_roles: z
    .array(z.string().min(1))
    .default(['admin'])
    .describe('Roles allowed to use the admin API. Default [admin].'),
  kube_clusters: z
    .array(
      z.strictObject({
        name: nameSchema,
        labels: z.record(z.string(), z.string()).default({}),
      }),
    )
    .default([])
    .describe(
      'Clusters served by Proxies in other processes (name and labels only; credentials stay with the Proxy). With memory storage Auth learns them from here; clusters of a Proxy in the same process are added on their own.',
    ),
  tokens: z
    .array(joinTokenSchema)
    .default([])
    .describe('Join tokens made at start for Proxies in other processes.'),
});

const clusterCaFile = pathSchema
  .optional()
  .describe("PEM CA bundle of the API server's certificate. Default: system roots.");

const clusterSchema = z
  .strictObject({
    name: nameSchema.describe('Cluster name users see (/k8s/<name>, kubeconfig context suffix).'),
    labels: z
      .record(z.string(), z.string())
      .default({})
      .describe('Labels matched by role kubernetes_labels.'),
    kubeconfig: z
      .strictObject({
        path: pathSchema,
        context: z.string().min(1).optional().describe("Default: the file's current-context."),
      })
      .optional(),
    in_cluster: z
      .strictObject({
        server: z
          .string()
          .optional()
          .describe('Default https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT.'),
        directory: pathSchema
          .optional()
          .describe(
            'Service-account mount holding token and ca.crt. Default /var/run/secrets/kubernetes.io/serviceaccount.',
          ),
        token_file: pathSchema.optional().describe('Default <directory>/token.'),
        ca_file: pathSchema.optional().describe('Default <directory>/ca.crt.'),
      })
      .optional()
      .describe('The pod service account (the Proxy runs in this cluster).'),
    token: z
      .strictObject({
        server: z.string().refine((v) => URL.canParse(v) && new URL(v).protocol === 'https:', 'an https URL'),
        token: secretRefSchema,
        ca_file: clusterCaFile,
        tls_server_name: z.string().min(1).optional(),
      })
      .optional(),
    client_certificate: z
      .strictObject({
        server: z.string().refine((v) => URL.canParse(v) && new URL(v).protocol === 'https:', 'an https URL'),
        cert_file: pathSchema,
        key_file: pathSchema,
        ca_file: clusterCaFile,
        tls_server_name: z.string().min(1).optional(),
      })
      .optional(),
  })
  .refine(
    (c) =>
      [c.kubeconfig, c.in_cluster, c.token, c.client_certificate].filter((u) => u !== undefined).length === 1,
    'exactly one of kubeconfig, in_cluster, token, client_certificate',
  );

const limitsSchema = z.strictObject({
  max_request_body_bytes: z.number().int().positive().optional(),
  max_concurrent_per_user: z.number().int().positive().optional(),
  requests_per_second: z.number().positive().optional(),
  burst: z.number().int().positive().optional(),
  upgrade_idle_timeout: durationSchema.optional(),
});

const proxySchema = z.strictObject({
  web_listen: listenAddressSchema
    .default('0.0.0.0:3080')
    .describe('Web API and Kubernetes listener. Default 0.0.0.0:3080.'),
  public_addr: publicAddressSchema
    .optional()
    .describe('The address clients dial; names the generated certificate. Default localhost:<port>.'),
  auth_server: z
    .string()
    .refine(
      (v) => URL.canParse(v) && new URL(v).protocol === 'https:',
      'an https URL, e.g. https://auth.remoteler.svc:3025',
    )
    .optional()
    .describe('The Auth listener, for a Proxy-only process.'),
  auth_ca_pin: z
    .string()
    .regex(/^sha256:[0-9a-f]{64}$/, 'sha256:<64 lower-case hex digits>')
    .optional()
    .describe(
      'Fingerprint of the host CA (printed by the Auth server at start): a Proxy-only process trusts the Auth listener only if its chain holds this CA.',
    ),
  auth_ca_file: pathSchema.optional().describe('PEM of the host CA, instead of auth_ca_pin.'),
  roles_files: z
    .array(pathSchema)
    .default([])
    .describe('Roles (the same files as the Auth server reads) for a Proxy-only process.'),
  roles_dir: pathSchema.optional().describe('A directory of role files, for a Proxy-only process.'),
  join_token: secretRefSchema
    .optional()
    .describe(
      'One-time join token for a Proxy-only process (used once; the host certificate is then renewed).',
    ),
  tls: z
    .strictObject({ cert_file: pathSchema, key_file: pathSchema })
    .optional()
    .describe('Your own web certificate (e.g. a public CA). Default: a host certificate from the host CA.'),
  clusters: z.array(clusterSchema).default([]).describe('Kubernetes clusters the Proxy forwards to.'),
  limits: limitsSchema.optional().describe('Per-user request limits.'),
  check_impersonation: z
    .boolean()
    .default(true)
    .describe('Check at start that the Proxy may impersonate on each cluster. Default true.'),
});

/** The whole `remoteler.yaml` (version v1). */
export const serverConfigSchema = z
  .strictObject({
    version: z.literal('v1').describe('Configuration version: v1.'),
    roles: z
      .array(z.enum(['auth', 'proxy']))
      .min(1, 'at least one of auth, proxy')
      .default(['auth', 'proxy'])
      .describe('What this process runs: auth, proxy or both. Default both.'),
    cluster_name: nameSchema.describe('The Remoteler cluster name (in certificates and ping).'),
    state_dir: pathSchema
      .default('/var/lib/remoteler')
      .describe('Where the server keeps state (CA, host certificate). Default /var/lib/remoteler.'),
    log: z
      .strictObject({
        level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
        format: z.enum(['json', 'pretty']).default('json'),
      })
      .default({ level: 'info', format: 'json' }),
    diag: z
      .strictObject({
        listen: listenAddressSchema.describe(
          'Plain-HTTP /healthz, /readyz and /metrics; keep it on loopback or a private network.',
        ),
      })
      .optional(),
    auth: authSchema.optional(),
    proxy: proxySchema.optional(),
  })
  .superRefine((config, context) => {
    const runs = new Set(config.roles);
    if (new Set(config.roles).size !== config.roles.length)
      context.addIssue({ code: 'custom', path: ['roles'], message: 'each role at most once' });
    if (runs.has('auth') && config.auth === undefined)
      context.addIssue({ code: 'custom', path: ['auth'], message: 'an auth section (roles include auth)' });
    if (runs.has('proxy') && config.proxy === undefined)
      context.addIssue({ code: 'custom', path: ['proxy'], message: 'a proxy section (roles include proxy)' });
    if (runs.has('proxy') && !runs.has('auth') && config.proxy && config.proxy.auth_server === undefined)
      context.addIssue({
        code: 'custom',
        path: ['proxy', 'auth_server'],
        message: 'the Auth URL (a Proxy-only process joins a remote Auth)',
      });
    if (
      runs.has('proxy') &&
      !runs.has('auth') &&
      config.proxy &&
      config.proxy.auth_ca_pin === undefined &&
      config.proxy.auth_ca_file === undefined
    )
      context.addIssue({
        code: 'custom',
        path: ['proxy', 'auth_ca_pin'],
        message: 'the host CA pin or auth_ca_file (a Proxy-only process trusts Auth only through it)',
      });
    const seen = new Set<string>();
    config.proxy?.clusters.forEach((cluster, index) => {
      if (seen.has(cluster.name))
        context.addIssue({
          code: 'custom',
          path: ['proxy', 'clusters', index, 'name'],
          message: 'a name not used by another cluster',
        });
      seen.add(cluster.name);
    });
  });

/** `remoteler.yaml` as written (defaults not applied). */
export type ServerConfigInput = z.input<typeof serverConfigSchema>;
/** `remoteler.yaml` validated, with defaults applied. */
export type ServerConfig = z.output<typeof serverConfigSchema>;
/** One entry of `proxy.clusters`. */
export type ClusterConfig = ServerConfig extends { proxy?: infer P }
  ? NonNullable<P> extends { clusters: Array<infer C> }
    ? C
    : never
  : never;
/** A `{ file }` or `{ env }` secret reference. */
export type SecretRef = z.output<typeof secretRefSchema>;
