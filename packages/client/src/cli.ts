import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { RemotelerError } from '@remoteler/core';
import { ADMIN_USAGE, runAdmin } from './admin-cli.js';
import { kubeCredentials } from './commands/credentials.js';
import { kubeList, kubeLogin } from './commands/kube.js';
import { login } from './commands/login.js';
import { logout } from './commands/logout.js';
import { completionScript } from './completion.js';
import { type ClientContext, createClientContext } from './context.js';
import type { ClientEnv } from './home.js';
import type { Profile, ProxyTrust } from './profile.js';

/** The process surroundings of one CLI run; the bin passes the real ones, tests their own. */
export interface CliIo {
  readonly env: ClientEnv;
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** The command kubeconfig exec entries run (default `remoteler`). */
  readonly execCommand?: string;
  readonly execArgsPrefix?: readonly string[];
}

/**
 * Exit codes (documented in the README): 0 success, 2 usage or input, 3 sign-in needed, 4 forbidden,
 * 5 not found, 6 conflict, 7 unavailable (network, locks), 1 anything else.
 */
export const EXIT_CODES = Object.freeze({
  ok: 0,
  internal: 1,
  input: 2,
  unauthenticated: 3,
  forbidden: 4,
  'not-found': 5,
  conflict: 6,
  'rate-limited': 7,
  unavailable: 7,
});

const USAGE: string = `Usage: remoteler <command> [flags]

  login --proxy HOST:PORT [--user NAME [--password-stdin]] [--ca-file PEM | --ca-pin sha256:… | --insecure]
        [--auth CONNECTOR] [--browser none] [--ttl 8h] [--embed] [CLUSTER]     (no --user: SSO in the browser)
  logout [--proxy HOST:PORT]
  status [--proxy HOST:PORT]
  kube ls [--proxy HOST:PORT]
  kube login CLUSTER [--proxy HOST:PORT]
  kube credentials --proxy HOST:PORT --cluster NAME     (the kubectl exec plugin)
${ADMIN_USAGE}  completion bash|zsh|fish                     print a shell completion script

Every command takes --json; admin commands take --proxy HOST:PORT when you have several profiles
(they authenticate with the profile's certificate; Auth decides who is an admin).
Environment: REMOTELER_HOME (default ~/.remoteler), KUBECONFIG.
Exit codes: 0 ok, 1 internal, 2 usage or input, 3 sign-in needed, 4 forbidden, 5 not found,
6 conflict, 7 unavailable or rate limited. Errors print as RMT_CODE: what happened. What to do.
`;

function usage(message: string): RemotelerError {
  return new RemotelerError('RMT_CLIENT_USAGE', message);
}

