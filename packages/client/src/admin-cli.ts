import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { hashPassword, type LockTarget, RemotelerError, type Resource } from '@remoteler/core';
import { stringify } from 'yaml';
import { AdminClient } from './admin/admin-client.js';
import { type AdminCollection, collectionOf } from './admin/admin-kinds.js';
import { applyResources, parseResourceFile } from './admin/apply-resources.js';
import { formatChanges } from './admin/resource-diff.js';
import { formatTable, renderResourceTable } from './admin/resource-table.js';
import { addUser, createLock } from './commands/admin.js';
import type { ClientContext } from './context.js';

/** What the admin commands need from the CLI around them. */
export interface AdminCliIo {
  readonly stdin: NodeJS.ReadableStream;
  /** Prints `json` with --json (or `-o json`), else `human`. */
  readonly out: (json: unknown, human: string, asJson: boolean) => void;
  /** Reads a secret: stdin with --password-stdin, else a prompt without echo on a terminal. */
  readonly readSecret: (fromStdin: boolean) => Promise<string>;
  /** `8h`/`30m`/`90s` -> seconds, or RMT_CLIENT_USAGE. */
  readonly parseTtl: (text: string) => number;
}

/** The admin lines of `remoteler help`. */
export const ADMIN_USAGE: string = `  admin create -f FILE|-                       create or update roles, users, kube_clusters, locks (YAML)
  admin get roles|users|clusters|locks [NAME] [-o table|yaml|json]
  admin rm role|user|cluster|lock/NAME
  admin users add NAME --roles a,b [--type local|sso [--connector ID]]
  admin users rm NAME
  admin users password-hash [--password-stdin]  a hash for the Auth server's local users
  admin lock --user NAME|--role NAME|--cluster NAME [--ttl 1h] [--message TEXT] [--name NAME]
  admin unlock NAME
  admin tokens add --type proxy|agent [--ttl 30m]   prints the token once and the join command
  admin tokens ls | admin tokens rm NAME
`;

const COMMON = {
  json: { type: 'boolean' },
  proxy: { type: 'string' },
} as const;

function usage(message: string): RemotelerError {
  return new RemotelerError('RMT_CLIENT_USAGE', message, {
    hint: 'Run `remoteler help` for the admin commands and their flags.',
  });
}

function collection(word: string | undefined): AdminCollection {
  const found = word === undefined ? undefined : collectionOf(word);
  if (!found) throw usage(`name a kind: roles, users, clusters or locks${word ? ` (got ${word})` : ''}`);
  return found;
}

async function readSource(file: string, io: AdminCliIo): Promise<string> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of io.stdin) chunks.push(Buffer.from(chunk as Buffer));
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new RemotelerError(
      'RMT_CLIENT_FILE_UNREADABLE',
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      { cause: error },
    );
  }
}

function toYaml(resources: readonly Resource[]): string {
  // Documents that `admin create -f` reads back as they are (revision included: re-applying an
  // edited copy is then conditional on nobody having changed the resource meanwhile).
  return resources.map((r) => stringify(r, { lineWidth: 0 })).join('---\n');
}

/** What a new host needs to join with a token, as `remoteler admin tokens add` prints it. */
export interface JoinInstructions {
  /** A proxy-only `remoteler.yaml` for the reference server (absent for agents: it has none yet). */
  readonly config?: string;
  /** The command that starts it, the token passed in the environment (never in the file). */
  readonly command?: string;
}

/**
 * The reference server's way to join a Proxy: a proxy-only configuration naming the Auth listener,
 * the host CA pin it must chain to, and `join_token: { env: … }`, so the token stays out of the file
 * and out of the process arguments.
 */
