import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyPassword } from '@remoteler/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { ADMIN_USER, type AuthStack, PASSWORD, ROLELESS_USER, startAuthStack } from './support/auth-stack.js';
import { runRemoteler } from './support/run-remoteler.js';

const AUDITOR = `# who may read pods in team namespaces
kind: role
version: v1
metadata:
  name: auditor
spec:
  options:
    max_session_ttl: 2h
  allow:
    kubernetes_labels:
      env: [dev]
    kubernetes_groups: [viewers]
    kubernetes_resources:
      - { kind: pod, namespace: "team-*", name: "*", verbs: [get, list] }
`;

let stack: AuthStack;
let dir: string;
let caFile: string;
let adminEnv: Record<string, string>;
let aliceEnv: Record<string, string>;

beforeAll(async () => {
  stack = await startAuthStack({ proxyKubeAddress: '127.0.0.1:3026' });
});
afterAll(async () => {
  await stack?.close();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rmt-admin-e2e-'));
  caFile = join(dir, 'ca.pem');
  await writeFile(caFile, stack.hostCaPem);
  // Profiles are per proxy: the admin and alice each have their own home (two people, two machines).
  adminEnv = { REMOTELER_HOME: join(dir, 'admin'), KUBECONFIG: join(dir, 'admin-kubeconfig'), HOME: dir };
  aliceEnv = { REMOTELER_HOME: join(dir, 'alice'), KUBECONFIG: join(dir, 'alice-kubeconfig'), HOME: dir };
  return async () => {
    await rm(dir, { recursive: true, force: true });
    // The Auth server is shared by the tests of this file: each starts without the role it creates.
    if (await stack.roles.get('auditor')) await stack.roles.delete('auditor');
  };
});

async function loginAs(user: string, env: Record<string, string>): Promise<void> {
  const result = await runRemoteler(
    ['login', '--proxy', stack.address, '--user', user, '--password-stdin', '--ca-file', caFile],
    env,
    `${PASSWORD}\n`,
  );
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
}

function admin(args: string[], input = '') {
  return runRemoteler(['admin', ...args], adminEnv, input);
}

async function writeYaml(name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

/** POST /v1/join as a joining host would: its own key, the token, a host id and role. */
function postJoin(token: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const payload = JSON.stringify({
    token,
    role: 'proxy',
    hostId: 'proxy-1',
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }),
  });
  return new Promise((resolve, reject) => {
    const req = request(`https://${stack.address}/v1/join`, {
      method: 'POST',
      ca: stack.hostCaPem,
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }),
      );
    });
    req.end(payload);
  });
}