/** `8h`, `30m`, `90s` or plain seconds -> seconds. */
export function parseTtl(text: string): number {
  const match = /^(\d+)([hms]?)$/.exec(text);
  if (!match) throw usage(`--ttl must look like 8h, 30m or 90s, got ${text}`);
  return Number(match[1]) * ({ h: 3600, m: 60, s: 1, '': 1 } as Record<string, number>)[match[2] as string]!;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads a password from a terminal without echo (raw mode), until Enter. */
async function promptPassword(io: CliIo): Promise<string> {
  io.stderr.write('Password: ');
  io.stdin.setRawMode?.(true);
  let password = '';
  try {
    for await (const chunk of io.stdin) {
      for (const char of Buffer.from(chunk as Buffer).toString('utf8')) {
        if (char === '\r' || char === '\n') return password;
        if (char === '\u0003') throw usage('login cancelled');
        if (char === '\u007f') password = password.slice(0, -1);
        else password += char;
      }
    }
    return password;
  } finally {
    io.stdin.setRawMode?.(false);
    io.stderr.write('\n');
  }
}

async function trustFrom(values: Record<string, unknown>): Promise<ProxyTrust> {
  const chosen = ['ca-file', 'ca-pin', 'insecure'].filter(
    (k) => values[k] !== undefined && values[k] !== false,
  );
  if (chosen.length > 1) throw usage('use only one of --ca-file, --ca-pin and --insecure');
  if (typeof values['ca-file'] === 'string') return { caPem: await readFile(values['ca-file'], 'utf8') };
  if (typeof values['ca-pin'] === 'string') {
    if (!/^sha256:[0-9a-f]{64}$/.test(values['ca-pin']))
      throw usage('--ca-pin must be sha256:<64 hex digits>');
    return { caPin: values['ca-pin'] };
  }
  if (values.insecure === true) return { insecure: true };
  return {};
}

/** Opens the system browser (best effort; the URL is printed anyway). */
function openBrowser(url: string): void {
  const command =
    process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    const child = spawn(command, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
  } catch {
    // No opener: the printed URL is the fallback.
  }
}

function renderProfile(profile: Profile): string {
  const lines = [
    `> Profile: ${profile.proxy} (cluster ${profile.clusterName})`,
    `  Logged in as:  ${profile.username}`,
    `  Roles:         ${profile.roles.join(', ')}`,
    `  Valid until:   ${profile.notAfter}${Date.parse(profile.notAfter) <= Date.now() ? ' [EXPIRED]' : ''}`,
    '  Kubernetes clusters:',
  ];
  for (const c of profile.clusters) {
    const mark = c.name === profile.currentCluster ? '*' : ' ';
    lines.push(
      `   ${mark} ${c.name}  users: ${c.kubernetesUsers.join(', ') || '-'}  groups: ${c.kubernetesGroups.join(', ') || '-'}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const COMMON = {
  json: { type: 'boolean' },
  proxy: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function run(argv: readonly string[], io: CliIo, context: ClientContext): Promise<void> {
  const [command, sub] = argv;
  const out = (json: unknown, human: string, asJson: boolean) =>
    io.stdout.write(asJson ? `${JSON.stringify(json, null, 2)}\n` : human);
  // `--help` anywhere (except after `--`) prints the usage instead of running the command.
  const beforeDashes = argv.indexOf('--') === -1 ? argv : argv.slice(0, argv.indexOf('--'));
  if (command === undefined || command === 'help' || beforeDashes.some((a) => a === '--help' || a === '-h')) {
    out({ usage: USAGE }, USAGE, argv.includes('--json'));
    return;
  }
  if (command === 'login') {
    const { values, positionals } = parseArgs({
      args: argv.slice(1),
      allowPositionals: true,
      options: {
        ...COMMON,
        user: { type: 'string' },
        'password-stdin': { type: 'boolean' },
        'ca-file': { type: 'string' },
        'ca-pin': { type: 'string' },
        insecure: { type: 'boolean' },
        auth: { type: 'string' },
        ttl: { type: 'string' },
        browser: { type: 'string' },
        embed: { type: 'boolean' },
      },
    });
    if (!values.proxy) throw usage('login needs --proxy HOST:PORT');
    if (positionals.length > 1) throw usage('login takes at most one cluster name');
    if (values.browser !== undefined && values.browser !== 'none' && values.browser !== 'default')
      throw usage('--browser takes none or default');
    let password: string | undefined;
    if (values.user !== undefined) {
      if (values['password-stdin']) password = (await readAll(io.stdin)).replace(/\r?\n$/, '');
      else if (io.stdin.isTTY) password = await promptPassword(io);
      else throw new RemotelerError('RMT_CLIENT_PASSWORD_REQUIRED', 'no password given');
    }
    const browser = values.browser ?? 'default';
    const profile = await login(context, {
      proxy: values.proxy,
      trust: await trustFrom(values),
      ...(values.user === undefined || password === undefined ? {} : { user: values.user, password }),
      onAuthorizationUrl: (url) => {
        io.stderr.write(`Open this URL to sign in (waiting for the browser):\n  ${url}\n`);
        if (browser !== 'none') context.openBrowser(url);
      },
      ...(values.auth === undefined ? {} : { connectorId: values.auth }),
      ...(values.ttl === undefined ? {} : { ttlSeconds: parseTtl(values.ttl) }),
      ...(positionals[0] === undefined ? {} : { cluster: positionals[0] }),
      ...(values.embed ? { embed: true } : {}),
    });
    const { kubeconfig: _k, trust: _t, ...shown } = profile;
    out(shown, renderProfile(profile), values.json === true);
    return;
  }
  if (command === 'logout') {
    const { values } = parseArgs({ args: argv.slice(1), options: COMMON });
    const proxies = await logout(context, values.proxy);
    out(
      { loggedOut: proxies },
      proxies.length === 0 ? 'Not logged in.\n' : proxies.map((p) => `Logged out of ${p}.\n`).join(''),
      values.json === true,
    );
    return;
  }
  if (command === 'status') {
    const { values } = parseArgs({ args: argv.slice(1), options: COMMON });
    const profiles =
      values.proxy === undefined ? await context.store.list() : [await context.store.resolve(values.proxy)];
    if (profiles.length === 0) throw new RemotelerError('RMT_CLIENT_NOT_LOGGED_IN', 'not logged in');
    out(
      profiles.map(({ kubeconfig: _k, trust: _t, ...p }) => p),
      profiles.map(renderProfile).join('\n'),
      values.json === true,
    );
    return;
  }
  if (command === 'kube' && sub === 'ls') {
    const { values } = parseArgs({ args: argv.slice(2), options: COMMON });
    const rows = await kubeList(context, values.proxy);
    const human = rows
      .map((r) => {
        const labels = Object.entries(r.labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(',');
        return `${r.selected ? '*' : ' '} ${r.name}\t${labels}\n`;
      })
      .join('');
    out(rows, human || 'No Kubernetes clusters allowed.\n', values.json === true);
    return;
  }
  if (command === 'kube' && sub === 'login') {
    const { values, positionals } = parseArgs({
      args: argv.slice(2),
      allowPositionals: true,
      options: COMMON,
    });
    if (positionals.length !== 1) throw usage('kube login takes one cluster name');
    const profile = await kubeLogin(context, positionals[0] as string, values.proxy);
    out(
      { cluster: profile.currentCluster, context: `${profile.proxy}-${profile.currentCluster}` },
      `Switched to ${profile.currentCluster} (context ${profile.proxy}-${profile.currentCluster}).\n`,
      values.json === true,
    );
    return;
  }
  if (command === 'kube' && sub === 'credentials') {
    const { values } = parseArgs({
      args: argv.slice(2),
      options: { ...COMMON, cluster: { type: 'string' } },
    });
    if (!values.proxy || !values.cluster) throw usage('kube credentials needs --proxy and --cluster');
    io.stdout.write(
      await kubeCredentials(context, {
        proxy: values.proxy,
        cluster: values.cluster,
        ...(io.env.KUBERNETES_EXEC_INFO === undefined ? {} : { execInfo: io.env.KUBERNETES_EXEC_INFO }),
        stdinIsTty: io.stdin.isTTY === true,
      }),
    );
    return;
  }
  if (command === 'admin') {
    await runAdmin(
      argv.slice(1),
      {
        stdin: io.stdin,
        out,
        parseTtl,
        readSecret: async (fromStdin) => {
          if (fromStdin) return (await readAll(io.stdin)).replace(/\r?\n$/, '');
          if (io.stdin.isTTY) return promptPassword(io);
          throw new RemotelerError('RMT_CLIENT_PASSWORD_REQUIRED', 'no password given');
        },
      },
      context,
    );
    return;
  }
  if (command === 'completion') {
    const { values, positionals } = parseArgs({
      args: argv.slice(1),
      allowPositionals: true,
      options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
    if (positionals.length !== 1) throw usage('completion takes one shell: bash, zsh or fish');
    const shell = positionals[0] as string;
    const script = completionScript(shell);
    out({ shell, script }, script, values.json === true);
    return;
  }
  throw usage(`unknown command: ${argv.join(' ')}`);
}

/** `--json`, or `-o json` / `--output json` (admin get): errors then come as JSON too. */
function wantsJson(argv: readonly string[]): boolean {
  return argv.some(
    (arg, i) =>
      arg === '--json' ||
      arg === '-ojson' ||
      arg === '--output=json' ||
      ((arg === '-o' || arg === '--output') && argv[i + 1] === 'json'),
  );
}

/**
 * Runs the `remoteler` command line and returns its exit code (see {@link EXIT_CODES}). Errors are
 * printed as `RMT_CODE: message. next step` on stderr (or as JSON with `--json`).
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const context = createClientContext({
    env: io.env,
    ...(io.execCommand === undefined ? {} : { execCommand: io.execCommand }),
    ...(io.execArgsPrefix === undefined ? {} : { execArgsPrefix: io.execArgsPrefix }),
    warn: (line) => io.stderr.write(`${line}\n`),
    // REMOTELER_BROWSER=none: print sign-in URLs only (the exec plugin has no --browser flag).
    openBrowser: (url) => {
      if (io.env.REMOTELER_BROWSER !== 'none') openBrowser(url);
    },
  });
  try {
    await run(argv, io, context);
    return EXIT_CODES.ok;
  } catch (thrown) {
    let error: RemotelerError;
    if (RemotelerError.is(thrown)) error = thrown;
    else if ((thrown as { code?: string })?.code?.startsWith('ERR_PARSE_ARGS'))
      error = usage((thrown as Error).message);
    else
      error = new RemotelerError('RMT_INTERNAL', String((thrown as Error)?.message ?? thrown), {
        cause: thrown,
      });
    if (wantsJson(argv)) io.stderr.write(`${JSON.stringify({ error: error.toJSON() })}\n`);
    else io.stderr.write(`${error.userMessage}\n`);
    return EXIT_CODES[error.category] ?? EXIT_CODES.internal;
  }
}