export function joinInstructions(options: {
  readonly authServer: string;
  readonly token: string;
  readonly role: 'proxy' | 'agent';
  readonly clusterName: string;
  /** `sha256:<hex>` of the host CA; when unknown the config says where to find it. */
  readonly hostCaPin?: string;
}): JoinInstructions {
  // The token is pasted into a shell command: only a plain base64url token (what Auth makes) is.
  if (options.role !== 'proxy' || !/^[A-Za-z0-9_-]+$/.test(options.token)) return {};
  const config = [
    'version: v1',
    'roles: [proxy]',
    `cluster_name: ${JSON.stringify(options.clusterName)}`,
    'proxy:',
    `  auth_server: https://${options.authServer}`,
    `  auth_ca_pin: ${options.hostCaPin ?? 'sha256:<the host CA fingerprint GET /v1/ping lists>'}`,
    '  join_token: { env: REMOTELER_JOIN_TOKEN }',
    '  clusters: []   # the Kubernetes clusters this Proxy serves',
  ].join('\n');
  return {
    config,
    command: `REMOTELER_JOIN_TOKEN='${options.token}' remoteler-server start --config remoteler.yaml`,
  };
}

function singular(c: AdminCollection): string {
  return { roles: 'role', users: 'user', clusters: 'cluster', locks: 'lock' }[c];
}