// Each case runs several `remoteler` processes one after another: generous on a busy 2-core machine.
describe('remoteler admin (real processes against a real Auth server)', { timeout: 120_000 }, () => {
  it('creates a role from YAML, shows a field-level diff on update, and nothing on a re-apply', async () => {
    await loginAs(ADMIN_USER, adminEnv);
    const file = await writeYaml('auditor.yaml', AUDITOR);
    const created = await admin(['create', '-f', file]);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toBe('role/auditor created\n');
    expect((await stack.roles.get('auditor'))?.spec.allow.kubernetes_groups).toEqual(['viewers']);

    await writeYaml(
      'auditor.yaml',
      AUDITOR.replace('[viewers]', '[viewers, auditors]').replace(
        'max_session_ttl: 2h',
        'max_session_ttl: 1h',
      ),
    );
    const updated = await admin(['create', '-f', file]);
    expect(updated.code).toBe(0);
    expect(updated.stdout).toBe(
      'role/auditor updated\n' +
        '    ~ spec.allow.kubernetes_groups: ["viewers"] -> ["viewers","auditors"]\n' +
        '    ~ spec.options.max_session_ttl: "2h" -> "1h"\n',
    );
    expect((await stack.roles.get('auditor'))?.spec.options.max_session_ttl).toBe('1h');

    const again = await admin(['create', '-f', file, '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual([
      { kind: 'role', name: 'auditor', action: 'unchanged', changes: [] },
    ]);
  });

  it('gets roles as a table, as YAML that create -f reads back unchanged, and as JSON', async () => {
    await loginAs(ADMIN_USER, adminEnv);
    await admin(['create', '-f', await writeYaml('auditor.yaml', AUDITOR)]);

    const table = await admin(['get', 'roles']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^NAME\s+MAX SESSION TTL\s+ALLOWED LABELS\s+KUBERNETES GROUPS\s+KUBERNETES USERS$/,
    );
    expect(lines.find((l) => l.startsWith('auditor'))).toMatch(/^auditor\s+2h\s+env=dev\s+viewers\s+-$/);
    expect(lines.some((l) => l.startsWith('developer '))).toBe(true);

    const yaml = await admin(['get', 'roles', 'auditor', '-o', 'yaml']);
    expect(yaml.code).toBe(0);
    const doc = parse(yaml.stdout);
    expect(doc).toMatchObject({ kind: 'role', version: 'v1', metadata: { name: 'auditor' } });
    expect(doc.spec.allow.kubernetes_resources).toEqual([
      { kind: 'pod', namespace: 'team-*', name: '*', verbs: ['get', 'list'] },
    ]);
    const roundTrip = await admin(['create', '-f', await writeYaml('back.yaml', yaml.stdout)]);
    expect(roundTrip.stdout).toBe('role/auditor unchanged\n');

    const all = await admin(['get', 'role', '-o', 'yaml']);
    const names = parseAllDocuments(all.stdout).map((d) => d.toJS().metadata.name);
    expect(names.sort()).toEqual(['admin', 'auditor', 'developer']);

    const json = await admin(['get', 'roles', 'auditor', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ kind: 'role', metadata: { name: 'auditor' } });
    const list = JSON.parse((await admin(['get', 'roles', '-o', 'json'])).stdout) as Array<{
      metadata: { name: string };
    }>;
    expect(list.map((r) => r.metadata.name).sort()).toEqual(['admin', 'auditor', 'developer']);

    const missing = await admin(['get', 'roles', 'nobody']);
    expect(missing.code).toBe(5);
    expect(missing.stderr).toMatch(/^RMT_STORE_NOT_FOUND: there is no role "nobody"/);
  });

  it('creates several kinds from one file and removes them with rm KIND/NAME', async () => {
    await loginAs(ADMIN_USER, adminEnv);
    const file = await writeYaml(
      'bundle.yaml',
      `kind: user
version: v1
metadata: { name: carol }
spec: { roles: [developer] }
---
kind: kube_cluster
version: v1
metadata: { name: qa-1, labels: { env: qa } }
spec: { upstream: { type: in_cluster } }
---
kind: lock
version: v1
metadata: { name: freeze-qa }
spec: { target: { cluster: qa-1 }, message: release freeze }
`,
    );
    const result = await admin(['create', '-f', file]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('user/carol created\nkube_cluster/qa-1 created\nlock/freeze-qa created\n');
    expect((await admin(['create', '-f', file])).stdout).toBe(
      'user/carol unchanged\nkube_cluster/qa-1 unchanged\nlock/freeze-qa unchanged\n',
    );

    const users = await admin(['get', 'users']);
    expect(users.stdout).toMatch(/^carol\s+local\s+developer\s+active$/m);
    const clusters = await admin(['get', 'clusters']);
    expect(clusters.stdout).toMatch(/^qa-1\s+env=qa\s+in_cluster$/m);
    const locks = await admin(['get', 'locks']);
    expect(locks.stdout).toMatch(/^freeze-qa\s+cluster=qa-1\s+never\s+release freeze$/m);

    for (const target of ['user/carol', 'cluster/qa-1', 'lock/freeze-qa']) {
      const removed = await admin(['rm', target]);
      expect(removed.code).toBe(0);
      expect(removed.stdout).toBe(`${target} removed\n`);
    }
    const gone = await admin(['rm', 'user/carol']);
    expect(gone.code).toBe(5);
    expect(gone.stderr).toMatch(/^RMT_STORE_NOT_FOUND: /);
  });

  it('refuses a user without an admin role with RMT_AUTH_ADMIN_REQUIRED (exit 4) and changes nothing', async () => {
    await loginAs('alice', aliceEnv);
    const file = await writeYaml('auditor.yaml', AUDITOR);
    const refused = await runRemoteler(['admin', 'create', '-f', file], aliceEnv);
    expect(refused.code).toBe(4);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/^RMT_AUTH_ADMIN_REQUIRED: user alice holds no admin role \(admin\)\. /);
    expect(await stack.roles.get('auditor')).toBeUndefined();

    // -o json asks for JSON like --json: the error comes as JSON on stderr too.
    const asJson = await runRemoteler(['admin', 'get', 'roles', '-o', 'json'], aliceEnv);
    expect(asJson.code).toBe(4);
    expect(JSON.parse(asJson.stderr)).toMatchObject({
      error: { code: 'RMT_AUTH_ADMIN_REQUIRED', category: 'forbidden' },
    });
  });

  it('names the file, line and field of every problem in a broken YAML file, and sends nothing', async () => {
    await loginAs(ADMIN_USER, adminEnv);
    const file = await writeYaml(
      'broken.yaml',
      `${AUDITOR.replace('verbs: [get, list]', 'verbs: [get, luist]')}---
kind: role
version: v1
metadata:
  name: second
spec:
  allow:
    kubernetes_groupz: [x]
`,
    );
    const result = await admin(['create', '-f', file]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const [head, ...problems] = result.stderr.split('\n');
    expect(head).toBe(`RMT_RESOURCE_INVALID: 2 problems in ${file}, nothing was changed:`);
    expect(problems[0]).toMatch(
      new RegExp(
        `^  ${file}:14 \\(document 1\\) spec\\.allow\\.kubernetes_resources\\[0\\]\\.verbs\\[1\\]: `,
      ),
    );
    expect(problems[1]).toMatch(
      new RegExp(`^  ${file}:2[0-9] \\(document 2\\) spec\\.allow\\.kubernetes_groupz: unknown field`),
    );
    expect(await stack.roles.get('auditor')).toBeUndefined();

    const syntax = await admin(['create', '-f', await writeYaml('syntax.yaml', 'kind: role\nmetadata: [\n')]);
    expect(syntax.code).toBe(2);
    expect(syntax.stderr).toMatch(/syntax\.yaml:\d+ \(document 1\) \(root\): /);

    const absent = await admin(['create', '-f', join(dir, 'absent.yaml')]);
    expect(absent.code).toBe(2);
    expect(absent.stderr).toMatch(/^RMT_CLIENT_FILE_UNREADABLE: cannot read .*absent\.yaml: ENOENT/);
  });

  it('reads -f - from standard input', async () => {
    await loginAs(ADMIN_USER, adminEnv);
    const result = await admin(['create', '-f', '-'], AUDITOR);
    expect(result.stdout).toBe('role/auditor created\n');
  });

  it('adds and removes a user; says how a local user gets a password and warns about unknown roles', async () => {
    await loginAs(ADMIN_USER, adminEnv);
    const added = await admin(['users', 'add', 'bob', '--roles', 'developer,ghost']);
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('user/bob created (local, roles: developer, ghost)\n');
    expect(added.stdout).toContain('WARNING: no role named ghost exists');
    expect(added.stdout).toContain('remoteler admin users password-hash');
    expect(added.stdout).toContain('The admin API stores no passwords');
    const stored = JSON.parse((await admin(['get', 'users', 'bob', '--json'])).stdout);
    expect(stored.spec).toMatchObject({ type: 'local', roles: ['developer', 'ghost'] });

    const twice = await admin(['users', 'add', 'bob', '--roles', 'developer']);
    expect(twice.code).toBe(6);
    expect(twice.stderr).toMatch(/^RMT_CLIENT_ADMIN_EXISTS: the user "bob" exists\. /);

    const sso = await admin(['users', 'add', 'dana', '--roles', 'developer', '--type', 'sso', '--json']);
    expect(JSON.parse(sso.stdout)).toMatchObject({ user: { spec: { type: 'sso' } }, missingRoles: [] });

    const removed = await admin(['users', 'rm', 'bob']);
    expect(removed.stdout).toBe('user/bob removed\n');
    expect((await admin(['get', 'users', 'bob'])).code).toBe(5);
  });

  it('users add gives a local user with a password the roles it signs in with', async () => {
    await loginAs(ADMIN_USER, adminEnv);
    const erinEnv = { ...aliceEnv, REMOTELER_HOME: join(dir, 'erin') };
    const login = () =>
      runRemoteler(
        [
          'login',
          '--proxy',
          stack.address,
          '--user',
          ROLELESS_USER,
          '--password-stdin',
          '--ca-file',
          caFile,
          '--json',
        ],
        erinEnv,
        `${PASSWORD}\n`,
      );
    const before = await login();
    expect(before.code).not.toBe(0);
    expect(before.stderr).toMatch(/"code":"RMT_AUTH_NO_ROLES"/);

    expect((await admin(['users', 'add', ROLELESS_USER, '--roles', 'developer'])).code).toBe(0);
    const after = await login();
    expect(after.stderr).toBe('');
    expect(JSON.parse(after.stdout)).toMatchObject({ username: ROLELESS_USER, roles: ['developer'] });
    expect((await admin(['users', 'rm', ROLELESS_USER])).code).toBe(0);
  });

  it('makes a password hash from standard input that verifies, without printing the password', async () => {
    const result = await runRemoteler(
      ['admin', 'users', 'password-hash', '--password-stdin'],
      adminEnv,
      's3cret pass\n',
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\$scrypt\$ln=\d+,r=\d+,p=\d+\$/);
    expect(result.stdout + result.stderr).not.toContain('s3cret');
    expect(await verifyPassword('s3cret pass', result.stdout.trim())).toBe(true);
  });

  it("a lock refuses the locked user's next certificate reissue at once; unlock lets it through", async () => {
    await loginAs(ADMIN_USER, adminEnv);
    await loginAs('alice', aliceEnv);
    const credentials = (cluster: string) =>
      runRemoteler(['kube', 'credentials', '--proxy', stack.address, '--cluster', cluster], aliceEnv);
    expect((await credentials('dev-1')).code).toBe(0);

    const locked = await admin([
      'lock',
      '--user',
      'alice',
      '--ttl',
      '1h',
      '--message',
      'incident 42',
      '--json',
    ]);
    expect(locked.code).toBe(0);
    const lock = JSON.parse(locked.stdout);
    expect(lock.metadata.name).toMatch(/^user-alice-[0-9a-f]{6}$/);
    expect(lock.spec).toMatchObject({
      target: { user: 'alice' },
      message: 'incident 42',
      created_by: ADMIN_USER,
    });
    const expires = Date.parse(lock.spec.expires) - Date.now();
    expect(expires).toBeGreaterThan(50 * 60_000);
    expect(expires).toBeLessThanOrEqual(3_600_000);

    const refused = await credentials('staging-1');
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/^RMT_AUTH_LOCKED: access is locked: incident 42/);

    const unlocked = await admin(['unlock', lock.metadata.name]);
    expect(unlocked.stdout).toBe(`lock/${lock.metadata.name} removed\n`);
    expect((await credentials('staging-1')).code).toBe(0);
  });

  it('tokens add prints a proxy join token once; POST /v1/join accepts it once', async () => {
    await loginAs(ADMIN_USER, adminEnv);
    const human = await admin(['tokens', 'add', '--type', 'proxy', '--ttl', '30m']);
    expect(human.code).toBe(0);
    const token = /^ {2}([A-Za-z0-9_-]{43})$/m.exec(human.stdout)?.[1] as string;
    expect(token).toBeDefined();
    expect(human.stdout).toContain(`POST https://${stack.address}/v1/join`);
    // The reference server's join: a proxy-only config pinning the host CA, the token in the environment.
    expect(human.stdout).toContain(`  cluster_name: "root.test"\n`);
    expect(human.stdout).toContain(`    auth_server: https://${stack.address}\n`);
    expect(human.stdout).toMatch(/^ {4}auth_ca_pin: sha256:[0-9a-f]{64}$/m);
    expect(human.stdout).toContain(
      `  REMOTELER_JOIN_TOKEN='${token}' remoteler-server start --config remoteler.yaml\n`,
    );

    const listed = await admin(['tokens', 'ls', '--json']);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ role: 'proxy' })]);
    expect(listed.stdout).not.toContain(token);

    const first = await postJoin(token);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ role: 'proxy', hostId: 'proxy-1' });
    expect(String(first.body.certificatePem)).toContain('BEGIN CERTIFICATE');
    const second = await postJoin(token);
    expect(second.status).toBe(401);
    expect(second.body).toMatchObject({ code: 'RMT_AUTH_JOIN_TOKEN_INVALID' });
  });

  it('tokens add --json gives the token, the join config and command; tokens rm revokes an unused one', async () => {
    await loginAs(ADMIN_USER, adminEnv);
    const made = JSON.parse((await admin(['tokens', 'add', '--type', 'proxy', '--json'])).stdout);
    expect(made).toMatchObject({ role: 'proxy', authServer: stack.address });
    expect(made.command).toContain(made.token);
    expect(parse(made.config)).toMatchObject({
      version: 'v1',
      roles: ['proxy'],
      cluster_name: 'root.test',
      proxy: { auth_server: `https://${stack.address}`, join_token: { env: 'REMOTELER_JOIN_TOKEN' } },
    });
    expect(made.config).not.toContain(made.token);
    const revoked = await admin(['tokens', 'rm', made.name]);
    expect(revoked.stdout).toBe(`token ${made.name} revoked\n`);
    expect((await postJoin(made.token)).body).toMatchObject({ code: 'RMT_AUTH_JOIN_TOKEN_INVALID' });
  });

  it('an expired login is RMT_CLIENT_LOGIN_EXPIRED (exit 3) with the login command, before any request', async () => {
    await loginAs(ADMIN_USER, adminEnv);
    const profileFile = join(adminEnv.REMOTELER_HOME as string, 'profiles');
    const { readdir } = await import('node:fs/promises');
    const [entry] = await readdir(profileFile);
    const path = join(profileFile, entry as string, 'profile.json');
    const profile = JSON.parse(await readFile(path, 'utf8'));
    await writeFile(path, JSON.stringify({ ...profile, notAfter: '2020-01-01T00:00:00.000Z' }), {
      mode: 0o600,
    });
    const result = await admin(['get', 'roles']);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(
      new RegExp(`^RMT_CLIENT_LOGIN_EXPIRED: .*Run \`remoteler login --proxy ${stack.address}\``),
    );
  });

  it('answers usage errors with RMT_CLIENT_USAGE (exit 2) and the help command', async () => {
    for (const args of [
      ['get'],
      ['get', 'pods'],
      ['get', 'roles', '-o', 'xml'],
      ['rm', 'developer'],
      ['lock', '--user', 'a', '--role', 'b'],
      ['tokens', 'add', '--type', 'auth'],
      ['frobnicate'],
    ]) {
      const result = await admin(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(/^RMT_CLIENT_USAGE: .*remoteler help/);
    }
  });
});
