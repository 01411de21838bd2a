import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { COMMAND_TREE, type CommandSpec, FLAG_VALUES, runCli } from '@remoteler/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRemoteler } from './support/run-remoteler.js';

const run = promisify(execFile);

let dir: string;
let bashScript: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rmt-completion-'));
  const printed = await runRemoteler(['completion', 'bash'], { REMOTELER_HOME: join(dir, 'home') });
  expect(printed.code).toBe(0);
  bashScript = join(dir, 'remoteler.bash');
  await writeFile(bashScript, printed.stdout);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `script` in a clean bash that has loaded the generated completion. */
async function bash(script: string): Promise<string> {
  const { stdout } = await run('bash', [
    '--noprofile',
    '--norc',
    '-c',
    `source "$1"\n${script}`,
    'bash',
    bashScript,
  ]);
  return stdout;
}

/**
 * What bash offers at the end of `line` (a trailing space means a new, empty word): the same
 * COMP_WORDS / COMP_CWORD the shell sets on <TAB>, then the registered function, then COMPREPLY.
 */
async function complete(line: string): Promise<string[]> {
  const words = line.split(' ');
  const quoted = words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
  const out = await bash(`COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}
COMP_LINE=${JSON.stringify(line)}; COMP_POINT=${line.length}
fn=$(complete -p remoteler | sed -n 's/.*-F \\([^ ]*\\).*/\\1/p')
"$fn" 2>/dev/null
printf '%s\\n' "\${COMPREPLY[@]}"`);
  return out.split('\n').filter((w) => w !== '');
}

describe('remoteler completion', () => {
  it('bash: the script registers a completion function for remoteler', async () => {
    expect((await bash('complete -p remoteler')).trim()).toBe('complete -F _remoteler remoteler');
  });

  it('bash: `remoteler ad<TAB>` completes to admin', async () => {
    expect(await complete('remoteler ad')).toEqual(['admin']);
  });

  it('bash: `remoteler admin get <TAB>` lists the kinds', async () => {
    expect(await complete('remoteler admin get ')).toEqual(['roles', 'users', 'clusters', 'locks']);
  });

  it('bash: offers subcommands, flags, and the fixed values of a flag for the command at hand', async () => {
    expect(await complete('remoteler ')).toEqual([
      'login',
      'logout',
      'status',
      'kube',
      'admin',
      'completion',
      'help',
    ]);
    expect(await complete('remoteler admin ')).toEqual([
      'create',
      'get',
      'rm',
      'users',
      'lock',
      'unlock',
      'tokens',
    ]);
    expect(await complete('remoteler kube l')).toEqual(['ls', 'login']);
    expect(await complete('remoteler admin get roles -o ')).toEqual(['table', 'yaml', 'json']);
    expect(await complete('remoteler admin tokens add --type ')).toEqual(['proxy', 'agent']);
    expect(await complete('remoteler admin users add bob --type ')).toEqual(['local', 'sso']);
    expect(await complete('remoteler admin lock --u')).toEqual(['--user']);
    expect(await complete('remoteler admin rm r')).toEqual(['role/']);
    expect(await complete('remoteler completion ')).toEqual(['bash', 'zsh', 'fish']);
  });

  it('bash: flags and their values before a subcommand do not change where completion is', async () => {
    expect(await complete('remoteler admin --proxy 127.0.0.1:3025 get ')).toEqual([
      'roles',
      'users',
      'clusters',
      'locks',
    ]);
    // `login` is a value here (of --proxy), not the login command.
    expect(await complete('remoteler kube --proxy login ')).toEqual(['ls', 'login', 'credentials']);
  });

  it('bash: -f completes file names', async () => {
    await writeFile(join(dir, 'role-one.yaml'), '');
    expect(await complete(`remoteler admin create -f ${join(dir, 'role-o')}`)).toEqual([
      join(dir, 'role-one.yaml'),
    ]);
  });

  it('zsh and fish: scripts built from the same tree, loaded the way their headers say', async () => {
    const zsh = await runRemoteler(['completion', 'zsh'], { REMOTELER_HOME: join(dir, 'home') });
    expect(zsh.code).toBe(0);
    expect(zsh.stdout).toContain('autoload -U +X bashcompinit && bashcompinit');
    expect(zsh.stdout).toContain('complete -F _remoteler remoteler');
    const fish = await runRemoteler(['completion', 'fish'], { REMOTELER_HOME: join(dir, 'home') });
    expect(fish.code).toBe(0);
    expect(fish.stdout).toContain(
      `complete -c remoteler -n "__remoteler_at 'admin get'" -a 'roles users clusters locks'`,
    );
    expect(fish.stdout).toContain(
      `complete -c remoteler -n "__remoteler_at 'admin get'" -s o -x -a 'table yaml json'`,
    );
    // The zsh script is the bash functions plus bashcompinit: bash itself can at least parse it.
    await expect(run('bash', ['-n', '-c', zsh.stdout])).resolves.toBeDefined();
  });

  it('refuses an unknown shell with RMT_CLIENT_USAGE (exit 2)', async () => {
    const result = await runRemoteler(['completion', 'powershell'], { REMOTELER_HOME: join(dir, 'home') });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^RMT_CLIENT_USAGE: completion takes bash, zsh or fish, got powershell/);
  });
});

function leaves(
  spec: CommandSpec = COMMAND_TREE,
  path: string[] = [],
): Array<{ path: string[]; spec: CommandSpec }> {
  const children = Object.entries(spec.subcommands ?? {});
  if (children.length === 0) return path.length === 0 ? [] : [{ path, spec }];
  return children.flatMap(([name, child]) => leaves(child, [...path, name]));
}

describe('the completion tree and the command line agree', () => {
  it('every command and flag completion offers is one the CLI parses', async () => {
    const home = join(dir, 'agree');
    for (const { path, spec } of leaves()) {
      for (const flag of [undefined, ...(spec.flags ?? [])]) {
        if (flag === '--help') continue;
        const value = flag === undefined ? undefined : (FLAG_VALUES[flag] ?? spec.values?.[flag]);
        const args = [
          ...path,
          ...(flag === undefined ? [] : [flag]),
          // A proxy that refuses at once: nothing here may wait on the network.
          ...(value === undefined ? [] : [flag === '--proxy' ? '127.0.0.1:1' : 'x']),
        ];
        let stderr = '';
        const stdin = new PassThrough();
        stdin.end();
        await runCli(args, {
          env: { REMOTELER_HOME: home, KUBECONFIG: join(dir, 'kubeconfig'), HOME: dir },
          stdin,
          stdout: { write: () => true },
          stderr: { write: (text: string) => (stderr += text) },
        });
        expect(stderr, args.join(' ')).not.toMatch(
          /unknown (admin )?command|Unknown option|Option '.*' argument/,
        );
      }
    }
  });
});