/** `remoteler admin …` (argv after `admin`). */
export async function runAdmin(
  argv: readonly string[],
  io: AdminCliIo,
  context: ClientContext,
): Promise<void> {
  const [sub, action] = argv;
  const connect = (proxy: string | undefined) => AdminClient.forProfile(context, proxy);

  if (sub === 'create') {
    const { values, positionals } = parseArgs({
      args: argv.slice(1),
      allowPositionals: true,
      options: { ...COMMON, filename: { type: 'string', short: 'f' } },
    });
    if (values.filename === undefined || positionals.length > 0)
      throw usage('admin create takes -f FILE (or -f - for standard input)');
    const source = values.filename === '-' ? '(stdin)' : values.filename;
    // Parsed and validated whole before anything is sent: a broken file changes nothing.
    const resources = parseResourceFile(await readSource(values.filename, io), source);
    const results = await applyResources(await connect(values.proxy), resources);
    io.out(
      results,
      results.map((r) => `${r.kind}/${r.name} ${r.action}\n${formatChanges(r.changes)}`).join(''),
      values.json === true,
    );
    return;
  }

  if (sub === 'get') {
    const { values, positionals } = parseArgs({
      args: argv.slice(1),
      allowPositionals: true,
      options: { ...COMMON, output: { type: 'string', short: 'o' } },
    });
    if (positionals.length < 1 || positionals.length > 2)
      throw usage('admin get takes a kind (roles, users, clusters, locks) and optionally a name');
    const kind = collection(positionals[0]);
    const format = values.json ? 'json' : (values.output ?? 'table');
    if (format !== 'table' && format !== 'yaml' && format !== 'json')
      throw usage(`-o takes table, yaml or json, got ${format}`);
    const client = await connect(values.proxy);
    const name = positionals[1];
    let resources: Resource[];
    if (name === undefined) resources = await client.list(kind);
    else {
      const one = await client.get(kind, name);
      if (!one)
        throw new RemotelerError(
          'RMT_STORE_NOT_FOUND',
          `there is no ${singular(kind)} ${JSON.stringify(name)}`,
          {
            hint: `Run \`remoteler admin get ${kind}\` to list them.`,
          },
        );
      resources = [one];
    }
    const json = name === undefined ? resources : resources[0];
    if (format === 'json') io.out(json, '', true);
    else if (format === 'yaml') io.out(json, toYaml(resources), false);
    else io.out(json, resources.length === 0 ? `No ${kind}.\n` : renderResourceTable(kind, resources), false);
    return;
  }

  if (sub === 'rm') {
    const { values, positionals } = parseArgs({
      args: argv.slice(1),
      allowPositionals: true,
      options: COMMON,
    });
    const [first, second] = positionals;
    const [kindWord, name] =
      positionals.length === 1 && first?.includes('/')
        ? [first.slice(0, first.indexOf('/')), first.slice(first.indexOf('/') + 1)]
        : positionals.length === 2
          ? [first, second]
          : [undefined, undefined];
    if (!kindWord || !name) throw usage('admin rm takes KIND/NAME, e.g. role/developer');
    const kind = collection(kindWord);
    await (await connect(values.proxy)).remove(kind, name);
    io.out({ removed: { kind, name } }, `${singular(kind)}/${name} removed\n`, values.json === true);
    return;
  }

  if (sub === 'users' && action === 'add') {
    const { values, positionals } = parseArgs({
      args: argv.slice(2),
      allowPositionals: true,
      options: {
        ...COMMON,
        roles: { type: 'string' },
        type: { type: 'string' },
        connector: { type: 'string' },
      },
    });
    if (positionals.length !== 1) throw usage('admin users add takes one user name');
    if (!values.roles) throw usage('admin users add needs --roles a,b');
    if (values.type !== undefined && values.type !== 'local' && values.type !== 'sso')
      throw usage('--type takes local or sso');
    if (values.connector !== undefined && values.type !== 'sso')
      throw usage('--connector applies to --type sso users only');
    const name = positionals[0] as string;
    const roles = values.roles
      .split(',')
      .map((r) => r.trim())
      .filter((r) => r !== '');
    const added = await addUser(await connect(values.proxy), {
      name,
      roles,
      ...(values.type === undefined ? {} : { type: values.type }),
      ...(values.connector === undefined ? {} : { connectorId: values.connector }),
    });
    const local = added.user.spec.type === 'local';
    const passwordNote = local
      ? `The admin API stores no passwords, so ${name} cannot sign in with one yet. A local password is
checked by the Auth server's local-user connector: the operator adds ${name} there with a password
hash (remoteler-server: an entry { username: ${name}, password_hash: <hash>, roles: [] } under the
local connector's users or users_file; the roles above come from this user resource). To make the
hash, ${name} (or you) runs
  remoteler admin users password-hash
which asks for the password without echo and prints only the hash to hand over.
`
      : '';
    const missing =
      added.missingRoles.length === 0
        ? ''
        : `WARNING: no role named ${added.missingRoles.join(', ')} exists: it grants nothing until created.\n`;
    io.out(
      {
        user: added.user,
        missingRoles: added.missingRoles,
        ...(local ? { passwordSet: false, passwordHashCommand: 'remoteler admin users password-hash' } : {}),
      },
      `user/${name} created (${added.user.spec.type}, roles: ${roles.join(', ') || '-'})\n${missing}${passwordNote ? `\n${passwordNote}` : ''}`,
      values.json === true,
    );
    return;
  }

  if (sub === 'users' && action === 'rm') {
    const { values, positionals } = parseArgs({
      args: argv.slice(2),
      allowPositionals: true,
      options: COMMON,
    });
    if (positionals.length !== 1) throw usage('admin users rm takes one user name');
    const name = positionals[0] as string;
    await (await connect(values.proxy)).remove('users', name);
    io.out({ removed: { kind: 'users', name } }, `user/${name} removed\n`, values.json === true);
    return;
  }

  if (sub === 'users' && action === 'password-hash') {
    const { values } = parseArgs({
      args: argv.slice(2),
      options: { json: { type: 'boolean' }, 'password-stdin': { type: 'boolean' } },
    });
    const password = await io.readSecret(values['password-stdin'] === true);
    if (password === '') throw usage('the password is empty');
    // Made here, at the production scrypt cost: the password itself never leaves this process.
    const hash = await hashPassword(password);
    io.out({ passwordHash: hash }, `${hash}\n`, values.json === true);
    return;
  }

  if (sub === 'lock') {
    const { values, positionals } = parseArgs({
      args: argv.slice(1),
      allowPositionals: true,
      options: {
        ...COMMON,
        user: { type: 'string' },
        role: { type: 'string' },
        cluster: { type: 'string' },
        ttl: { type: 'string' },
        message: { type: 'string' },
        name: { type: 'string' },
      },
    });
    const targets = (['user', 'role', 'cluster'] as const).filter((k) => values[k] !== undefined);
    if (targets.length !== 1 || positionals.length > 0)
      throw usage('admin lock takes exactly one of --user NAME, --role NAME or --cluster NAME');
    const key = targets[0] as 'user' | 'role' | 'cluster';
    const target = { [key]: values[key] as string } as LockTarget;
    const lock = await createLock(await connect(values.proxy), {
      target,
      ...(values.ttl === undefined ? {} : { ttlSeconds: io.parseTtl(values.ttl) }),
      ...(values.message === undefined ? {} : { message: values.message }),
      ...(values.name === undefined ? {} : { name: values.name }),
      now: context.now,
    });
    io.out(
      lock,
      `lock/${lock.metadata.name} created: ${key} ${values[key]} is locked ${lock.spec.expires ? `until ${lock.spec.expires}` : 'until unlocked'}.\nLift it with \`remoteler admin unlock ${lock.metadata.name}\`.\n`,
      values.json === true,
    );
    return;
  }

  if (sub === 'unlock') {
    const { values, positionals } = parseArgs({
      args: argv.slice(1),
      allowPositionals: true,
      options: COMMON,
    });
    if (positionals.length !== 1)
      throw usage('admin unlock takes one lock name (see `remoteler admin get locks`)');
    const name = positionals[0] as string;
    await (await connect(values.proxy)).remove('locks', name);
    io.out({ removed: { kind: 'locks', name } }, `lock/${name} removed\n`, values.json === true);
    return;
  }

  if (sub === 'tokens' && action === 'add') {
    const { values, positionals } = parseArgs({
      args: argv.slice(2),
      allowPositionals: true,
      options: { ...COMMON, type: { type: 'string' }, ttl: { type: 'string' } },
    });
    if (positionals.length > 0 || (values.type !== 'proxy' && values.type !== 'agent'))
      throw usage('admin tokens add takes --type proxy (or agent) and optionally --ttl 30m');
    const client = await connect(values.proxy);
    const created = await client.createJoinToken(
      values.type,
      values.ttl === undefined ? undefined : io.parseTtl(values.ttl),
    );
    const ping = await client.ping();
    const join = joinInstructions({
      authServer: client.proxy,
      token: created.token,
      role: created.role,
      clusterName: ping.clusterName,
      ...(ping.caFingerprints?.host?.[0] === undefined ? {} : { hostCaPin: ping.caFingerprints.host[0] }),
    });
    const indent = (text: string) =>
      text
        .split('\n')
        .map((line) => `  ${line}`)
        .join('\n');
    const server =
      join.config === undefined
        ? ''
        : `To join a Proxy run by remoteler-server, give it this remoteler.yaml (auth_server is the Auth
listener; change it when this address is a Proxy's web port) and start it with the token:
${indent(join.config)}

${indent(join.command as string)}

`;
    io.out(
      { ...created, authServer: client.proxy, ...join },
      `The ${created.role} join token (shown only now; it works once, until ${created.expiresAt}):
  ${created.token}

${server}Any other host makes its own key and exchanges the token once: POST https://${client.proxy}/v1/join
with { token, role: "${created.role}", hostId, publicKey } answers its host certificate.
Revoke the token unused with \`remoteler admin tokens rm ${created.name}\`.
`,
      values.json === true,
    );
    return;
  }

  if (sub === 'tokens' && action === 'ls') {
    const { values } = parseArgs({ args: argv.slice(2), options: COMMON });
    const tokens = await (await connect(values.proxy)).listJoinTokens();
    io.out(
      tokens,
      tokens.length === 0
        ? 'No unused join tokens.\n'
        : formatTable(
            ['NAME', 'TYPE', 'EXPIRES'],
            tokens.map((t) => [t.name, t.role, t.expiresAt]),
          ),
      values.json === true,
    );
    return;
  }

  if (sub === 'tokens' && action === 'rm') {
    const { values, positionals } = parseArgs({
      args: argv.slice(2),
      allowPositionals: true,
      options: COMMON,
    });
    if (positionals.length !== 1) throw usage('admin tokens rm takes one token name (jt-…)');
    const name = positionals[0] as string;
    await (await connect(values.proxy)).revokeJoinToken(name);
    io.out({ removed: { kind: 'tokens', name } }, `token ${name} revoked\n`, values.json === true);
    return;
  }

  throw usage(`unknown admin command: ${argv.join(' ') || '(none)'}`);
}
